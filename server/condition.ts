import type { Logger } from 'pino';

/** What a condition looks like from /healthz while it holds. */
export interface ConditionState {
  since: string;
  detail: string;
}

/**
 * A fault that can hold for a long time (InfluxDB down, the replayer stuck, the spool's disk full),
 * logged when it starts and when it ends, never in between: a write retried every second for an
 * hour is two log lines, not 3,600. Its state is what /healthz and /metrics show.
 *
 * @example
 * const stalled = condition(log, 'spool replay stalled', 'spool replay progressing again');
 * stalled.set('influxdb write: connect ECONNREFUSED'); // logs once
 * stalled.set('influxdb write: connect ECONNREFUSED'); // silent
 * stalled.clear(); // logs once, with how long it held
 */
export function condition(log: Logger, started: string, ended: string) {
  let since: number | undefined;
  let detail = '';
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
      log.warn({ ...fields, reason: why }, started);
    },
    clear(fields: Record<string, unknown> = {}): void {
      if (since === undefined) return;
      log.info({ ...fields, lasted_ms: Date.now() - since }, ended);
      since = undefined;
      detail = '';
    },
  };
}

export type Condition = ReturnType<typeof condition>;
