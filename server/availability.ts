import { groupingTagsOf } from '../lib/endpoints/index.js';
import type { Endpoint } from '../lib/endpoints/types.js';
import { ping, pingGroupingTags, pingHourly } from '../protocol/index.js';
import type { QuerySeries, Storage } from './storage/index.js';

/**
 * Availability of the registry's endpoints from the `ping` measurement, with InfluxQL the server builds
 * itself (the window is two integers, target ids are escaped). Counts are aggregated in InfluxDB;
 * outages are found by reading, page by page, the points of only the endpoints that were down, so the
 * server's memory stays bounded however many points fall in the window.
 *
 * Every figure carries its denominator: a point stands for one cycle of `interval_s` seconds (the
 * collector's interval, stored on the point); a window of W seconds at interval I expects W / I
 * cycles; time no point stands for is unknown, never up. Availability is the share of the recorded
 * cycles that were up, and always comes with the coverage it rests on.
 */

/** Groupings the availability API rolls endpoints up by. */
export const availabilityGroups = ['endpoint', 'level', 'district', ...pingGroupingTags] as const;
export type AvailabilityGroup = (typeof availabilityGroups)[number];

/**
 * The interval assumed for points written before ping points carried `interval_s` (and for expected
 * cycles of an endpoint with no point at all): the ping collector's default.
 */
export const defaultCycleIntervalS = 60;

/** Points read per query when outages are walked; what bounds the server's memory. */
const pageSize = 5_000;

/** Endpoints whose outages are walked at once. */
const outageConcurrency = 4;

/** At most this many outages are listed (the most recent); counts and durations cover all of them. */
export const maxListedOutages = 1_000;

/** Availability of one endpoint or group over a window. */
export interface AvailabilityRow {
  key: string;
  name?: string;
  level?: string;
  district?: string;
  former_district?: string;
  area?: string;
  carrier?: string;
  circuit?: string;
  /** Endpoints in the row (1 for an endpoint). */
  endpoints: number;
  /** The cycle interval expected cycles are counted with, s: the longest interval_s of the points (60 without any). */
  interval_s: number;
  /** Cycles the window holds at that interval. */
  expected_cycles: number;
  /** Ping cycles recorded in the window. */
  cycles: number;
  up_cycles: number;
  down_cycles: number;
  /** Down cycles that were down only because an upstream endpoint was down. */
  parent_down_cycles: number;
  /** Time the recorded cycles stand for, s (each point its interval_s), at most the window. */
  monitored_seconds: number;
  /** Time of the window no point stands for: neither up nor down. */
  unknown_seconds: number;
  /** monitored / window, %; 0 when nothing was recorded. */
  coverage_percent: number;
  /** Share of recorded cycles up, %; null when nothing was recorded. Read it with coverage_percent. */
  availability_percent: number | null;
  /** Same, counting parent-down cycles as not this link's fault. */
  own_availability_percent: number | null;
  outages: number;
  /** Down time inside the window, s. */
  outage_seconds: number;
}

export interface Outage {
  target_id: string;
  name?: string;
  level?: string;
  district?: string;
  /** Start of the outage, or the window's start when it began earlier. */
  start: string;
  /** The first up point after it (or the window's end, or the end of the last down cycle when data stops). */
  end: string;
  /** Down time inside the window, s. */
  duration_s: number;
  cause: string;
  parent_id: string;
  /** How it ended: `up` (a point came back up), `no_data` (points stop: the end is unknown), `after_window`, `ongoing`. */
  ended_by: 'up' | 'no_data' | 'after_window' | 'ongoing';
  starts_before_window: boolean;
  ends_after_window: boolean;
  /** Still down at the latest cycle, which is recent (the window ends now). */
  ongoing: boolean;
}

export interface AvailabilityResult {
  /** The window as computed: `to` clipped to now. */
  fromMs: number;
  toMs: number;
  endpoints: AvailabilityRow[];
  outages: Outage[];
  /** All outages in the window; `outages` lists at most {@link maxListedOutages}, the most recent. */
  outagesTotal: number;
}

