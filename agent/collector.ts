import type { Logger } from 'pino';
import type { z } from 'zod';
import type { FieldValue } from '../protocol/index.js';

/** A point as a collector returns it; the scheduler fills `time` with the cycle's start when omitted. */
export interface CollectedPoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, FieldValue>;
  time?: number;
}

/** What a collector gets for one run. */
export interface CollectContext {
  /** Aborted when the run's timeout passes or the agent stops; pass it to every I/O call. */
  signal: AbortSignal;
  log: Logger;
  /** Epoch ms; the start of this cycle unless a test says otherwise. */
  now: () => number;
  /** Hostname to tag the points with (from the agent config or the OS). */
  hostname: string;
  /** A directory of this collector instance's own, kept across restarts (e.g. last inventory hash). */
  stateDir: string;
  /** Memory of this collector instance kept between runs (e.g. previous counters for rates). */
  memory: Map<string, unknown>;
  /**
   * Runs `task` once this run's points are in the agent's on-disk queue: for state that must not get
   * ahead of the data it describes (a crash between saving "already reported" and queueing the report
   * would lose the report). Absent outside the agent runtime, where a collector saves at once.
   */
  onQueued?: (task: () => Promise<void> | void) => void;
}

/**
 * Thrown by a collector whose run was cut short (its signal aborted) to hand back the points it did
 * finish: the scheduler sends them and reports the run as failed with this message, which names what
 * did not finish. A collector that throws anything else loses its run's points.
 *
 * @example
 * if (ctx.signal.aborted) throw new PartialRunError(`snmp: 2 devices did not finish: ups-a, ups-b`, done);
 */
export class PartialRunError extends Error {
  constructor(
    message: string,
    readonly points: CollectedPoint[],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'PartialRunError';
  }
}

/** A problem a collector finds in its config entry once the run's timeout is known (see `check`). */
export interface EntryProblem {
  path: (string | number)[];
  message: string;
}

/**
 * The whole contract of a collector: a name (also its config `type:` and measurement prefix), a strict
 * zod schema for its own config keys, and `collect`, which does the I/O. A target that is down is
 * data (a point saying so); throwing means the collector itself could not run.
 *
 * @example
 * export const uptime = defineCollector({
 *   name: 'uptime',
 *   defaultInterval: '60s',
 *   config: z.strictObject({}),
 *   async collect(_cfg, ctx) {
 *     return [{ measurement: 'host', tags: { hostname: ctx.hostname }, fields: { uptime_s: os.uptime() } }];
 *   },
 * });
 */
export interface Collector<S extends z.ZodObject = z.ZodObject> {
  name: string;
  /** How often to run when the config does not say, e.g. "30s". */
  defaultInterval: string;
  /** Longest a run may take when the config does not say (never more than the interval); default: the interval. */
  defaultTimeout?: string;
  /** Strict schema of the collector's own keys (`type`, `interval`, `timeout` are added by the agent). */
  config: S;
  collect(cfg: z.output<S>, ctx: CollectContext): Promise<CollectedPoint[]>;
  /**
   * Cross-checks the entry against its run timeout (`runTimeoutMs`, what the scheduler will allow) at
   * config load and `--check`; each problem is reported at its path in the entry.
   */
  check?(cfg: z.output<S>, run: { runTimeoutMs: number }): EntryProblem[];
}

export function defineCollector<S extends z.ZodObject>(collector: Collector<S>): Collector<S> {
  return collector;
}
