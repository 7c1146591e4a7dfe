/** A poller's share of the targets: `index` of `count`, 1-based as written in config ("2/4"). */
export interface Shard {
  index: number;
  count: number;
}

/** Parses "k/n" (1 ≤ k ≤ n); throws naming the text otherwise. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) {
    throw new Error(`"${text}" is not a shard: write k/n with 1 ≤ k ≤ n, e.g. 2/4`);
  }
  return { index, count };
}

/** FNV-1a, 32 bit: stable across processes, platforms and versions (unlike any built-in hash). */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Whether a target id belongs to this shard: every id lands in exactly one of n shards. */
export function inShard(id: string, shard: Shard): boolean {
  return fnv1a32(id) % shard.count === shard.index - 1;
}
