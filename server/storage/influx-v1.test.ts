import { describe, expect, it } from 'vitest';
import { chunkLines } from './influx-v1.js';

describe('chunkLines', () => {
  it('keeps every body within the byte limit, newlines included, lines in order', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `host,hostname=pc-${i} uptime_s=${i}i ${i}`);
    const chunks = chunkLines(lines, 200);
    expect(chunks.flat()).toEqual(lines);
    for (const c of chunks) expect(Buffer.byteLength(c.join('\n'))).toBeLessThanOrEqual(200);
    expect(chunks.length).toBeGreaterThan(10);
  });

  it('counts bytes, not characters, so multi-byte text cannot push a body past the limit', () => {
    const lines = Array.from({ length: 10 }, () => `inventory model="${'Ổ'.repeat(30)}" 1`);
    for (const c of chunkLines(lines, 150)) expect(Buffer.byteLength(c.join('\n'))).toBeLessThanOrEqual(150);
  });

  it('gives a line longer than the limit a body of its own, for InfluxDB to take or refuse', () => {
    const long = `inventory model="${'x'.repeat(500)}" 1`;
    expect(chunkLines(['a 1', long, 'b 2'], 100)).toEqual([['a 1'], [long], ['b 2']]);
  });
});
