import { groupingTagsOf } from '../lib/endpoints/index.js';
import type { Endpoint } from '../lib/endpoints/types.js';
import { ping, pingGroupingTags, pingHourly } from '../protocol/index.js';
import {
  CAUSE,
  type DownRun,
  decodeRuns,
  defaultCycleIntervalS,
  downPointsOf,
  downPointsQuery,
  foldDown,
  INTERVAL,
  joinRun,
  lookUpNext,
  outageOf,
  pageSize,
  pingRows,
  queryAll,
  rollupFormat,
  type TargetOutage,
  UP,
} from './outages.js';
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
export { defaultCycleIntervalS };

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

/** An outage of an endpoint inside a window (see server/outages.ts), with the endpoint's names. */
export interface Outage extends TargetOutage {
  name?: string;
  level?: string;
  district?: string;
}

export interface AvailabilityResult {
  /** The window as computed: `to` clipped to now. */
  fromMs: number;
  toMs: number;
  endpoints: AvailabilityRow[];
  outages: Outage[];
  /** All outages in the window; `outages` lists at most `maxOutages` ({@link maxListedOutages}), the most recent. */
  outagesTotal: number;
}

const M = `"${ping.name}"`;
const rowTags = ['target_id', 'name', 'level', 'district', ...pingGroupingTags] as const;
const GROUP_BY = `GROUP BY ${rowTags.map((t) => `"${t}"`).join(', ')}`;

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
export function hourRuns(hours: readonly number[]): [number, number][] {
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
 * How long after a late write's mark (`late_ms`, stamped when the write was sent) its points may
 * still be landing, by default: twice the storage timeout's default (a write InfluxDB finishes after
 * the client gave up) and then some. A roll-up started sooner than this after the mark is not used.
 */
export const defaultLateSlackMs = 60_000;

/** The slack for a storage whose writes time out after `storageTimeoutMs` (server config `storage.timeout`). */
export const lateSlackFor = (storageTimeoutMs: number) =>
  Math.max(defaultLateSlackMs, 2 * storageTimeoutMs + 10_000);

/**
 * Whether an hour was written to since its roll-up: its mark's `late_ms` (when the server last sent
 * ping points into it after it closed) is not older than the roll-up by more than the slack. Such a
 * roll-up is not used; the next pass rolls the hour up again.
 */
export const writtenSinceRollup = (lateMs: unknown, rolledAtMs: unknown, slackMs: number) =>
  typeof lateMs === 'number' && !(lateMs + slackMs < Number(rolledAtMs));

/** More separate runs of usable hours than this (one statement each): the roll-ups are patchy, read raw. */
const maxRolledRuns = 200;

/**
 * The runs of whole hours in [fromMs, toMs) whose roll-ups give the raw answer: the hour's mark says
 * it was rolled up after the hour closed by a server that keeps outage runs (`format` 2), and no
 * write reached the hour since (its `late_ms`, written with every write of ping points into a closed
 * hour, is older than the roll-up by more than `lateSlackMs`). Empty when none are or they are too
 * patchy to be worth it.
 */
export async function rolledHourRuns(
  storage: Storage,
  fromMs: number,
  toMs: number,
  o: { lateSlackMs?: number; signal?: AbortSignal } = {},
): Promise<[number, number][]> {
  const firstHour = Math.ceil(fromMs / HOUR_MS) * HOUR_MS;
  const lastHour = Math.floor(toMs / HOUR_MS) * HOUR_MS;
  if (lastHour - firstHour < HOUR_MS) return [];
  const slack = o.lateSlackMs ?? defaultLateSlackMs;
  const marks = await storage.query(
    `SELECT "rolled_at_ms", "late_ms", "format" FROM ${HOURLY} WHERE "target_id" = '' AND time >= ${firstHour}ms AND time < ${lastHour}ms`,
    o.signal,
  );
  const hours = (marks[0]?.values ?? [])
    .filter(([hour, rolledAt, late, format]) => {
      if (typeof rolledAt !== 'number' || Number(format ?? 0) < rollupFormat) return false;
      if (rolledAt < Number(hour) + HOUR_MS) return false;
      return !writtenSinceRollup(late, rolledAt, slack);
    })
    .map((v) => Number(v[0]))
    .sort((a, b) => a - b);
  const runs = hourRuns(hours);
  return runs.length > maxRolledRuns ? [] : runs;
}

/**
 * The counts of {@link countCycles} with the whole hours in `rolled` (from {@link rolledHourRuns})
 * read from ping_hourly and the rest of the window (its partial edge hours, hours not rolled up or
 * written to since) from raw points. Roll-ups hold the same counts, sums and maxima as the raw
 * aggregates, so the result is the raw result, exactly.
 */
