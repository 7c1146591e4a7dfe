import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type CollectedPoint, defineCollector, PartialRunError } from '../collector.js';
import { runTimeoutOf } from '../config.js';
import { type RunResult, Scheduler } from './scheduler.js';

/** A collector of the test's own: reports one host point, asks to save state once it is queued. */
function recordingCollector(
  events: string[],
  behaviour: 'ok' | 'throws' | 'hangs' | 'invalid' | 'partial' = 'ok',
) {
  return defineCollector({
    name: 'probe',
    defaultInterval: '1s',
    config: z.strictObject({}),
    async collect(_cfg, ctx) {
      ctx.onQueued?.(() => {
        events.push('state saved');
      });
      if (behaviour === 'throws') throw new Error('probe: device unreachable');
      if (behaviour === 'hangs') await new Promise((r) => setTimeout(r, 5_000));
      if (behaviour === 'partial') {
        // One target answered, the other never does: on abort, hand back what finished.
        const done = [{ measurement: 'host', tags: { hostname: ctx.hostname }, fields: { uptime_s: 7 } }];
        await new Promise((r) => ctx.signal.addEventListener('abort', r, { once: true }));
        throw new PartialRunError('probe: 1 of 2 targets did not finish: slow-target', done);
      }
      events.push('collected');
      return [
        {
          measurement: 'host',
          tags: { hostname: ctx.hostname },
          fields: behaviour === 'invalid' ? { uptime_s: 1.5 } : { uptime_s: 1 },
        },
      ];
    },
  });
}

function scheduler(
  events: string[],
  behaviour: Parameters<typeof recordingCollector>[1],
  deliver?: (r: RunResult) => Promise<void>,
) {
  return new Scheduler({
    entries: [{ type: 'probe', interval: 1_000, timeout: 200 }],
    registry: { probe: recordingCollector(events, behaviour) },
    hostname: 'pc-test',
    stateDir: tmpdir(),
    log: pino({ level: 'silent' }),
    deliver:
      deliver ??
      (async (r) => {
        events.push(`queued ${r.points.length}`);
      }),
  });
}

describe('Scheduler', () => {
  it('saves collector state only after the run is queued', async () => {
    const events: string[] = [];
    const [result] = await scheduler(events, 'ok').runOnce(new AbortController().signal);
    expect(result).toMatchObject({ success: true, error: '' });
    expect(events).toEqual(['collected', 'queued 2', 'state saved']);
  });

  it('does not save state when the points could not be queued', async () => {
    const events: string[] = [];
    await scheduler(events, 'ok', async () => {
      throw new Error('disk full');
    }).runOnce(new AbortController().signal);
    expect(events).toEqual(['collected']);
  });

  it('reports a throwing collector as collector_run success=false, and saves nothing', async () => {
    const events: string[] = [];
    const [result] = await scheduler(events, 'throws').runOnce(new AbortController().signal);
    expect(result?.error).toBe('probe: device unreachable');
    expect(result?.points).toEqual([
      expect.objectContaining({
        measurement: 'collector_run',
        fields: expect.objectContaining({ success: false }),
      }),
    ]);
    expect(events).toEqual(['queued 1']);
  });

  it('ends a run at its timeout even when the collector ignores its signal', async () => {
    const events: string[] = [];
    const started = Date.now();
    const [result] = await scheduler(events, 'hangs').runOnce(new AbortController().signal);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result?.error).toBe('timed out after 200 ms');
  });

  it('drops an invalid point, says which, and keeps the run', async () => {
    const events: string[] = [];
    const [result] = await scheduler(events, 'invalid').runOnce(new AbortController().signal);
    expect(result?.error).toMatch(
      /^dropped 1 invalid point\(s\): points\[0\]\.fields\.uptime_s: expected integer, got float 1\.5/,
    );
    expect(result?.points.map((p) => p.measurement)).toEqual(['collector_run']);
    expect(events).toEqual(['collected', 'queued 1']);
  });

  it('keeps and sends what a collector finished when its run is cut short, naming what did not finish', async () => {
    const events: string[] = [];
    const started = Date.now();
    const [result] = await scheduler(events, 'partial').runOnce(new AbortController().signal);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(result?.success).toBe(false);
    expect(result?.error).toBe('probe: 1 of 2 targets did not finish: slow-target');
    expect(result?.points.map((p) => [p.measurement, p.fields.uptime_s ?? p.fields.success])).toEqual([
      ['host', 7],
      ['collector_run', false],
    ]);
    expect(result?.points.at(-1)?.fields.error).toBe('probe: 1 of 2 targets did not finish: slow-target');
    // A cut-short run saves no state: its onQueued task does not run.
    expect(events).toEqual(['queued 2']);
  });

  it("honours a collector's defaultTimeout when the entry gives none, never beyond the interval", async () => {
    const collector = { ...recordingCollector([], 'hangs'), defaultTimeout: '150ms' };
    expect(runTimeoutOf({ interval: 1_000 }, collector)).toBe(150);
    expect(runTimeoutOf({ interval: 100 }, collector)).toBe(100);
    expect(runTimeoutOf({ interval: 1_000, timeout: 400 }, collector)).toBe(400);
    expect(runTimeoutOf({ interval: 3_600_000 }, recordingCollector([]))).toBe(300_000);
    const s = new Scheduler({
      entries: [{ type: 'probe', interval: 1_000 }],
      registry: { probe: collector },
      hostname: 'pc-test',
      stateDir: tmpdir(),
      log: pino({ level: 'silent' }),
      deliver: async () => {},
    });
    const [result] = await s.runOnce(new AbortController().signal);
    expect(result?.error).toBe('timed out after 150 ms');
  });
});

describe('Scheduler with a role', () => {
  const mixed = defineCollector({
    name: 'mixed',
    defaultInterval: '1s',
    config: z.strictObject({}),
    async collect(_cfg, ctx): Promise<CollectedPoint[]> {
      return [
        { measurement: 'host', tags: { hostname: ctx.hostname }, fields: { uptime_s: 1 } },
        { measurement: 'ping', tags: { source: ctx.hostname, target_id: 'core' }, fields: { up: true } },
      ];
    },
  });
  const run = (role: string | undefined) =>
    new Scheduler({
      entries: [{ type: 'mixed', interval: 1_000, timeout: 1_000 }],
      registry: { mixed },
      hostname: 'pc-test',
      stateDir: tmpdir(),
      log: pino({ level: 'silent' }),
      role: () => role,
      deliver: async () => {},
    }).runOnce(new AbortController().signal);

  it('drops what a PC agent may not write, keeps the rest, and says what to do', async () => {
    const [result] = await run('agent');
    expect(result?.points.map((p) => p.measurement)).toEqual(['host', 'collector_run']);
    expect(result?.error).toBe(
      `dropped 1 invalid point(s): points[1]: role "agent" may not write "ping" (enroll this agent with the site's poller token)`,
    );
  });

  it('keeps everything for a poller, and before the role is known', async () => {
    for (const role of ['poller', undefined]) {
      const [result] = await run(role);
      expect(result?.points.map((p) => p.measurement)).toEqual(['host', 'ping', 'collector_run']);
      expect(result?.error).toBe('');
    }
  });
});