const M = `"${ping.name}"`;
const f = ping.fields;
// Field names come from the catalogue, so a rename breaks the build rather than these queries.
const UP = `"${'up' satisfies keyof typeof f}"`;
const CAUSE = `"${'cause' satisfies keyof typeof f}"`;
const PARENT = `"${'parent_id' satisfies keyof typeof f}"`;
const INTERVAL = `"${'interval_s' satisfies keyof typeof f}"`;
const rowTags = ['target_id', 'name', 'level', 'district', ...pingGroupingTags] as const;
const GROUP_BY = `GROUP BY ${rowTags.map((t) => `"${t}"`).join(', ')}`;

/** An InfluxQL string literal (InfluxQL has no parameters). */
function literal(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const pct = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 1e6) / 1e4 : null);

export interface Counts {
  tags: Record<string, string>;
  cycles: number;
  up: number;
  parentDown: number;
  intervalSum: number;
  withInterval: number;
  /** The longest interval_s among the target's series (a target whose tags changed has several). */
  interval?: number;
}

/**
 * Folds aggregate series (one per tag combination) into one entry per target: a target whose name or
 * grouping tags changed in the window has several series.
 */
function foldCounts(
  into: Map<string, Counts>,
  series: QuerySeries[],
  add: (c: Counts, row: Record<string, unknown>) => void,
) {
  for (const s of series) {
    const id = s.tags?.target_id;
    if (!id) continue;
    let c = into.get(id);
    if (!c) {
      c = { tags: {}, cycles: 0, up: 0, parentDown: 0, intervalSum: 0, withInterval: 0 };
      into.set(id, c);
    }
    for (const [k, v] of Object.entries(s.tags ?? {})) if (v) c.tags[k] = v;
    for (const values of s.values) {
      add(c, Object.fromEntries(s.columns.map((col, i) => [col, values[i]])));
    }
  }
}

/** Where one point of a target stands. */
interface PingRow {
  t: number;
  up: boolean;
  cause: string;
  parent: string;
  intervalMs: number;
}

