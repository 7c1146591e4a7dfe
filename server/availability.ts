import type { Endpoint } from '../lib/endpoints/types.js';
import { ping } from '../protocol/index.js';
import type { QuerySeries, Storage } from './storage/index.js';

export type AvailabilityGroup = 'endpoint' | 'district' | 'level';

/** Availability of one endpoint, district or level over a window. */
export interface AvailabilityRow {
  key: string;
  name?: string;
  level?: string;
  district?: string;
  /** Ping cycles recorded in the window. */
  cycles: number;
  up_cycles: number;
  /** Cycles down only because an upstream endpoint was down. */
  parent_down_cycles: number;
  /** Share of cycles up, %; null when nothing was recorded. */
  availability_percent: number | null;
  /** Same, counting parent-down cycles as not this link's fault. */
  own_availability_percent: number | null;
  outages: number;
  outage_seconds: number;
}

export interface Outage {
  target_id: string;
  level?: string;
  district?: string;
  start: string;
  end: string;
  duration_s: number;
  cause: string;
  parent_id: string;
  /** Still down at the end of the window. */
  ongoing: boolean;
}

const M = `"${ping.name}"`;
const f = ping.fields;
// Field names come from the catalogue, so a rename breaks the build rather than these queries.
const UP = `"${'up' satisfies keyof typeof f}"`;
const CAUSE = `"${'cause' satisfies keyof typeof f}"`;
const PARENT = `"${'parent_id' satisfies keyof typeof f}"`;

function byTarget(series: QuerySeries[]) {
  const out = new Map<string, { tags: Record<string, string>; rows: unknown[][]; columns: string[] }>();
  for (const s of series) {
    const id = s.tags?.target_id;
    if (!id) continue;
    const entry = out.get(id) ?? { tags: {}, rows: [], columns: s.columns };
    for (const [k, v] of Object.entries(s.tags ?? {})) if (v) entry.tags[k] = v;
    entry.rows.push(...s.values);
    out.set(id, entry);
  }
  return out;
}

const countOf = (e: { rows: unknown[][] } | undefined) =>
  e?.rows.reduce((n, r) => n + Number(r[1] ?? 0), 0) ?? 0;
const pct = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 1e6) / 1e4 : null);

/**
 * Availability per endpoint from the `ping` measurement, with InfluxQL the server builds itself (the
 * window is two integers): cycles, cycles up, cycles down because of a parent, and outages — runs of
 * consecutive down cycles, each lasting from its first down cycle to one cycle after its last.
 */
export async function computeAvailability(
  storage: Storage,
  registry: readonly Endpoint[],
  fromMs: number,
  toMs: number,
  signal?: AbortSignal,
): Promise<{ endpoints: AvailabilityRow[]; outages: Outage[] }> {
  const window = `time >= ${Math.trunc(fromMs)}ms AND time < ${Math.trunc(toMs)}ms`;
  const group = 'GROUP BY "target_id", "level", "district"';
  const [all, up, parentDown, down] = await Promise.all([
    storage.query(`SELECT count(${UP}) FROM ${M} WHERE ${window} ${group}`, signal),
    storage.query(`SELECT count(${UP}) FROM ${M} WHERE ${UP} = true AND ${window} ${group}`, signal),
    storage.query(
      `SELECT count(${UP}) FROM ${M} WHERE ${UP} = false AND ${CAUSE} = 'parent_down' AND ${window} ${group}`,
      signal,
    ),
    // Down cycles are few (outages), so they are read one by one to find where each outage starts and ends.
    storage.query(`SELECT ${CAUSE}, ${PARENT} FROM ${M} WHERE ${UP} = false AND ${window} ${group}`, signal),
  ]);
  const allBy = byTarget(all);
  const upBy = byTarget(up);
  const parentBy = byTarget(parentDown);
  const downBy = byTarget(down);
  const known = new Map(registry.map((e) => [e.id, e]));
  const ids = new Set([...known.keys(), ...allBy.keys()]);

  const rows: AvailabilityRow[] = [];
  const outages: Outage[] = [];
  for (const id of [...ids].sort()) {
    const entry = known.get(id);
    const tags = allBy.get(id)?.tags ?? {};
    const cycles = countOf(allBy.get(id));
    const upCycles = countOf(upBy.get(id));
    const parentCycles = countOf(parentBy.get(id));
    const interval = cycles > 0 ? (toMs - fromMs) / cycles : 0;
    const level = entry?.level ?? tags.level;
    const district = entry?.district ?? tags.district;
    const mine = findOutages(id, downBy.get(id)?.rows ?? [], interval, toMs).map((o) => ({
      ...o,
      ...(level ? { level } : {}),
      ...(district ? { district } : {}),
    }));
    outages.push(...mine);
    rows.push({
      key: id,
      ...(entry ? { name: entry.name } : {}),
      ...(level ? { level } : {}),
      ...(district ? { district } : {}),
      cycles,
      up_cycles: upCycles,
      parent_down_cycles: parentCycles,
      availability_percent: pct(upCycles, cycles),
      own_availability_percent: pct(upCycles + parentCycles, cycles),
      outages: mine.length,
      outage_seconds: mine.reduce((n, o) => n + o.duration_s, 0),
    });
  }
  outages.sort((a, b) => a.start.localeCompare(b.start) || a.target_id.localeCompare(b.target_id));
  return { endpoints: rows, outages };
}

