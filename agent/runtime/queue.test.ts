import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Batch } from '../../protocol/index.js';
import { DiskQueue } from './queue.js';

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
});
