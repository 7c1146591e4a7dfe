import type { Logger } from 'pino';
import { type Point, ping, pingHourly } from '../protocol/index.js';
import { defaultLateSlackMs, hourRuns, writtenSinceRollup } from './availability.js';
import {
  type DownRun,
  defaultCycleIntervalS,
  downPointsOf,
  encodeRuns,
  foldDown,
  lookUpNext,
  pageSize,
  pingColumns,
  pingRows,
  rollupFormat,
} from './outages.js';
import type { QuerySeries, Storage } from './storage/index.js';

/**
 * Hourly roll-ups of `ping` into `ping_hourly`, one point per endpoint and closed hour (its counts,
 * and its runs of down points with the point after each), plus one mark point per hour (no target_id)
 * saying the hour was rolled up, when, and in which format. Availability over a long window reads these
 * for its whole hours (server/availability.ts) and raw points only for the partial hours at its edges
 * and hours whose roll-up cannot be used.
 *
 * A roll-up is exact for the points stored when it was made. Points that reach an hour after it closed
 * (the last cycles of a running poller, an agent's backlog, the spool's replay) are written by the
 * server's pipeline, which puts a `late_ms` on the hour's mark in the same write ({@link lateHourMarks}):
 * a roll-up older than that is not used, and the next pass rolls such hours up again ({@link Rollups.recent}).
 *
 * Rolling an hour up again writes the same series at the same time, which InfluxDB overwrites (fields
 * merge: the mark keeps its late_ms): rolling up is idempotent, so the scheme is simply to re-roll.
 * Each pass re-rolls the last few closed hours and the hours written late; every `recheck` pass
 * re-rolls every hour an agent's backlog may still reach (`ingest.max_point_age`), a safety net for
 * points written into InfluxDB other than through the server; at start, hours never rolled up (since
 * the newest mark, or the first ping point) are caught up.
 */

const HOUR_MS = 3_600_000;
/** Hours rolled up per query: a day of 166 endpoints at 60 s is ~240,000 points for InfluxDB to count. */
const chunkHours = 24;
/**
 * Longest `down_runs` kept (characters of JSON): an endpoint flapping every cycle of a 1 s ping makes
 * ~1,800 runs an hour (~120 KB), past the 64 KB InfluxDB documents as the longest string field, and
 * reading such fields back would cost more than the raw points. Such an hour keeps its counts, and
 * its mark says format 1: its outages are read from raw points, and each start rolls it up again.
 */
const maxRunsChars = 32_000;

/** Closed hours each ordinary pass re-rolls. */
const recentHours = 3;

const M = `"${ping.name}"`;
const UP = '"up"';
const INTERVAL = '"interval_s"';
const CAUSE = '"cause"';

export const floorHour = (t: number) => Math.floor(t / HOUR_MS) * HOUR_MS;

interface HourCounts {
  cycles: number;
  up: number;
  parentDown: number;
  intervalSum: number;
  withInterval: number;
  intervalMax: number;
  downIntervalSum: number;
  downWithInterval: number;
}

const empty = (): HourCounts => ({
  cycles: 0,
  up: 0,
  parentDown: 0,
  intervalSum: 0,
  withInterval: 0,
  intervalMax: 0,
  downIntervalSum: 0,
  downWithInterval: 0,
});

function fold(
  into: Map<string, Map<number, HourCounts>>,
  series: QuerySeries[],
  add: (c: HourCounts, row: Record<string, unknown>) => void,
) {
  for (const s of series) {
    const id = s.tags?.target_id;
    if (!id) continue;
    let byHour = into.get(id);
    if (!byHour) {
      byHour = new Map();
      into.set(id, byHour);
    }
    for (const values of s.values) {
      const row = Object.fromEntries(s.columns.map((col, i) => [col, values[i]]));
      const hour = Number(row.time);
      let c = byHour.get(hour);
      if (!c) {
        c = empty();
        byHour.set(hour, c);
      }
      add(c, row);
    }
  }
}

