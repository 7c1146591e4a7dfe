import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { sleep } from '../../lib/sleep.js';
import { collectorRun, lookupMeasurement, type Point, pointProblems } from '../../protocol/index.js';
import { type CollectContext, type CollectedPoint, type Collector, PartialRunError } from '../collector.js';
import { type CollectorEntry, runTimeoutOf } from '../config.js';

/** The outcome of one run of one collector, as reported in collector_run and the status file. */
export interface RunResult {
  collector: string;
  startedAt: number;
  success: boolean;
  durationMs: number;
  points: Point[];
  error: string;
  /** What the collector asked to run once the points are queued (ctx.onQueued); only on success. */
  afterQueued: (() => Promise<void> | void)[];
}

export interface SchedulerOptions {
  entries: readonly CollectorEntry[];
  registry: Record<string, Collector>;
  hostname: string;
  stateDir: string;
  log: Logger;
  /** Receives each run's valid points plus its collector_run point. */
  deliver: (result: RunResult) => Promise<void>;
  /**
   * The role of the agent's credential, once enrolled. Points of measurements that role may not
   * write (a PC agent running the ping or snmp collector) are dropped here and the run says why,
   * instead of the server refusing every batch they would be merged into.
   */
  role?: () => string | undefined;
}

/**
 * How long a collector has, after its run's signal aborted, to hand back what it finished (a
 * PartialRunError) before its result is given up as lost: a tenth of the run timeout, 100 ms to 2 s.
 * A collector that honours its signal cancels its I/O at once and needs milliseconds.
 */
const abortGraceMs = (timeoutMs: number) => Math.min(2_000, Math.max(100, timeoutMs / 10));

/**
 * Runs each configured collector on its own interval. Runs of one collector never overlap: the next
 * starts one interval after the previous started, or at once if it ran long. A run that throws or
 * passes its timeout is logged and reported as collector_run success=false; the others go on. A run
 * cut short by its timeout keeps what the collector finished when it says so with a PartialRunError.
 */
export class Scheduler {
  private readonly memories = new Map<string, Map<string, unknown>>();
  private loops: Promise<void>[] = [];

  constructor(private readonly o: SchedulerOptions) {}

  /** Runs every collector once, concurrently, and resolves when all have delivered. */
  async runOnce(signal: AbortSignal): Promise<RunResult[]> {
    return Promise.all(this.o.entries.map((e) => this.runAndDeliver(e, signal)));
  }

  start(signal: AbortSignal): void {
    this.loops = this.o.entries.map((entry) => this.loop(entry, signal));
  }

  /** Resolves when every loop has seen the abort and finished its current run. */
  async stopped(): Promise<void> {
    await Promise.all(this.loops);
  }

  private async loop(entry: CollectorEntry, signal: AbortSignal): Promise<void> {
    // Spread the first runs over a few seconds so collectors don't all start on the same tick.
    await sleep(Math.random() * Math.min(entry.interval, 3_000), signal);
    while (!signal.aborted) {
      const started = Date.now();
      await this.runAndDeliver(entry, signal);
      await sleep(Math.max(0, started + entry.interval - Date.now()), signal);
    }
  }

  private async runAndDeliver(entry: CollectorEntry, signal: AbortSignal): Promise<RunResult> {
    const result = await this.run(entry, signal);
    try {
      await this.o.deliver(result);
    } catch (err) {
      this.o.log.error({ err, collector: result.collector }, "cannot queue the run's points");
      return result;
    }
    for (const task of result.afterQueued) {
      try {
        await task();
      } catch (err) {
        this.o.log.error({ err, collector: result.collector }, 'saving collector state failed');
      }
    }
    return result;
  }