export async function countCyclesWithRollups(
  storage: Storage,
  fromMs: number,
  toMs: number,
  rolled: readonly [number, number][],
  signal?: AbortSignal,
): Promise<Map<string, Counts>> {
  if (rolled.length === 0) return countCycles(storage, fromMs, toMs, signal);
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
  foldCounts(counts, answers.flat(), (c, r) => {
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

/** The outage runs the roll-ups keep for the hours in `rolled`, per target, in time order. */
async function rolledDownRuns(
  storage: Storage,
  rolled: readonly [number, number][],
  signal?: AbortSignal,
): Promise<Map<string, DownRun[]>> {
  const answers = await queryAll(
    storage,
    rolled.map(
      ([a, b]) =>
        `SELECT "down_runs" FROM ${HOURLY} WHERE "target_id" != '' AND "down_cycles" > 0 AND time >= ${a}ms AND time < ${b}ms GROUP BY "target_id"`,
    ),
    signal,
  );
  const out = new Map<string, DownRun[]>();
  for (const s of answers.flat()) {
    const id = s.tags?.target_id;
    if (!id) continue;
    const runs = out.get(id) ?? [];
    out.set(id, runs);
    for (const [hour, text] of s.values) {
      if (typeof text !== 'string')
        throw new Error(
          `availability: the roll-up of ${id} at ${new Date(Number(hour)).toISOString()} has no down_runs`,
        );
      try {
        runs.push(...decodeRuns(Number(hour), text));
      } catch (err) {
        throw new Error(
          `availability: the roll-up of ${id} at ${new Date(Number(hour)).toISOString()}: ${(err as Error).message}`,
        );
      }
    }
  }
  for (const runs of out.values()) runs.sort((a, b) => a.start - b.start);
  return out;
}

/**
 * The down runs of one target over the raw ranges: the first page of every range in one request, then
 * page by page for a range with more down points than a page.
 */
async function rawDownRuns(
  storage: Storage,
  targetId: string,
  ranges: readonly [number, number][],
  signal?: AbortSignal,
): Promise<DownRun[]> {
  const first = await queryAll(
    storage,
    ranges.map(([a, b]) => downPointsQuery(targetId, a, b)),
    signal,
  );
  const runs: DownRun[] = [];
  for (const [i, [a, b]] of ranges.entries()) {
    const rows = pingRows(first[i]?.[0]);
    if (rows.length < pageSize) for (const p of rows) foldDown(runs, p);
    else for await (const p of downPointsOf(storage, targetId, a, b, signal)) foldDown(runs, p);
  }
  return runs;
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
     * Read whole hours from ping_hourly (server/rollups.ts) where its roll-ups give the raw answer,
     * and only the rest from raw points; `lateSlackMs`: see {@link defaultLateSlackMs}.
     */
    rollups?: boolean | { lateSlackMs?: number };
    /** Outages listed at most, the most recent (default {@link maxListedOutages}); all are counted. */
    maxOutages?: number;
  } = {},
): Promise<AvailabilityResult> {
  const { signal } = options;
  const maxOutages = options.maxOutages ?? maxListedOutages;
  const nowMs = options.nowMs ?? Date.now();
  const toMs = Math.min(requestedToMs, nowMs);
  const windowMs = Math.max(0, toMs - fromMs);
  const rolled =
    windowMs > 0 && options.rollups
      ? await rolledHourRuns(storage, fromMs, toMs, {
          ...(typeof options.rollups === 'object' && options.rollups.lateSlackMs !== undefined
            ? { lateSlackMs: options.rollups.lateSlackMs }
            : {}),
          ...(signal ? { signal } : {}),
        })
      : [];
  const counts =
    windowMs <= 0
      ? new Map<string, Counts>()
      : await countCyclesWithRollups(storage, fromMs, toMs, rolled, signal);
  const hasDown = [...counts.values()].some((c) => c.cycles > c.up);
  const rolledRuns = hasDown && rolled.length > 0 ? await rolledDownRuns(storage, rolled, signal) : new Map();

  const known = new Map(registry.map((e) => [e.id, e]));
  const ids = [...new Set([...known.keys(), ...counts.keys()])].sort();
  const rows: AvailabilityRow[] = [];
  const listed: Outage[] = [];
  let outagesTotal = 0;
  const keepRecent = () => {
    // Ties broken by target, so what is kept does not depend on which endpoint's walk finished first.
    listed.sort((a, b) => b.start.localeCompare(a.start) || a.target_id.localeCompare(b.target_id));
    listed.length = Math.min(listed.length, maxOutages);
  };
  /**
   * A target's outages in the window, from its down points in [from − margin, to + margin) so that an
   * outage crossing either edge is seen whole: runs from the roll-ups for the rolled hours, from raw
   * points elsewhere, joined; each ends at the point after it, from the roll-up when that point lies
   * in the same hour (a point arriving there later would have made the hour's roll-up unusable),
   * looked up otherwise.
   */
  const outagesOf = async (id: string, intervalS: number) => {
    const marginMs = Math.ceil(intervalS * 1500);
    const readTo = Math.min(toMs + marginMs, nowMs + 1);
    const raw = await rawDownRuns(storage, id, gaps(fromMs - marginMs, readTo, rolled), signal);
    const pieces = [...raw, ...(rolledRuns.get(id) ?? [])].sort((a, b) => a.start - b.start);
    const runs: DownRun[] = [];
    for (const piece of pieces) joinRun(runs, piece);
    const usable = (r: DownRun) =>
      r.next != null &&
      r.next.t <= nowMs &&
      Math.floor(r.next.t / HOUR_MS) === Math.floor(r.lastDown / HOUR_MS);
    await lookUpNext(storage, id, runs, nowMs, usable, signal);
    return runs.flatMap((r) => outageOf(id, r, { fromMs, toMs, nowMs }) ?? []);
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
      for (const o of await outagesOf(id, intervalS)) {
        outages++;
        outagesTotal++;
        outageMs += Date.parse(o.end) - Date.parse(o.start);
        listed.push({ ...o, ...pick(described, ['name', 'level', 'district']) });
        if (listed.length >= 2 * maxOutages) keepRecent();
      }
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