/**
 * The runs of down points per endpoint and hour in [fromHour, toHour), each with the point after it:
 * one query for every endpoint's down points (a page each; one with more is read page by page), then
 * the look-ups, batched.
 */
async function downRunsByHour(
  storage: Storage,
  fromHour: number,
  toHour: number,
  o: { now: number; signal?: AbortSignal },
): Promise<Map<string, Map<number, DownRun[]>>> {
  const series = await storage.query(
    `SELECT ${pingColumns} FROM ${M} WHERE ${UP} = false AND time >= ${fromHour}ms AND time < ${toHour}ms GROUP BY "target_id" ORDER BY time ASC LIMIT ${pageSize}`,
    o.signal,
  );
  const out = new Map<string, Map<number, DownRun[]>>();
  for (const s of series) {
    const id = s.tags?.target_id;
    if (!id) continue;
    const byHour = new Map<number, DownRun[]>();
    out.set(id, byHour);
    const add = (p: ReturnType<typeof pingRows>[number]) => {
      const hour = floorHour(p.t);
      let runs = byHour.get(hour);
      if (!runs) {
        runs = [];
        byHour.set(hour, runs);
      }
      foldDown(runs, p);
    };
    const rows = pingRows(s);
    if (rows.length < pageSize) for (const p of rows) add(p);
    else for await (const p of downPointsOf(storage, id, fromHour, toHour, o.signal)) add(p);
    const runs = [...byHour.values()].flat();
    // The point after a run may lie in the next hour: looked up whole, never past the roll-up's time.
    await lookUpNext(storage, id, runs, o.now, () => false, o.signal);
  }
  return out;
}

/**
 * The roll-up points of the closed hours in [fromHour, toHour) (hour starts, ms): per endpoint and hour
 * with points, and one mark per hour. Four aggregate queries, GROUP BY time(1h), and the down runs.
 */
export async function rollUpHours(
  storage: Storage,
  fromHour: number,
  toHour: number,
  o: { now: number; signal?: AbortSignal },
): Promise<Point[]> {
  if (toHour <= fromHour) return [];
  const where = `time >= ${fromHour}ms AND time < ${toHour}ms`;
  const by = 'GROUP BY time(1h), "target_id" fill(none)';
  const [all, up, parentDown, down, runs] = await Promise.all([
    storage.query(
      `SELECT count(${UP}) AS cycles, sum(${INTERVAL}) AS interval_sum, count(${INTERVAL}) AS with_interval, max(${INTERVAL}) AS interval_max FROM ${M} WHERE ${where} ${by}`,
      o.signal,
    ),
    storage.query(`SELECT count(${UP}) AS n FROM ${M} WHERE ${UP} = true AND ${where} ${by}`, o.signal),
    storage.query(
      `SELECT count(${UP}) AS n FROM ${M} WHERE ${UP} = false AND ${CAUSE} = 'parent_down' AND ${where} ${by}`,
      o.signal,
    ),
    storage.query(
      `SELECT sum(${INTERVAL}) AS interval_sum, count(${INTERVAL}) AS with_interval FROM ${M} WHERE ${UP} = false AND ${where} ${by}`,
      o.signal,
    ),
    downRunsByHour(storage, fromHour, toHour, o),
  ]);
  const counts = new Map<string, Map<number, HourCounts>>();
  fold(counts, all, (c, r) => {
    c.cycles += Number(r.cycles ?? 0);
    c.intervalSum += Number(r.interval_sum ?? 0);
    c.withInterval += Number(r.with_interval ?? 0);
    if (typeof r.interval_max === 'number') c.intervalMax = Math.max(c.intervalMax, r.interval_max);
  });
  fold(counts, up, (c, r) => {
    c.up += Number(r.n ?? 0);
  });
  fold(counts, parentDown, (c, r) => {
    c.parentDown += Number(r.n ?? 0);
  });
  fold(counts, down, (c, r) => {
    c.downIntervalSum += Number(r.interval_sum ?? 0);
    c.downWithInterval += Number(r.with_interval ?? 0);
  });

  const points: Point[] = [];
  const totals = new Map<number, HourCounts>();
  /** Hours with an endpoint whose runs are too many to keep: their mark says format 1 (read raw). */
  const tooManyRuns = new Set<number>();
  for (let h = fromHour; h < toHour; h += HOUR_MS) totals.set(h, empty());
  for (const [target, byHour] of counts) {
    for (const [hour, c] of byHour) {
      if (c.cycles === 0) continue;
      let downRuns = runs.get(target)?.get(hour);
      if (downRuns && encodeRuns(hour, downRuns).length > maxRunsChars) {
        tooManyRuns.add(hour);
        downRuns = undefined;
      }
      points.push(hourPoint(c, hour, o.now, { target_id: target }, downRuns));
      const t = totals.get(hour);
      if (!t) continue;
      t.cycles += c.cycles;
      t.up += c.up;
      t.parentDown += c.parentDown;
      t.intervalSum += c.intervalSum;
      t.withInterval += c.withInterval;
      t.intervalMax = Math.max(t.intervalMax, c.intervalMax);
      t.downIntervalSum += c.downIntervalSum;
      t.downWithInterval += c.downWithInterval;
    }
  }
  for (const [hour, t] of totals) {
    const mark = hourPoint(t, hour, o.now, {});
    if (tooManyRuns.has(hour)) mark.fields.format = 1;
    points.push(mark);
  }
  return points;
}

