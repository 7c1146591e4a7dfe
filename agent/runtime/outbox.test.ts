import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Point } from '../../protocol/index.js';
import { Outbox } from './outbox.js';
import { DiskQueue } from './queue.js';
import { zeroCounters } from './state.js';
import { capturedLog } from './test-collector.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const point = (measurement: string, i: number): Point =>
  measurement === 'agent_health'
    ? {
        measurement,
        tags: { hostname: 'h', version: 't' },
        fields: { queue_points: i },
        time: 1_700_000_000_000 + i,
      }
    : { measurement, tags: { hostname: 'h' }, fields: { uptime_s: i }, time: 1_700_000_000_000 + i };

/** An outbox whose queue directory can be taken away, so its writes really fail (ENOENT). */
async function outboxWithBreakableQueue(reserveMaxPoints = 5) {
  const dir = mkdtempSync(join(tmpdir(), 'hatang-outbox-test-'));
  dirs.push(dir);
  const queueDir = join(dir, 'queue');
  const queue = await DiskQueue.open(queueDir, 1_000_000);
  const counters = zeroCounters();
  const { log, lines } = capturedLog();
  let n = 0;
  const outbox = new Outbox({
    queue,
    batchMaxPoints: 10,
    counters,
    countersFile: join(dir, 'gone', 'counters.json'),
    batchId: () => `b${n++}`,
    log,
    reserveMaxPoints,
  });
  return {
    outbox,
    queue,
    counters,
    lines,
    countersFile: join(dir, 'gone', 'counters.json'),
    breakQueue: () => rmSync(queueDir, { recursive: true }),
    repair: () => {
      mkdirSync(join(queueDir, 'rejected'), { recursive: true });
      mkdirSync(join(dir, 'gone'), { recursive: true });
    },
  };
}

describe('Outbox', () => {
  it('counts every point a failed queue write loses, keeps agent_health in memory, and counts reserve overflow too', async () => {
    const t = await outboxWithBreakableQueue(5);
    t.breakQueue();
    const produced = [
      ...Array.from({ length: 7 }, (_, i) => point('host', i)),
      ...Array.from({ length: 8 }, (_, i) => point('agent_health', i)),
    ];
    await t.outbox.keep(produced);
    // 7 host points lost at once, 8 health points kept in a reserve of 5: the 3 oldest lost too.
    expect(t.counters).toMatchObject({ dropped_disk_full_points: 10, dropped_points: 10 });
    expect(t.outbox.reservePoints).toBe(5);
    expect(t.outbox.lastWriteError).toMatch(/ENOENT/);
    expect(t.lines.filter((l) => l.level === 50)).toHaveLength(1);

    t.repair();
    const batch = await t.outbox.memoryBatch();
    // Writable again: the reserve moved to the disk queue instead of being sent from memory.
    expect(batch).toBeUndefined();
    expect(t.queue.points).toBe(5);
    expect(t.outbox.reservePoints).toBe(0);
    expect(t.outbox.lastWriteError).toBeUndefined();
    const queued = (await t.queue.peek(100)).flatMap((i) => i.batch.points);
    expect(queued.map((p) => p.fields.queue_points)).toEqual([3, 4, 5, 6, 7]);
    expect(queued.length + t.counters.dropped_points).toBe(produced.length);
  });

  it('hands the reserve to the sender while the disk stays unwritable, and forgets only what was delivered', async () => {
    const t = await outboxWithBreakableQueue(50);
    t.breakQueue();
    await t.outbox.keep(Array.from({ length: 12 }, (_, i) => point('collector_run', i)));
    const first = await t.outbox.memoryBatch();
    expect(first?.points).toHaveLength(10);
    await t.outbox.memoryDelivered(first!, 'sent');
    const second = await t.outbox.memoryBatch();
    expect(second?.points.map((p) => p.fields.uptime_s)).toEqual([10, 11]);
    await t.outbox.memoryDelivered(second!, 'rejected');
    expect(t.outbox.reservePoints).toBe(0);
    expect(t.counters.rejected_points).toBe(2);
    expect(t.counters.dropped_points).toBe(0);
  });

  it('saves counters once the disk has room again', async () => {
    const t = await outboxWithBreakableQueue();
    t.breakQueue();
    await t.outbox.keep([point('host', 1)]);
    expect(existsSync(t.countersFile)).toBe(false);
    t.repair();
    await t.outbox.saveCounters();
    expect(JSON.parse(readFileSync(t.countersFile, 'utf8'))).toMatchObject({ dropped_disk_full_points: 1 });
    expect(readdirSync(join(t.countersFile, '..')).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
