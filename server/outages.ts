import { ping } from '../protocol/index.js';
import type { QuerySeries, Storage } from './storage/index.js';

/**
 * Outages from the down points of `ping`. Down points of one target closer than 1.5 cycles apart are
 * one outage; it ends at the first point after its last down point (up: recovered) or, when points
 * stop, at the end of its last down cycle (`no_data`).
 *
 * The same fold runs over raw points and over the pieces the hourly roll-ups keep (server/rollups.ts):
 * a roll-up holds, per endpoint and hour, the runs of down points inside the hour, each with the point
 * that followed it. Runs of consecutive hours join when the gap between them is short enough, exactly
 * as their points would have, so outages over months read one small roll-up per down endpoint-hour
 * instead of every down point and one look-up per outage.
 */

/** Default cycle when a point carries no interval_s: the ping collector's default, s. */
export const defaultCycleIntervalS = 60;

/**
 * The roll-up format the hour marks state (`format`): 2 keeps each endpoint-hour's down runs
 * (`down_runs`). Hours rolled up in an older format are read raw.
 */
export const rollupFormat = 2;

/** Points read per query when down points are walked; what bounds the server's memory. */
export const pageSize = 5_000;

const M = `"${ping.name}"`;
const f = ping.fields;
export const UP = `"${'up' satisfies keyof typeof f}"`;
export const CAUSE = `"${'cause' satisfies keyof typeof f}"`;
export const PARENT = `"${'parent_id' satisfies keyof typeof f}"`;
export const INTERVAL = `"${'interval_s' satisfies keyof typeof f}"`;
/** The fields a ping row of {@link pingRows} is read from. */
export const pingColumns = `${UP}, ${CAUSE}, ${PARENT}, ${INTERVAL}`;