function hourPoint(
  c: HourCounts,
  hour: number,
  now: number,
  tags: Record<string, string>,
  downRuns?: readonly DownRun[],
): Point {
  const interval = c.intervalMax > 0 ? c.intervalMax : defaultCycleIntervalS;
  const monitored = c.intervalSum + (c.cycles - c.withInterval) * defaultCycleIntervalS;
  const down = c.cycles - c.up;
  const outage = c.downIntervalSum + (down - c.downWithInterval) * defaultCycleIntervalS;
  return {
    measurement: pingHourly.name,
    tags,
    fields: {
      expected_cycles: Math.round(3600 / interval),
      cycles: c.cycles,
      up_cycles: c.up,
      down_cycles: down,
      parent_down_cycles: c.parentDown,
      interval_sum_s: c.intervalSum,
      interval_cycles: c.withInterval,
      interval_max_s: c.intervalMax,
      // Per target capped at the hour; the mark's total spans every endpoint, so it is not.
      monitored_seconds: tags.target_id ? Math.min(3600, monitored) : monitored,
      outage_seconds: tags.target_id ? Math.min(3600, outage) : outage,
      rolled_at_ms: now,
      ...(!tags.target_id ? { format: rollupFormat } : {}),
      ...(downRuns && downRuns.length > 0 ? { down_runs: encodeRuns(hour, downRuns) } : {}),
    } satisfies Partial<Record<keyof typeof pingHourly.fields, number | string>>,
    time: hour,
  };
}

export interface RollupOptions {
  storage: Storage;
  /** Where roll-up points go: the server's write pipeline (or storage.write in tests and benches). */
  write: (points: Point[]) => Promise<void>;
  log: Logger;
  /** How old a point may still arrive (`ingest.max_point_age`): how far back a recheck re-rolls. */
  maxPointAgeMs: number;
  /** How often `recheck` runs (1 h by default): it reaches back that much further. */
  recheckIntervalMs?: number;
  /** How long after a late write's mark its points may still be landing (availability.ts `lateSlackFor`). */
  lateSlackMs?: number;
}

export interface Rollups {
  /** Rolls up (again) the closed hours in [fromMs, toMs), a day per query; returns the hours written. */
  rollUp(fromMs: number, toMs: number, o?: { now?: number; signal?: AbortSignal }): Promise<number>;
  /** The last few closed hours, and the hours written to since their roll-up (see {@link lateHourMarks}). */
  recent(now?: number): Promise<number>;
  /** Only the hours written to since their roll-up, once their writes have landed. */
  late(now?: number): Promise<number>;
  /** Every closed hour a late point may still reach. */
  recheck(now?: number): Promise<number>;
  /**
   * Hours never rolled up (after the newest mark, or from the first ping point when there is none),
   * and hours rolled up in an older format (before outage runs were kept).
   */
  catchUp(now?: number): Promise<number>;
}

