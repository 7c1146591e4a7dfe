/**
 * A deterministic pseudo-random sequence in [0, 1) (a linear congruential generator): tests that
 * generate many cases draw the same ones at every run, so a failure names a seed that reproduces it.
 */
export function seededRandom(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    return x / 2_147_483_648;
  };
}