/** The ping rows of a query answer, in its order. */
function pingRows(series: QuerySeries | undefined): PingRow[] {
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

const pingColumns = `${UP}, ${CAUSE}, ${PARENT}, ${INTERVAL}`;

/**
 * The down points of one target between two times, oldest first, a page at a time. Pages follow the
 * time of the last point read; points sharing that time (several pollers' cycles) are skipped by
 * count, so none is read twice or lost.
 */
async function* downPointsOf(
  storage: Storage,
  targetId: string,
  fromMs: number,
  toMs: number,
  signal?: AbortSignal,
): AsyncGenerator<PingRow> {
  let cursor = Math.trunc(fromMs);
  let skip = 0;
  for (;;) {
    const series = await storage.query(
      `SELECT ${pingColumns} FROM ${M} WHERE "target_id" = ${literal(targetId)} AND ${UP} = false AND time >= ${cursor}ms AND time < ${Math.trunc(toMs)}ms ORDER BY time ASC LIMIT ${pageSize}`,
      signal,
    );
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

interface Run {
  start: number;
  lastDown: number;
  intervalMs: number;
  causes: Map<string, number>;
  parent: string;
}

/** The statement reading the first point of a target after `afterMs` and no later than `untilMs`. */
function nextPointQuery(targetId: string, afterMs: number, untilMs: number): string {
  return `SELECT ${pingColumns} FROM ${M} WHERE "target_id" = ${literal(targetId)} AND time > ${Math.trunc(afterMs)}ms AND time <= ${Math.trunc(untilMs)}ms ORDER BY time ASC LIMIT 1`;
}

/** Statements per request when many small look-ups are batched. */
const statementsPerRequest = 200;

/**
 * Each statement's series, in order: batched into few requests when the storage can (`queryMany`),
 * one by one otherwise.
 */
async function queryAll(
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

/**
 * The outages of one target in the window [from, to), from its down points in [from − margin,
 * to + margin) so that an outage crossing either edge is seen whole. Down points closer than 1.5
 * cycles apart are one outage; it ends at the first up point after it, looked up once per outage
 * (only down points are read: an endpoint up all month costs nothing, one down for a month costs its
 * down points, a page at a time). When points stop during an outage, its end is unknown: it is counted
 * up to the end of its last down cycle (`no_data`), the rest is unknown time. Durations count only
 * the part inside the window.
 */
async function outagesOf(
  storage: Storage,
  targetId: string,
  window: { fromMs: number; toMs: number; nowMs: number; marginMs: number },
  emit: (o: Omit<Outage, 'name' | 'level' | 'district'>) => void,
  signal?: AbortSignal,
): Promise<void> {
  const { fromMs, toMs, nowMs, marginMs } = window;
  const readTo = Math.min(toMs + marginMs, nowMs + 1);
  const close = (r: Run, end: number, endedBy: Outage['ended_by']) => {
    const start = Math.max(r.start, fromMs);
    const clippedEnd = Math.min(end, toMs);
    if (clippedEnd <= fromMs || start >= toMs || clippedEnd <= start) return;
    let cause = 'down';
    let most = 0;
    for (const [c, n] of r.causes) {
      if (n > most && c) [cause, most] = [c, n];
    }
    emit({
      target_id: targetId,
      start: new Date(start).toISOString(),
      end: new Date(clippedEnd).toISOString(),
      duration_s: Math.round((clippedEnd - start) / 1000),
      cause,
      parent_id: cause === 'parent_down' ? r.parent : '',
      ended_by: endedBy,
      starts_before_window: r.start < fromMs,
      ends_after_window: end > toMs,
      ongoing: endedBy === 'ongoing',
    });
  };
  /** Ends a run at the first point after it: up (recovered), down beyond what was read, or none. */
  const finish = (r: Run, next: PingRow | undefined) => {
    if (next?.up) return close(r, next.t, 'up');
    if (next) return close(r, next.t, 'after_window');
    // Points of a cycle are stamped at its start and land after the sweep and the agent's send: the
    // latest point of a running poller can be nearly two intervals old.
    const current = nowMs - r.lastDown <= r.intervalMs * 2;
    if (current && toMs >= nowMs - 1) return close(r, nowMs, 'ongoing');
    return close(r, r.lastDown + r.intervalMs, 'no_data');
  };
  const runs: Run[] = [];
  let run: Run | undefined;
  for await (const p of downPointsOf(storage, targetId, fromMs - marginMs, readTo, signal)) {
    if (run && p.t - run.lastDown <= run.intervalMs * 1.5) {
      run.lastDown = p.t;
      run.intervalMs = p.intervalMs;
      run.causes.set(p.cause, (run.causes.get(p.cause) ?? 0) + 1);
      if (p.parent) run.parent = p.parent;
      continue;
    }
    if (run) runs.push(run);
    run = {
      start: p.t,
      lastDown: p.t,
      intervalMs: p.intervalMs,
      causes: new Map([[p.cause, 1]]),
      parent: p.parent,
    };
  }
  if (run) runs.push(run);
  // The point after each run, looked up in batches: a month of short outages is a few requests.
  // Never past `nowMs`: a snapshot "as of" a past time must not see what came after it.
  const nexts = await queryAll(
    storage,
    runs.map((r) => nextPointQuery(targetId, r.lastDown, Math.min(r.lastDown + r.intervalMs * 1.5, nowMs))),
    signal,
  );
  runs.forEach((r, i) => {
    finish(r, pingRows(nexts[i]?.[0])[0]);
  });
}

const HOURLY = `"${pingHourly.name}"`;
const HOUR_MS = 3_600_000;

/**
 * Cycles, up and parent-down cycles and interval sums per target over [fromMs, toMs), from raw
 * points: three aggregate queries, however long the window.
 */
export async function countCycles(
  storage: Storage,
  fromMs: number,
  toMs: number,
  signal?: AbortSignal,
  into: Map<string, Counts> = new Map(),
): Promise<Map<string, Counts>> {
  if (toMs <= fromMs) return into;
  const window = `time >= ${Math.trunc(fromMs)}ms AND time < ${Math.trunc(toMs)}ms`;
  const [all, up, parentDown] = await Promise.all([
    storage.query(
      `SELECT count(${UP}) AS cycles, sum(${INTERVAL}) AS interval_sum, count(${INTERVAL}) AS with_interval, max(${INTERVAL}) AS interval_max FROM ${M} WHERE ${window} ${GROUP_BY}`,
      signal,
    ),
    storage.query(`SELECT count(${UP}) AS n FROM ${M} WHERE ${UP} = true AND ${window} ${GROUP_BY}`, signal),
    storage.query(
      `SELECT count(${UP}) AS n FROM ${M} WHERE ${UP} = false AND ${CAUSE} = 'parent_down' AND ${window} ${GROUP_BY}`,
      signal,
    ),
  ]);
  foldCounts(into, all, (c, r) => {
    c.cycles += Number(r.cycles ?? 0);
    c.intervalSum += Number(r.interval_sum ?? 0);
    c.withInterval += Number(r.with_interval ?? 0);
    // The longest, so expected cycles are never overstated.
    if (typeof r.interval_max === 'number') c.interval = Math.max(c.interval ?? 0, r.interval_max);
  });
  foldCounts(into, up, (c, r) => {
    c.up += Number(r.n ?? 0);
  });
  foldCounts(into, parentDown, (c, r) => {
    c.parentDown += Number(r.n ?? 0);
  });
  return into;
}

/** [start, end) runs of consecutive hours, from a sorted list of hour starts. */
function hourRuns(hours: readonly number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const h of hours) {
    const last = runs[runs.length - 1];
    if (last && last[1] === h) last[1] = h + HOUR_MS;
    else runs.push([h, h + HOUR_MS]);
  }
  return runs;
}

/** Runs of [from, to) not covered by `covered` (sorted, disjoint, inside it). */
function gaps(fromMs: number, toMs: number, covered: readonly [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  let at = fromMs;
  for (const [a, b] of covered) {
    if (a > at) out.push([at, a]);
    at = Math.max(at, b);
  }
  if (at < toMs) out.push([at, toMs]);
  return out;
}

/**
 * How long after an hour closes points may still arrive for it, by default: an agent's backlog up to
 * `ingest.max_point_age` (7 days by default). A roll-up made before then may be missing some, so it
 * is not used: the hour is counted from raw points until the roll-up made after that (the server's
 * hourly recheck) is there. The price is a week of raw points per long window; the figures are exact.
 */
export const defaultRollupFinalAfterMs = 7 * 86_400_000;

/** More separate runs of rolled-up hours than this: the roll-ups are patchy, count from raw points. */
const maxRolledRuns = 48;

/**
 * The counts of {@link countCycles} with the whole hours inside the window read from ping_hourly: hours
 * the server has rolled up (their mark point exists) come from one aggregate over the roll-ups, and
 * the partial hours at the edges and any hour not rolled up yet from raw points. Roll-ups hold the same
 * counts, sums and maxima as the raw aggregates, so the result is the raw result, exactly.
 */
export async function countCyclesWithRollups(
  storage: Storage,
  fromMs: number,
  toMs: number,
  signal?: AbortSignal,
  finalAfterMs: number = defaultRollupFinalAfterMs,
): Promise<Map<string, Counts>> {
  const firstHour = Math.ceil(fromMs / HOUR_MS) * HOUR_MS;
  const lastHour = Math.floor(toMs / HOUR_MS) * HOUR_MS;
  if (lastHour - firstHour < HOUR_MS) return countCycles(storage, fromMs, toMs, signal);
  const marks = await storage.query(
    `SELECT "rolled_at_ms" FROM ${HOURLY} WHERE "target_id" = '' AND time >= ${firstHour}ms AND time < ${lastHour}ms`,
    signal,
  );
  // A roll-up made while points could still arrive for its hour is not trusted (raw points are read)
  // until a later pass has rolled the hour again.
  const hours = (marks[0]?.values ?? [])
    .filter((v) => Number(v[1]) >= Number(v[0]) + HOUR_MS + finalAfterMs)
    .map((v) => Number(v[0]))
    .sort((a, b) => a - b);
  const rolled = hourRuns(hours);
  if (rolled.length === 0 || rolled.length > maxRolledRuns) return countCycles(storage, fromMs, toMs, signal);
  const counts = new Map<string, Counts>();
  // One statement per run of hours: InfluxDB 1.x answers nothing to time ranges joined by OR.
  const answers = await queryAll(
    storage,
    rolled.map(
      ([a, b]) =>
        `SELECT sum("cycles") AS cycles, sum("up_cycles") AS up, sum("parent_down_cycles") AS parent_down, sum("interval_sum_s") AS interval_sum, sum("interval_cycles") AS with_interval, max("interval_max_s") AS interval_max FROM ${HOURLY} WHERE "target_id" != '' AND time >= ${a}ms AND time < ${b}ms GROUP BY "target_id"`,
    ),
    signal,
  );
  const sums = answers.flat();
  foldCounts(counts, sums, (c, r) => {
    c.cycles += Number(r.cycles ?? 0);
    c.up += Number(r.up ?? 0);
    c.parentDown += Number(r.parent_down ?? 0);
    c.intervalSum += Number(r.interval_sum ?? 0);
    c.withInterval += Number(r.with_interval ?? 0);
    // 0 in a roll-up means no point of the hour carried interval_s, as null does in a raw max().
    if (typeof r.interval_max === 'number' && r.interval_max > 0)
      c.interval = Math.max(c.interval ?? 0, r.interval_max);
  });
  await Promise.all(gaps(fromMs, toMs, rolled).map(([a, b]) => countCycles(storage, a, b, signal, counts)));
  return counts;
}

/**
 * Availability per endpoint of the registry (and of targets with points but no longer in it) over
 * [fromMs, toMs); `toMs` beyond `nowMs` is clipped to now, since the future is not measured yet.
 */
export async function computeAvailability(
  storage: Storage,
  registry: readonly Endpoint[],
  fromMs: number,
  requestedToMs: number,
  options: {
    nowMs?: number;
    signal?: AbortSignal;
    /**
     * Count whole hours from ping_hourly (server/rollups.ts) and only the edges from raw points;
     * `finalAfterMs`: how long after an hour closes its points may still arrive (`ingest.max_point_age`).
     */
    rollups?: boolean | { finalAfterMs?: number };
  } = {},
): Promise<AvailabilityResult> {
  const { signal } = options;
  const nowMs = options.nowMs ?? Date.now();
  const toMs = Math.min(requestedToMs, nowMs);
  const windowMs = Math.max(0, toMs - fromMs);
  const counts =
    windowMs <= 0
      ? new Map<string, Counts>()
      : options.rollups
        ? await countCyclesWithRollups(
            storage,
            fromMs,
            toMs,
            signal,
            (typeof options.rollups === 'object' ? options.rollups.finalAfterMs : undefined) ??
              defaultRollupFinalAfterMs,
          )
        : await countCycles(storage, fromMs, toMs, signal);

  const known = new Map(registry.map((e) => [e.id, e]));
  const ids = [...new Set([...known.keys(), ...counts.keys()])].sort();
  const rows: AvailabilityRow[] = [];
  const listed: Outage[] = [];
  let outagesTotal = 0;
  const keepRecent = () => {
    // Ties broken by target, so what is kept does not depend on which endpoint's walk finished first.
    listed.sort((a, b) => b.start.localeCompare(a.start) || a.target_id.localeCompare(b.target_id));
    listed.length = Math.min(listed.length, maxListedOutages);
  };
  const rowOf = new Map<string, AvailabilityRow>();
  const rowFor = async (id: string) => {
    const entry = known.get(id);
    const c = counts.get(id);
    const tags: Record<string, string | undefined> = entry
      ? { name: entry.name, level: entry.level, district: entry.district, ...groupingTagsOf(entry) }
      : { ...c?.tags };
    delete tags.target_id;
    const described = Object.fromEntries(Object.entries(tags).filter(([, v]) => v)) as Record<string, string>;
    const intervalS = c?.interval && c.interval > 0 ? c.interval : defaultCycleIntervalS;
    const cycles = c?.cycles ?? 0;
    const upCycles = c?.up ?? 0;
    const monitoredS = Math.min(
      windowMs / 1000,
      (c?.intervalSum ?? 0) + (cycles - (c?.withInterval ?? 0)) * defaultCycleIntervalS,
    );
    let outages = 0;
    let outageMs = 0;
    if (cycles > upCycles) {
      await outagesOf(
        storage,
        id,
        { fromMs, toMs, nowMs, marginMs: Math.ceil(intervalS * 1500) },
        (o) => {
          outages++;
          outagesTotal++;
          outageMs += Date.parse(o.end) - Date.parse(o.start);
          listed.push({ ...o, ...pick(described, ['name', 'level', 'district']) });
          if (listed.length >= 2 * maxListedOutages) keepRecent();
        },
        signal,
      );
    }
    rowOf.set(id, {
      key: id,
      ...described,
      endpoints: 1,
      interval_s: intervalS,
      expected_cycles: Math.round(windowMs / 1000 / intervalS),
      cycles,
      up_cycles: upCycles,
      down_cycles: cycles - upCycles,
      parent_down_cycles: c?.parentDown ?? 0,
      monitored_seconds: round3(monitoredS),
      unknown_seconds: round3(windowMs / 1000 - monitoredS),
      coverage_percent: pct(monitoredS, windowMs / 1000) ?? 0,
      availability_percent: pct(upCycles, cycles),
      own_availability_percent: pct(upCycles + (c?.parentDown ?? 0), cycles),
      outages,
      outage_seconds: Math.round(outageMs / 1000),
    });
  };
  // Endpoints are walked a few at a time: an outage walk waits on InfluxDB, which has cores to spare.
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(outageConcurrency, ids.length) }, async () => {
      while (next < ids.length) {
        const id = ids[next++] as string;
        await rowFor(id);
      }
    }),
  );
  for (const id of ids) {
    const row = rowOf.get(id);
    if (row) rows.push(row);
  }
  keepRecent();
  listed.sort((a, b) => a.start.localeCompare(b.start) || a.target_id.localeCompare(b.target_id));
  return { fromMs, toMs, endpoints: rows, outages: listed, outagesTotal };
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

function pick(from: Record<string, string>, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) if (from[k] !== undefined) out[k] = from[k];
  return out;
}

/**
 * Rolls endpoint rows up by a tag: sums of cycles, time and outages, shares recomputed from the sums
 * (never averaged), so a group's figures have the same denominators as its endpoints'.
 */
export function rollUp(rows: readonly AvailabilityRow[], by: Exclude<AvailabilityGroup, 'endpoint'>) {
  const groups = new Map<string, AvailabilityRow & { windowSeconds: number; intervals: Set<number> }>();
  for (const r of rows) {
    const key = r[by] ?? '(none)';
    let g = groups.get(key);
    if (!g) {
      g = {
        key,
        endpoints: 0,
        interval_s: r.interval_s,
        expected_cycles: 0,
        cycles: 0,
        up_cycles: 0,
        down_cycles: 0,
        parent_down_cycles: 0,
        monitored_seconds: 0,
        unknown_seconds: 0,
        coverage_percent: 0,
        availability_percent: null,
        own_availability_percent: null,
        outages: 0,
        outage_seconds: 0,
        windowSeconds: 0,
        intervals: new Set(),
      };
      groups.set(key, g);
    }
    g.endpoints += 1;
    g.intervals.add(r.interval_s);
    g.expected_cycles += r.expected_cycles;
    g.cycles += r.cycles;
    g.up_cycles += r.up_cycles;
    g.down_cycles += r.down_cycles;
    g.parent_down_cycles += r.parent_down_cycles;
    g.monitored_seconds += r.monitored_seconds;
    g.unknown_seconds += r.unknown_seconds;
    g.windowSeconds += r.monitored_seconds + r.unknown_seconds;
    g.outages += r.outages;
    g.outage_seconds += r.outage_seconds;
  }
  return [...groups.values()]
    .map(
      ({ windowSeconds, intervals, ...g }): AvailabilityRow => ({
        ...g,
        // Mixed intervals in one group: the longest, so expected cycles are never overstated.
        interval_s: [...intervals].reduce((a, b) => Math.max(a, b), 0),
        monitored_seconds: round3(g.monitored_seconds),
        unknown_seconds: round3(g.unknown_seconds),
        coverage_percent: pct(g.monitored_seconds, windowSeconds) ?? 0,
        availability_percent: pct(g.up_cycles, g.cycles),
        own_availability_percent: pct(g.up_cycles + g.parent_down_cycles, g.cycles),
      }),
    )
    .sort((a, b) => a.key.localeCompare(b.key));
}

/** The latest ping of every endpoint in the last `withinMs`, keyed by target id. */
export async function currentState(storage: Storage, withinMs: number, signal?: AbortSignal) {
  const series = await storage.query(
    `SELECT * FROM ${M} WHERE time > now() - ${Math.trunc(withinMs)}ms GROUP BY "target_id" ORDER BY time DESC LIMIT 1`,
    signal,
  );
  const out = new Map<string, Record<string, unknown>>();
  for (const s of series) {
    const id = s.tags?.target_id;
    const row = s.values[0];
    if (!id || !row) continue;
    const obj = Object.fromEntries(s.columns.map((c, i) => [c, row[i]]));
    const prev = out.get(id);
    if (!prev || Number(prev.time) < Number(obj.time)) out.set(id, obj);
  }
  return out;
}