/**
 * The roll-up work, without a timer (see {@link startRollupSchedule}).
 *
 * @example
 * const rollups = createRollups({ storage, write: (p) => storage.write(p), log, maxPointAgeMs: 7 * 86_400_000 });
 * await rollups.catchUp();
 */
export function createRollups(o: RollupOptions): Rollups {
  const rollUp: Rollups['rollUp'] = async (fromMs, toMs, opt = {}) => {
    const now = opt.now ?? Date.now();
    const from = floorHour(fromMs);
    // Only closed hours: the current one is still being written.
    const to = Math.min(floorHour(toMs), floorHour(now));
    let hours = 0;
    for (let a = from; a < to; a += chunkHours * HOUR_MS) {
      const b = Math.min(to, a + chunkHours * HOUR_MS);
      const points = await rollUpHours(o.storage, a, b, {
        now,
        ...(opt.signal ? { signal: opt.signal } : {}),
      });
      await o.write(points);
      hours += (b - a) / HOUR_MS;
    }
    return hours;
  };
  const slack = o.lateSlackMs ?? defaultLateSlackMs;
  /** Rolls up `hours` (sorted hour starts), consecutive ones together (a day per query). */
  const rollUpHourList = async (hours: readonly number[], now: number) => {
    let rolled = 0;
    for (const [a, b] of hourRuns(hours)) rolled += await rollUp(a, b, { now });
    return rolled;
  };
  const late: Rollups['late'] = async (now = Date.now()) => {
    const since = floorHour(now - o.maxPointAgeMs) - 2 * HOUR_MS;
    const marks = await o.storage.query(
      `SELECT "rolled_at_ms", "late_ms" FROM "${pingHourly.name}" WHERE "target_id" = '' AND "late_ms" > 0 AND time >= ${since}ms AND time <= ${Math.trunc(now)}ms`,
    );
    // Once the late write has surely landed (slack), and the hour's roll-up is older than it.
    const hours = (marks[0]?.values ?? [])
      .filter(
        ([, rolledAt, lateMs]) => Number(lateMs) + slack < now && writtenSinceRollup(lateMs, rolledAt, slack),
      )
      .map((v) => Number(v[0]))
      .sort((a, b) => a - b);
    // A replayed backlog marks many hours: consecutive ones are rolled up together.
    return rollUpHourList(hours, now);
  };
  return {
    rollUp,
    late,
    recent: async (now = Date.now()) =>
      (await rollUp(floorHour(now) - recentHours * HOUR_MS, now, { now })) + (await late(now)),
    // Back past max_point_age by one recheck interval and an hour: every hour gets one roll-up made
    // after no more points can arrive for it, the one availability trusts.
    recheck: (now = Date.now()) =>
      rollUp(now - o.maxPointAgeMs - (o.recheckIntervalMs ?? HOUR_MS) - 2 * HOUR_MS, now, { now }),
    async catchUp(now = Date.now()) {
      const mark = await o.storage.query(
        `SELECT last("cycles") FROM "${pingHourly.name}" WHERE "target_id" = '' AND time <= ${Math.trunc(now)}ms`,
      );
      const lastMark = mark[0]?.values[0]?.[0];
      let from: number;
      if (typeof lastMark === 'number') from = lastMark + HOUR_MS;
      else {
        const first = await o.storage.query(`SELECT first(${UP}) FROM ${M}`);
        const t = first[0]?.values[0]?.[0];
        if (typeof t !== 'number') return 0;
        from = t;
      }
      // The recheck covers what a backlog may still change; catching up needs only what was never rolled,
      // and the hours rolled up by a server that did not keep outage runs yet (no `format` 2 on the mark).
      const old = await o.storage.query(
        `SELECT "rolled_at_ms", "format" FROM "${pingHourly.name}" WHERE "target_id" = '' AND "rolled_at_ms" > 0 AND time < ${Math.trunc(from)}ms`,
      );
      const stale = (old[0]?.values ?? [])
        .filter(([, , format]) => Number(format ?? 0) < rollupFormat)
        .map((v) => Number(v[0]))
        .sort((a, b) => a - b);
      return (await rollUpHourList(stale, now)) + (await rollUp(from, now, { now }));
    },
  };
}