/** An InfluxQL string literal (InfluxQL has no parameters). */
export function literal(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Where one point of a target stands. */
export interface PingRow {
  t: number;
  up: boolean;
  cause: string;
  parent: string;
  intervalMs: number;
}

/** The ping rows of a query answer, in its order. */
export function pingRows(series: QuerySeries | undefined): PingRow[] {
  const values = series?.values ?? [];
  const columns = series?.columns ?? [];
  const [iT, iUp, iCause, iParent, iInterval] = ['time', 'up', 'cause', 'parent_id', 'interval_s'].map((c) =>
    columns.indexOf(c),
  );
  const out: PingRow[] = [];
  for (const v of values) {
    const interval = Number(v[iInterval ?? -1]);
    out.push({
      t: Number(v[iT ?? 0]),
      up: v[iUp ?? -1] === true,
      cause: String(v[iCause ?? -1] ?? ''),
      parent: String(v[iParent ?? -1] ?? ''),
      intervalMs: (Number.isFinite(interval) && interval > 0 ? interval : defaultCycleIntervalS) * 1000,
    });
  }
  return out;
}

/** Statements per request when many small look-ups are batched. */
const statementsPerRequest = 200;

/**
 * Each statement's series, in order: batched into few requests when the storage can (`queryMany`),
 * one by one otherwise.
 */
export async function queryAll(
  storage: Storage,
  statements: readonly string[],
  signal?: AbortSignal,
): Promise<QuerySeries[][]> {
  if (!storage.queryMany) {
    const out: QuerySeries[][] = [];
    for (const q of statements) out.push(await storage.query(q, signal));
    return out;
  }
  const out: QuerySeries[][] = [];
  for (let i = 0; i < statements.length; i += statementsPerRequest) {
    out.push(...(await storage.queryMany(statements.slice(i, i + statementsPerRequest), signal)));
  }
  return out;
}

/** The first page of a target's down points in [fromMs, toMs), oldest first. */
export function downPointsQuery(targetId: string, fromMs: number, toMs: number): string {
  return `SELECT ${pingColumns} FROM ${M} WHERE "target_id" = ${literal(targetId)} AND ${UP} = false AND time >= ${Math.trunc(fromMs)}ms AND time < ${Math.trunc(toMs)}ms ORDER BY time ASC LIMIT ${pageSize}`;
}

/**
 * The down points of one target in [fromMs, toMs), oldest first, a page at a time. Pages follow the
 * time of the last point read; points sharing that time (several pollers' cycles) are skipped by
 * count, so none is read twice or lost.
 */
export async function* downPointsOf(
  storage: Storage,
  targetId: string,
  fromMs: number,
  toMs: number,
  signal?: AbortSignal,
): AsyncGenerator<PingRow> {
  let cursor = Math.trunc(fromMs);
  let skip = 0;
  for (;;) {
    const series = await storage.query(downPointsQuery(targetId, cursor, toMs), signal);
    const rows = pingRows(series[0]);
    let skipped = 0;
    let last = cursor;
    let atLast = skip;
    for (const row of rows) {
      if (row.t === cursor && skipped < skip) {
        skipped++;
        continue;
      }
      if (row.t === last) atLast++;
      else {
        last = row.t;
        atLast = 1;
      }
      yield row;
    }
    if (rows.length < pageSize) return;
    if (last === cursor && atLast <= skip) {
      throw new Error(`availability: more than ${pageSize} points of ${targetId} at one time (${cursor})`);
    }
    cursor = last;
    skip = atLast;
  }
}

/** The point after a run, as a roll-up saw it. */
export interface NextPoint {
  t: number;
  up: boolean;
}

/**
 * Down points no more than 1.5 cycles apart: a whole outage, or the part of one inside an hour (a
 * roll-up's piece), which {@link joinRun} joins with the next piece as their points would have joined.
 */
export interface DownRun {
  start: number;
  lastDown: number;
  /** The cycle of the last down point, ms. */
  intervalMs: number;
  /** Down points per cause. */
  causes: Map<string, number>;
  /** The upstream endpoint named by the latest down point that named one. */
  parent: string;
  /**
   * The first point after `lastDown` within 1.5 cycles, looked up when the roll-up was made (null:
   * there was none then); undefined when not looked up yet.
   */
  next?: NextPoint | null;
  /** When `next` was looked up (the roll-up's time): a point written later may be missing. */
  nextSeenAt?: number;
}

/** Whether a down point (or a run starting then) continues `run`. */
const continues = (run: DownRun, t: number) => t - run.lastDown <= run.intervalMs * 1.5;

/** Adds a down point (in time order) to the runs it belongs to. */
export function foldDown(runs: DownRun[], p: PingRow): void {
  const run = runs[runs.length - 1];
  if (run && continues(run, p.t)) {
    run.lastDown = p.t;
    run.intervalMs = p.intervalMs;
    run.causes.set(p.cause, (run.causes.get(p.cause) ?? 0) + 1);
    if (p.parent) run.parent = p.parent;
    return;
  }
  runs.push({
    start: p.t,
    lastDown: p.t,
    intervalMs: p.intervalMs,
    causes: new Map([[p.cause, 1]]),
    parent: p.parent,
  });
}

/**
 * Adds a run (runs in order of start) to `runs`, joining it to the last one when its first point
 * would have joined: the result is what folding all their points would give.
 */
export function joinRun(runs: DownRun[], piece: DownRun): void {
  const run = runs[runs.length - 1];
  if (run && continues(run, piece.start)) {
    run.lastDown = piece.lastDown;
    run.intervalMs = piece.intervalMs;
    for (const [c, n] of piece.causes) run.causes.set(c, (run.causes.get(c) ?? 0) + n);
    if (piece.parent) run.parent = piece.parent;
    if (piece.next !== undefined) run.next = piece.next;
    else delete run.next;
    if (piece.nextSeenAt !== undefined) run.nextSeenAt = piece.nextSeenAt;
    else delete run.nextSeenAt;
    return;
  }
  runs.push({ ...piece, causes: new Map(piece.causes) });
}

/** The statement reading the first point of a target after `afterMs` and no later than `untilMs`. */
export function nextPointQuery(targetId: string, afterMs: number, untilMs: number): string {
  return `SELECT ${pingColumns} FROM ${M} WHERE "target_id" = ${literal(targetId)} AND time > ${Math.trunc(afterMs)}ms AND time <= ${Math.trunc(untilMs)}ms ORDER BY time ASC LIMIT 1`;
}

/** How far after a run's last down point its next point is looked for, and never past `nowMs`. */
export const nextPointUntil = (run: DownRun, nowMs: number) =>
  Math.min(run.lastDown + run.intervalMs * 1.5, nowMs);

/**
 * The point after each run of a target, looked up in batches (a month of short outages is a few
 * requests); runs with a usable `next` already are not looked up. Never past `nowMs`: a snapshot
 * "as of" a past time must not see what came after it.
 */
export async function lookUpNext(
  storage: Storage,
  targetId: string,
  runs: DownRun[],
  nowMs: number,
  usable: (run: DownRun) => boolean,
  signal?: AbortSignal,
): Promise<void> {
  const missing = runs.filter((r) => !usable(r));
  const answers = await queryAll(
    storage,
    missing.map((r) => nextPointQuery(targetId, r.lastDown, nextPointUntil(r, nowMs))),
    signal,
  );
  missing.forEach((r, i) => {
    const p = pingRows(answers[i]?.[0])[0];
    r.next = p ? { t: p.t, up: p.up } : null;
    r.nextSeenAt = nowMs;
  });
}

/** How an outage ended. */
export type OutageEnd = 'up' | 'no_data' | 'after_window' | 'ongoing';

/** One outage of a target inside a window, before the registry's names are added. */
export interface TargetOutage {
  target_id: string;
  /** Start of the outage, or the window's start when it began earlier. */
  start: string;
  /** The first point after it (or the window's end, or the end of the last down cycle when data stops). */
  end: string;
  /** Down time inside the window, s. */
  duration_s: number;
  cause: string;
  parent_id: string;
  ended_by: OutageEnd;
  starts_before_window: boolean;
  ends_after_window: boolean;
  /** Still down at the latest cycle, which is recent (the window ends now). */
  ongoing: boolean;
}

/**
 * The outage a run (with its `next` looked up) makes in the window [fromMs, toMs), clipped to it;
 * undefined when nothing of it falls inside. Durations count only the part inside the window.
 */
export function outageOf(
  targetId: string,
  run: DownRun,
  window: { fromMs: number; toMs: number; nowMs: number },
): TargetOutage | undefined {
  const { fromMs, toMs, nowMs } = window;
  const next = run.next;
  let end: number;
  let endedBy: OutageEnd;
  if (next?.up) [end, endedBy] = [next.t, 'up'];
  else if (next) [end, endedBy] = [next.t, 'after_window'];
  // Points of a cycle are stamped at its start and land after the sweep and the agent's send: the
  // latest point of a running poller can be nearly two intervals old.
  else if (nowMs - run.lastDown <= run.intervalMs * 2 && toMs >= nowMs - 1)
    [end, endedBy] = [nowMs, 'ongoing'];
  else [end, endedBy] = [run.lastDown + run.intervalMs, 'no_data'];
  const start = Math.max(run.start, fromMs);
  const clippedEnd = Math.min(end, toMs);
  if (clippedEnd <= fromMs || start >= toMs || clippedEnd <= start) return undefined;
  let cause = 'down';
  let most = 0;
  for (const [c, n] of run.causes) {
    if (n > most && c) [cause, most] = [c, n];
  }
  return {
    target_id: targetId,
    start: new Date(start).toISOString(),
    end: new Date(clippedEnd).toISOString(),
    duration_s: Math.round((clippedEnd - start) / 1000),
    cause,
    parent_id: cause === 'parent_down' ? run.parent : '',
    ended_by: endedBy,
    starts_before_window: run.start < fromMs,
    ends_after_window: end > toMs,
    ongoing: endedBy === 'ongoing',
  };
}

/**
 * A roll-up's runs of one endpoint-hour as a string field: JSON of [start offset ms, last down offset
 * ms, interval s, parent, {cause: down points}, next offset ms or null, next up or null, looked up at ms].
 */
export function encodeRuns(hour: number, runs: readonly DownRun[]): string {
  return JSON.stringify(
    runs.map((r) => [
      r.start - hour,
      r.lastDown - hour,
      r.intervalMs / 1000,
      r.parent,
      Object.fromEntries(r.causes),
      r.next ? r.next.t - hour : null,
      r.next ? r.next.up : null,
      r.nextSeenAt ?? null,
    ]),
  );
}

/** The runs {@link encodeRuns} wrote; throws naming what is wrong when the text is not such runs. */
export function decodeRuns(hour: number, text: string): DownRun[] {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) throw new Error('roll-up down_runs: not a list');
  return parsed.map((r, i): DownRun => {
    if (!Array.isArray(r) || r.length !== 8) throw new Error(`roll-up down_runs: run ${i} is not 8 values`);
    const [start, last, intervalS, parent, causes, nextOff, nextUp, seenAt] = r as unknown[];
    const n = (v: unknown, what: string) => {
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new Error(`roll-up down_runs: run ${i}: ${what} is not a number`);
      return v;
    };
    if (typeof parent !== 'string' || typeof causes !== 'object' || causes === null)
      throw new Error(`roll-up down_runs: run ${i}: parent or causes malformed`);
    const run: DownRun = {
      start: hour + n(start, 'start'),
      lastDown: hour + n(last, 'last down'),
      intervalMs: n(intervalS, 'interval') * 1000,
      parent,
      causes: new Map(Object.entries(causes).map(([c, k]) => [c, n(k, `cause ${c}`)])),
    };
    if (seenAt !== null) {
      run.next = nextOff === null ? null : { t: hour + n(nextOff, 'next'), up: nextUp === true };
      run.nextSeenAt = n(seenAt, 'looked-up time');
    }
    return run;
  });
}
