import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Point } from '../protocol/index.js';
import { Spool, SpoolFullError } from './spool.js';

const log = pino({ level: 'silent' });
const dirs: string[] = [];
const newDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'hatang-spool-test-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const points = (n: number, from = 0): Point[] =>
  Array.from({ length: n }, (_, i) => ({
    measurement: 'host',
    tags: { hostname: 'h', agent_id: 'a', site_id: 's' },
    fields: { uptime_s: from + i },
    time: 1_700_000_000_000 + from + i,
  }));

async function drain(spool: Spool): Promise<number[]> {
  const seen: number[] = [];
  for (let seg = await spool.oldest(); seg; seg = await spool.oldest()) {
    for (const r of seg.records) for (const p of r) seen.push(p.fields.uptime_s as number);
    await spool.remove(seg);
  }
  return seen;
}

describe('Spool', () => {
  it('gives back every appended point in order, across segment rotations', async () => {
    const spool = await Spool.open(newDir(), { maxBytes: 10_000_000, segmentBytes: 2_000, log });
    for (let i = 0; i < 20; i++) await spool.append(points(5, i * 5));
    expect(spool.points).toBe(100);
    expect(readdirSync(spool.dir).filter((f) => f.endsWith('.seg')).length).toBeGreaterThan(3);
    expect(await drain(spool)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(spool.isEmpty).toBe(true);
    expect(spool.bytes).toBe(0);
  });

  it('counts what an earlier run left and replays it after a reopen', async () => {
    const dir = newDir();
    const first = await Spool.open(dir, { maxBytes: 10_000_000, segmentBytes: 1_000, log });
    for (let i = 0; i < 10; i++) await first.append(points(3, i * 3));
    await first.close();
    const second = await Spool.open(dir, { maxBytes: 10_000_000, segmentBytes: 1_000, log });
    expect(second.points).toBe(30);
    await second.append(points(3, 30));
    expect(await drain(second)).toEqual(Array.from({ length: 33 }, (_, i) => i));
  });

  it('drops a torn last line (an append that crashed before its fsync and was never acknowledged)', async () => {
    const dir = newDir();
    const spool = await Spool.open(dir, { maxBytes: 10_000_000, segmentBytes: 1_000_000, log });
    await spool.append(points(2));
    await spool.close();
    const [seg] = readdirSync(dir).filter((f) => f.endsWith('.seg'));
    appendFileSync(join(dir, seg as string), '2 [{"measurement":"host","tags":{');
    const reopened = await Spool.open(dir, { maxBytes: 10_000_000, segmentBytes: 1_000_000, log });
    expect(await drain(reopened)).toEqual([0, 1]);
  });

  it('sets a corrupt line aside in dead/ and still replays the rest', async () => {
    const dir = newDir();
    const spool = await Spool.open(dir, { maxBytes: 10_000_000, segmentBytes: 1_000_000, log });
    await spool.append(points(1, 0));
    await spool.close();
    const [seg] = readdirSync(dir).filter((f) => f.endsWith('.seg'));
    appendFileSync(join(dir, seg as string), '1 {not json}\n');
    const reopened = await Spool.open(dir, { maxBytes: 10_000_000, segmentBytes: 1_000_000, log });
    await reopened.append(points(1, 1));
    expect(await drain(reopened)).toEqual([0, 1]);
    const dead = readdirSync(join(dir, 'dead'));
    expect(dead).toHaveLength(1);
    expect(readFileSync(join(dir, 'dead', dead[0] as string), 'utf8')).toContain('{not json}');
  });

  it('refuses an append that would pass max_bytes, keeping what it holds', async () => {
    const spool = await Spool.open(newDir(), { maxBytes: 1_500, segmentBytes: 1_000, log });
    await spool.append(points(5));
    await expect(spool.append(points(50, 5))).rejects.toBeInstanceOf(SpoolFullError);
    expect(spool.points).toBe(5);
    expect(await drain(spool)).toEqual([0, 1, 2, 3, 4]);
  });
});