const PING_LINE = Buffer.from(`${ping.name},`);
/** A ping line after another line: what the scan jumps to, so other lines cost nothing here. */
const NEXT_PING_LINE = Buffer.from(`\n${ping.name},`);
const NEWLINE = 0x0a;
const SPACE = 0x20;

/** The decimal integer in bytes [from, to), or undefined when they are not all digits. */
function digitsAt(bytes: Buffer, from: number, to: number): number | undefined {
  if (to <= from || to - from > 16) return undefined;
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = (bytes[i] as number) - 0x30;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return n;
}

/**
 * The mark lines that go with a write of `lines` (line protocol, ms) sent at `now`: for every closed
 * hour a `ping` line falls in, `ping_hourly late_ms=<now>` on the hour's mark. Sent in the same write
 * as the points, so they land together; availability then knows the hour's roll-up may lack them.
 * Empty when the write holds no ping point of a closed hour (the usual live write).
 */
export function lateHourMarks(lines: Buffer, now: number): { lines: string; points: number } {
  const current = floorHour(now);
  const hours = new Set<number>();
  const startsWithPing =
    lines.length > PING_LINE.length &&
    lines.compare(PING_LINE, 0, PING_LINE.length, 0, PING_LINE.length) === 0;
  const nextPing = (from: number) => {
    const i = lines.indexOf(NEXT_PING_LINE, from);
    return i < 0 ? -1 : i + 1;
  };
  for (let at = startsWithPing ? 0 : nextPing(0); at >= 0; ) {
    let end = lines.indexOf(NEWLINE, at);
    if (end < 0) end = lines.length;
    // The timestamp is the last field: after the line's last space (string fields may hold spaces).
    const space = lines.lastIndexOf(SPACE, end - 1);
    const t = space > at ? digitsAt(lines, space + 1, end) : undefined;
    if (t !== undefined && floorHour(t) < current) hours.add(floorHour(t));
    at = end < lines.length ? nextPing(end) : -1;
  }
  let out = '';
  for (const h of hours) out += `${pingHourly.name} late_ms=${Math.trunc(now)}i ${h}\n`;
  return { lines: out, points: hours.size };
}

/**
 * Rolls up on a timer: catch-up one interval after start, the recent hours every `intervalMs`, and every closed hour
 * within max_point_age every `recheckIntervalMs`. Errors are logged, never thrown; passes never overlap.
 */
export function startRollupSchedule(
  rollups: Rollups,
  o: { intervalMs: number; recheckIntervalMs: number; log: Logger },
): { stop(): void; idle(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  let lastRecheck = Date.now();
  let stopped = false;
  const pass = (what: 'catch_up' | 'recent' | 'recheck') => {
    running = running.then(async () => {
      if (stopped) return;
      const started = Date.now();
      try {
        const hours =
          what === 'catch_up'
            ? await rollups.catchUp()
            : what === 'recheck'
              ? await rollups.recheck()
              : await rollups.recent();
        const level = what === 'recent' ? 'debug' : 'info';
        o.log[level]({ pass: what, hours, ms: Date.now() - started }, 'ping roll-ups written');
      } catch (err) {
        o.log.warn({ err, pass: what }, 'ping roll-ups not written');
      }
    });
  };
  // The catch-up waits one interval: a server just started (or a test that writes history straight
  // into InfluxDB right after starting one) is not slowed by rolling up months at once.
  let caughtUp = false;
  const timer = setInterval(() => {
    if (!caughtUp) {
      caughtUp = true;
      pass('catch_up');
    } else if (Date.now() - lastRecheck >= o.recheckIntervalMs) {
      lastRecheck = Date.now();
      pass('recheck');
    } else pass('recent');
  }, o.intervalMs);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
    idle: () => running,
  };
}