  /** One run of one collector, bounded by its timeout; never throws. */
  async run(entry: CollectorEntry, stop: AbortSignal): Promise<RunResult> {
    const id = entry.name ?? entry.type;
    const collector = this.o.registry[entry.type] as Collector;
    const startedAt = Date.now();
    const timeoutMs = runTimeoutOf(entry, collector);
    const ac = new AbortController();
    const onStop = () => ac.abort(new Error('agent stopping'));
    stop.addEventListener('abort', onStop, { once: true });
    const timer = setTimeout(() => ac.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    const log = this.o.log.child({ collector: id });
    const memory = this.memories.get(id) ?? new Map<string, unknown>();
    this.memories.set(id, memory);
    const stateDir = join(this.o.stateDir, id);
    const afterQueued: (() => Promise<void> | void)[] = [];
    const ctx: CollectContext = {
      signal: ac.signal,
      log,
      now: () => startedAt,
      hostname: this.o.hostname,
      stateDir,
      memory,
      onQueued: (task) => {
        afterQueued.push(task);
      },
    };
    let points: Point[] = [];
    let error = '';
    let graceTimer: NodeJS.Timeout | undefined;
    try {
      await mkdir(stateDir, { recursive: true, mode: 0o700 });
      const givenUp = new Promise<never>((_, reject) => {
        ac.signal.addEventListener(
          'abort',
          () => {
            graceTimer = setTimeout(() => reject(ac.signal.reason), abortGraceMs(timeoutMs));
          },
          { once: true },
        );
      });
      // The race makes a collector that ignores its signal still end on time (plus the grace in which
      // a collector that honours it hands back what it finished); its late result is dropped.
      let collected: CollectedPoint[];
      try {
        collected = await Promise.race([collector.collect(entry as never, ctx), givenUp]);
      } catch (err) {
        if (!(err instanceof PartialRunError)) throw err;
        collected = err.points;
        error = err.message;
        log.error({ err }, 'collector run cut short; sending what it finished');
      }
      const checked = validate(
        collected.map((p) => ({ ...p, time: p.time ?? startedAt })),
        this.o.role?.(),
      );
      points = checked.valid;
      if (checked.problems.length > 0) {
        const dropped = `dropped ${checked.dropped} invalid point(s): ${checked.problems.slice(0, 3).join('; ')}`;
        error = error ? `${error}; ${dropped}` : dropped;
        log.error({ problems: checked.problems.slice(0, 20) }, 'collector produced invalid points');
      }
    } catch (err) {
      error = `${(err as Error).message}${(err as Error).cause ? `: ${((err as Error).cause as Error).message ?? ''}` : ''}`;
      log.error({ err }, 'collector run failed');
    } finally {
      clearTimeout(timer);
      clearTimeout(graceTimer);
      stop.removeEventListener('abort', onStop);
    }
    const durationMs = Date.now() - startedAt;
    const success = error === '';
    log.debug({ duration_ms: durationMs, points: points.length, success }, 'collector run');
    points.push({
      measurement: collectorRun.name,
      tags: { hostname: this.o.hostname, collector: id },
      fields: { success, duration_ms: durationMs, points: points.length, error: error.slice(0, 1000) },
      time: startedAt,
    });
    // A run that failed must not save state for points that were never produced.
    return {
      collector: id,
      startedAt,
      success,
      durationMs,
      points,
      error,
      afterQueued: success ? afterQueued : [],
    };
  }
}

/** Keeps the points the server would accept, so one bad point cannot get a whole batch refused. */
function validate(
  points: unknown[],
  role: string | undefined,
): { valid: Point[]; problems: string[]; dropped: number } {
  const valid: Point[] = [];
  const problems: string[] = [];
  points.forEach((p, i) => {
    const issues = pointProblems(p, `points[${i}]`);
    if (issues.length > 0) {
      problems.push(...issues.map((x) => `${x.path}: ${x.message}`));
      return;
    }
    const { measurement } = p as Point;
    const writers: readonly string[] = lookupMeasurement(measurement)?.writers ?? [];
    if (role && !writers.includes(role)) {
      const need = writers.includes('poller')
        ? "enroll this agent with the site's poller token"
        : 'only the server writes it';
      problems.push(`points[${i}]: role "${role}" may not write "${measurement}" (${need})`);
      return;
    }
    valid.push(p as Point);
  });
  return { valid, problems, dropped: points.length - valid.length };
}
