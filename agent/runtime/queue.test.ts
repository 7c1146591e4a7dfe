import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Batch } from '../../protocol/index.js';
import { DiskQueue } from './queue.js';
import { capturedLog } from './test-collector.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const newDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'hatang-queue-test-'));
  dirs.push(d);
  return d;
};
const batch = (id: string, n: number): Batch => ({
  batch_id: id,
  points: Array.from({ length: n }, (_, i) => ({
    measurement: 'host',
    tags: { hostname: 'h' },
    fields: { uptime_s: i },
    time: 1_700_000_000_000 + i,
  })),
});

describe('DiskQueue', () => {
  it('survives a restart with its batches in order', async () => {
    const dir = newDir();
    const q = await DiskQueue.open(dir, 1_000_000);
    for (const id of ['a', 'b', 'c']) await q.push(batch(id, 2));
    const again = await DiskQueue.open(dir, 1_000_000);
    expect(again.batches).toBe(3);
    expect(again.points).toBe(6);
    expect((await again.peek(100)).map((i) => i.batch.batch_id)).toEqual(['a', 'b', 'c']);
  });

  it('peeks whole batches up to the point limit, at least one', async () => {
    const q = await DiskQueue.open(newDir(), 1_000_000);
    await q.push(batch('a', 3));
    await q.push(batch('b', 3));
    await q.push(batch('c', 3));
    expect((await q.peek(6)).map((i) => i.batch.batch_id)).toEqual(['a', 'b']);
    expect((await q.peek(1)).map((i) => i.batch.batch_id)).toEqual(['a']);
  });

  it('drops the oldest batches when full and says how many points it dropped', async () => {
    const q = await DiskQueue.open(newDir(), 1_000);
    let dropped = 0;
    for (let i = 0; i < 10; i++) dropped += await q.push(batch(`b${i}`, 2));
    expect(q.bytes).toBeLessThanOrEqual(1_000);
    expect(dropped).toBe(20 - q.points);
    expect(dropped).toBeGreaterThan(0);
    const left = (await q.peek(1000)).map((i) => i.batch.batch_id);
    expect(left.at(-1)).toBe('b9');
    expect(left[0]).toBe(`b${10 - left.length}`);
  });

  it('moves a refused batch to rejected/ instead of losing it', async () => {
    const dir = newDir();
    const q = await DiskQueue.open(dir, 1_000_000);
    await q.push(batch('bad', 1));
    const [item] = await q.peek(10);
    await q.reject(item!.name);
    expect(q.batches).toBe(0);
    expect(readdirSync(join(dir, 'rejected'))).toEqual([item!.name]);
  });

  it('sets truncated and garbage files aside in rejected/, logging each with its name and reason, and counts them', async () => {
    const dir = newDir();
    const first = await DiskQueue.open(dir, 1_000_000);
    for (const id of ['a', 'b', 'c', 'd', 'e']) await first.push(batch(id, 3));
    const names = readdirSync(dir)
      .filter((n) => n.endsWith('.json'))
      .sort();
    const [, truncated, garbage, notBatch, empty] = names as [string, string, string, string, string];
    truncateSync(join(dir, truncated), 20);
    writeFileSync(join(dir, garbage), Buffer.from([0xff, 0x00, 0x13, 0x37]));
    writeFileSync(join(dir, notBatch), '{"points": 3}');
    writeFileSync(join(dir, empty), '');
    const { log, lines } = capturedLog();
    const corrupt: { name: string; reason: string; points: number }[] = [];
    const q = await DiskQueue.open(dir, { maxBytes: 1_000_000, log, onCorrupt: (c) => corrupt.push(c) });

    const good = await q.peek(100);
    expect(good.map((i) => i.batch.batch_id)).toEqual(['a']);
    expect(corrupt.map((c) => c.name)).toEqual([truncated, garbage, notBatch, empty]);
    expect(corrupt.map((c) => c.points)).toEqual([3, 3, 3, 3]);
    expect(corrupt[0]?.reason).toMatch(/^not JSON \(20 bytes\): /);
    expect(corrupt[2]?.reason).toBe('not a batch: batch_id or points missing');
    expect(corrupt[3]?.reason).toBe('empty file');
    const logged = lines.filter((l) => l.msg === 'damaged queue file moved to rejected/');
    expect(logged.map((l) => l.file)).toEqual(corrupt.map((c) => join(dir, c.name)));
    expect(logged.every((l) => typeof l.reason === 'string' && l.points === 3)).toBe(true);
    expect(readdirSync(join(dir, 'rejected')).sort()).toEqual([truncated, garbage, notBatch, empty].sort());
    expect(q.batches).toBe(1);
  });

  it('keeps rejected/ to its newest files within the file and byte bounds', async () => {
    const dir = newDir();
    const { log, lines } = capturedLog();
    const q = await DiskQueue.open(dir, {
      maxBytes: 1_000_000,
      rejectedMaxFiles: 3,
      rejectedMaxBytes: 1_000_000,
      log,
    });
    const rejected: string[] = [];
    for (let i = 0; i < 5; i++) {
      await q.push(batch(`r${i}`, 1));
      const [item] = await q.peek(10);
      // Distinct ages, oldest first, whatever the file system's timestamp resolution.
      utimesSync(join(dir, item!.name), 1_700_000_000 + i, 1_700_000_000 + i);
      await q.reject(item!.name);
      rejected.push(item!.name);
    }
    expect(readdirSync(join(dir, 'rejected')).sort()).toEqual(rejected.slice(2));
    expect(lines.some((l) => l.msg === 'rejected/ over its bounds: removed the oldest files')).toBe(true);

    const size = readFileSync(join(dir, 'rejected', rejected[4]!)).length;
    const small = await DiskQueue.open(dir, { maxBytes: 1_000_000, rejectedMaxBytes: size * 2, log });
    await small.push(batch('r5', 1));
    const [item] = await small.peek(10);
    await small.reject(item!.name);
    expect(readdirSync(join(dir, 'rejected')).sort()).toEqual([rejected[4], item!.name]);
  });

  it('never reuses the name of a batch set aside in rejected/, even when the queue was empty at start', async () => {
    const dir = newDir();
    const q = await DiskQueue.open(dir, 1_000_000);
    await q.push(batch('bad', 1));
    const [item] = await q.peek(10);
    await q.reject(item!.name);
    const again = await DiskQueue.open(dir, 1_000_000);
    await again.push(batch('next', 1));
    const [next] = await again.peek(10);
    expect(next!.name).not.toBe(item!.name);
    expect(readdirSync(join(dir, 'rejected'))).toEqual([item!.name]);
  });
});
