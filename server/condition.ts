import type { Logger } from 'pino';

/** What a condition looks like from /healthz while it holds. */
export interface ConditionState {
  since: string;
  detail: string;
}

/**
 * A fault that can hold for a long time (InfluxDB down, the replayer stuck, the spool's disk full),
 * logged when it starts and when it ends, never in between: a write retried every second for an
 * hour is two log lines, not 3,600. A condition that flaps logs its start at most once per quietMs
 * (with how many starts went unlogged), so the log rate stays bounded whatever happens. Its state
 * is what /healthz and /metrics show.
 *
 * @example
 * const stalled = condition(log, 'spool replay stalled', 'spool replay progressing again');
 * stalled.set('influxdb write: connect ECONNREFUSED'); // logs once
 * stalled.set('influxdb write: connect ECONNREFUSED'); // silent
 * stalled.clear(); // logs once, with how long it held
 */
export function condition(log: Logger, started: string, ended: string, quietMs = 30_000) {
  let since: number | undefined;
  let detail = '';
  /** A condition that flaps (InfluxDB slow, then not, then slow) logs its start at most once per quietMs. */
  let lastLogged = Number.NEGATIVE_INFINITY;
  let unlogged = 0;
  let logged = false;
  return {
    get active(): boolean {
      return since !== undefined;
    },
    get state(): ConditionState | undefined {
      return since === undefined ? undefined : { since: new Date(since).toISOString(), detail };
    },
    set(why: string, fields: Record<string, unknown> = {}): void {
      detail = why;
      if (since !== undefined) return;
      since = Date.now();
      logged = since - lastLogged >= quietMs;
      if (!logged) {
        unlogged++;
        return;
      }
      lastLogged = since;
      log.warn(
        { ...fields, reason: why, ...(unlogged > 0 ? { times_since_last_log: unlogged } : {}) },
        started,
      );
      unlogged = 0;
    },
    clear(fields: Record<string, unknown> = {}): void {
      if (since === undefined) return;
      if (logged) log.info({ ...fields, lasted_ms: Date.now() - since }, ended);
      since = undefined;
      detail = '';
    },
  };
}

export type Condition = ReturnType<typeof condition>;
