import { describe, expect, it } from 'vitest';
import { fnv1a32, inShard, parseShard } from './shard.js';

describe('shards', () => {
  it('puts every target id in exactly one of n shards, spread about evenly', () => {
    const ids = Array.from({ length: 5000 }, (_v, i) => `xa-${i}`);
    const n = 4;
    const sizes = [1, 2, 3, 4].map((k) => ids.filter((id) => inShard(id, { index: k, count: n })).length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(5000);
    for (const size of sizes) expect(size).toBeGreaterThan(1000);
    for (const id of ids.slice(0, 50)) {
      expect([1, 2, 3, 4].filter((k) => inShard(id, { index: k, count: n }))).toHaveLength(1);
    }
  });

  it('hashes with FNV-1a, so the split is the same on every poller and version', () => {
    // Reference values of 32-bit FNV-1a.
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('parses k/n and refuses shards that do not exist', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['0/4', '5/4', '2/0', '2', 'a/b', '-1/3']) {
      expect(() => parseShard(bad)).toThrow(`"${bad}" is not a shard: write k/n with 1 ≤ k ≤ n, e.g. 2/4`);
    }
  });
});
