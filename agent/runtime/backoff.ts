/**
 * Exponential backoff with full jitter: 1 s, 2 s, 4 s … up to `maxMs`, each wait a random share of
 * its ceiling (plus 250 ms) so a thousand agents coming back together do not knock in step.
 */
export class Backoff {
  private failures = 0;

  constructor(private readonly maxMs: number) {}

  /** The wait after one more failure. */
  next(): number {
    const ceiling = Math.min(this.maxMs, 1_000 * 2 ** Math.min(this.failures, 16));
    this.failures++;
    return Math.round(250 + Math.random() * ceiling);
  }

  reset(): void {
    this.failures = 0;
  }
}