/** Consecutive down cycles (closer than 1.5 cycles apart) form one outage. */
function findOutages(
  targetId: string,
  rows: unknown[][],
  intervalMs: number,
  toMs: number,
): Omit<Outage, 'level' | 'district'>[] {
  const sorted = rows
    .map((r) => ({ t: Number(r[0]), cause: String(r[1] ?? ''), parent: String(r[2] ?? '') }))
    .sort((a, b) => a.t - b.t);
  const out: Omit<Outage, 'level' | 'district'>[] = [];
  const gap = Math.max(intervalMs * 1.5, 1);
  let i = 0;
  while (i < sorted.length) {
    const first = sorted[i] as (typeof sorted)[number];
    let last = first;
    const causes = new Map<string, number>();
    let parent = '';
    for (; i < sorted.length && (sorted[i] as typeof first).t - last.t <= gap; i++) {
      last = sorted[i] as typeof first;
      causes.set(last.cause, (causes.get(last.cause) ?? 0) + 1);
      if (last.parent) parent = last.parent;
    }
    const end = Math.min(last.t + intervalMs, toMs);
    const cause = [...causes].sort((a, b) => b[1] - a[1])[0]?.[0] || 'down';
    out.push({
      target_id: targetId,
      start: new Date(first.t).toISOString(),
      end: new Date(end).toISOString(),
      duration_s: Math.round((end - first.t) / 1000),
      cause,
      parent_id: cause === 'parent_down' ? parent : '',
      ongoing: toMs - last.t <= gap,
    });
  }
  return out;
}

/** Rolls endpoint rows up by district or level: sums of cycles and outages, shares recomputed. */
export function rollUp(rows: readonly AvailabilityRow[], by: 'district' | 'level'): AvailabilityRow[] {
  const groups = new Map<string, AvailabilityRow>();
  for (const r of rows) {
    const key = r[by] ?? 'unknown';
    const g = groups.get(key) ?? {
      key,
      cycles: 0,
      up_cycles: 0,
      parent_down_cycles: 0,
      availability_percent: null,
      own_availability_percent: null,
      outages: 0,
      outage_seconds: 0,
    };
    g.cycles += r.cycles;
    g.up_cycles += r.up_cycles;
    g.parent_down_cycles += r.parent_down_cycles;
    g.outages += r.outages;
    g.outage_seconds += r.outage_seconds;
    groups.set(key, g);
  }
  return [...groups.values()]
    .map((g) => ({
      ...g,
      availability_percent: pct(g.up_cycles, g.cycles),
      own_availability_percent: pct(g.up_cycles + g.parent_down_cycles, g.cycles),
    }))
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
