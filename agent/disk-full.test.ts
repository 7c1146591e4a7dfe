import { execFileSync } from 'node:child_process';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusLines } from '../cli/agent-command.js';
import type { Point } from '../protocol/index.js';
import { waitFor } from '../test/harness/ports.js';
import { agentConfigSchema } from './config.js';
import { runAgent } from './main.js';
import type { AgentStatus, Counters } from './runtime/state.js';
import { capturedLog, startTestCollector, type TestCollector } from './runtime/test-collector.js';

/**
 * The agent's state dir on a small tmpfs that another file fills while the server is down, then
 * frees: every point the agent produced must be either acknowledged by the server or counted as
 * dropped, and agent_health must keep getting out.
 */

const root = mkdtempSync(join(tmpdir(), 'hatang-disk-full-'));
const mnt = join(root, 'state');
let mounted = '';
let collector: TestCollector;

beforeAll(async () => {
  execFileSync('mkdir', ['-p', mnt]);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', mnt], { stdio: 'pipe' });
    mounted = mnt;
  } catch (err) {
    mounted = '';
    console.warn(`disk-full test skipped: cannot mount a tmpfs (needs root): ${(err as Error).message}`);
  }
  collector = await startTestCollector();
});
afterAll(async () => {
  await collector?.close();
  if (mounted) execFileSync('umount', [mounted]);
  rmSync(root, { recursive: true, force: true });
});

/** Writes into `file` until the file system says it is full; returns the bytes written. */
function fill(file: string): number {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  let written = 0;
  try {
    for (let i = 0; i < 10_000; i++) written += writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return written;
}

const tempFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((n) => n.endsWith('.tmp'));

describe('the agent with its state dir on a full disk', () => {
  it('counts every point it could not keep, still reports agent_health, leaves no .tmp files, and accounts exactly once freed', async (ctx) => {
    if (!mounted) ctx.skip('cannot mount a tmpfs here (needs root)');
    const stateDir = join(mnt, 'agent');
    const config = agentConfigSchema.parse({
      agent: { state_dir: stateDir, hostname: 'pc-full' },
      server: { urls: [collector.url], enrollment_token: 'site-token-0123456789', request_timeout: '10s' },
      queue: { send_interval: '200ms', backoff_max: '300ms' },
      health_interval: '1s', // the floor (agent/config.ts intervalFloors)
      collectors: [{ type: 'host', interval: '1s' }],
    });
    const { log, lines } = capturedLog();
    const stop = new AbortController();
    const run = runAgent(config, log, { signal: stop.signal });
    let stopped = false;
    try {
      await waitFor('enrolled and delivering', () => collector.points.length > 0, { timeoutMs: 20_000 });
      collector.ingest = 'down';
      // Once a send has been refused, none is in flight that could still free queue files.
      const seen = collector.calls.ingest;
      await waitFor('a refused send', () => collector.calls.ingest > seen, { timeoutMs: 20_000 });
      const filler = join(mnt, 'filler');
      fill(filler);
      const fullAt = Date.now();
      const writeFailures = () =>
        lines.filter((l) => l.msg === 'cannot write the send queue: dropping these points and counting them');
      await waitFor('several runs dropped on the full disk', () => writeFailures().length >= 12, {
        timeoutMs: 30_000,
      });
      // Only the first failure of the episode is an error; the rest are debug, so the log is not flooded.
      expect(writeFailures().filter((l) => l.level === 50)).toHaveLength(1);
      // A write may be in flight at any instant; what must never happen is a temp file that stays.
      await waitFor('no cut-short temp file left behind', () => tempFiles(mnt).length === 0, {
        timeoutMs: 5_000,
        everyMs: 20,
      });

      // The server is back while the disk is still full: agent_health goes out straight from memory.
      collector.ingest = 'good';
      const upAt = Date.now();
      await waitFor(
        'agent_health sent from memory while the disk is full',
        () => collector.points.some((p) => p.measurement === 'agent_health' && (p.time as number) > upAt),
        { timeoutMs: 30_000 },
      );
      expect(fill(join(mnt, 'filler-2'))).toBeLessThan(64 * 1024);

      unlinkSync(filler);
      unlinkSync(join(mnt, 'filler-2'));
      const freedAt = Date.now();
      await waitFor(
        'a report of the drops after the disk was freed',
        () =>
          collector.points.some(
            (p) =>
              p.measurement === 'agent_health' &&
              (p.time as number) > freedAt &&
              (p.fields.dropped_disk_full_points as number) > 0 &&
              p.fields.reserve_points === 0,
          ),
        { timeoutMs: 30_000 },
      );
      // agent_health has no gap: the points made while the disk was full came out of memory.
      const healthWhileFull = collector.points.filter(
        (p) =>
          p.measurement === 'agent_health' &&
          (p.time as number) > fullAt + 300 &&
          (p.time as number) < freedAt,
      );
      // (Before, none got out: the queue write failed and the point was discarded.)
      expect(healthWhileFull.length).toBeGreaterThanOrEqual(2);

      stop.abort();
      expect(await run).toBe(0);
      stopped = true;

      const counters = JSON.parse(readFileSync(join(stateDir, 'counters.json'), 'utf8')) as Counters;
      const queued = readdirSync(join(stateDir, 'queue'))
        .map((n) => /^\d{16}-(\d+)\.json$/.exec(n)?.[1])
        .reduce((sum, n) => sum + (n ? Number(n) : 0), 0);
      const acknowledged = collector.points.length;
      // Every run reports how many points it made (plus its own collector_run point), every agent_health is one.
      const produced = collector.points.reduce(
        (n: number, p: Point) =>
          n +
          (p.measurement === 'collector_run' ? (p.fields.points as number) + 1 : 0) +
          (p.measurement === 'agent_health' ? 1 : 0),
        0,
      );
      expect(counters.dropped_disk_full_points).toBeGreaterThan(0);
      expect(counters.dropped_points).toBe(
        counters.dropped_disk_full_points + counters.dropped_queue_full_points,
      );
      expect(acknowledged + counters.dropped_points + queued).toBe(produced);
      expect(tempFiles(mnt)).toEqual([]);

      const status = JSON.parse(readFileSync(join(stateDir, 'status.json'), 'utf8')) as AgentStatus;
      const shown = statusLines({ status, enrollment: undefined, running: false, statusFile: '' }).join('\n');
      expect(shown).toContain(
        `dropped:     ${counters.dropped_points} points (queue full 0, disk full ${counters.dropped_disk_full_points})`,
      );
    } finally {
      if (!stopped) {
        stop.abort();
        await run.catch(() => undefined);
      }
    }
  }, 90_000);
});
