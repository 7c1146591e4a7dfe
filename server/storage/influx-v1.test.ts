import { describe, expect, it } from 'vitest';
import { chunkLines } from './influx-v1.js';

const buffers = (lines: string[]) => lines.map((l) => Buffer.from(`${l}\n`));

describe('chunkLines', () => {
  it('keeps every body within the byte limit, newlines included, lines in order', () => {
    const lines = buffers(Array.from({ length: 100 }, (_, i) => `host,hostname=pc-${i} uptime_s=${i}i ${i}`));
    const chunks = chunkLines(lines, 200);
    expect(chunks.flat()).toEqual(lines);
    for (const c of chunks) expect(Buffer.concat(c).length).toBeLessThanOrEqual(200);
    expect(chunks.length).toBeGreaterThan(10);
  });

  it('counts bytes, not characters, so multi-byte text cannot push a body past the limit', () => {
    const lines = buffers(Array.from({ length: 10 }, () => `inventory model="${'Ổ'.repeat(30)}" 1`));
    for (const c of chunkLines(lines, 150)) expect(Buffer.concat(c).length).toBeLessThanOrEqual(150);
  });

  it('gives a line longer than the limit a body of its own, for InfluxDB to take or refuse', () => {
    const [a, long, b] = buffers(['a 1', `inventory model="${'x'.repeat(500)}" 1`, 'b 2']);
    expect(chunkLines([a, long, b] as Buffer[], 100)).toEqual([[a], [long], [b]]);
  });
});
