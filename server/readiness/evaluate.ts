import {
  ashraeA1,
  type Band,
  type Criterion,
  type CriterionId,
  criteria,
  type DecidedBy,
  disclaimer,
  entrancePathwaySeparationM,
  isUnverified,
  type Level,
  levels,
  type PerLevel,
  type SourceTag,
  type Subsystem,
  subsystems,
} from './criteria.js';
import type { DatacenterSite, DeclaredEvidence, Fact } from './declaration.js';

/**
 * The readiness evaluator: pure functions from a site's declaration and plain rows of live evidence
 * to a scorecard. No I/O: evidence.ts queries InfluxDB and hands the rows in, so every rule is
 * testable with literal rows. New evidence (PDU feeds, leak/door/smoke contacts) arrives as more rows
 * of the kinds below; where a kind has no rows the criteria needing it are `unknown` and say so.
 */

/** `na`: the level asks nothing of this criterion. `unknown` never counts as `pass`. */
export type Status = 'pass' | 'fail' | 'unknown' | 'na';

// ---- Live evidence: the latest reading of each thing, as the poller wrote it -------------------

export interface UpsRow {
  device: string;
  time: number;
  on_battery?: boolean;
  battery_status?: number;
  minutes_remaining?: number;
  load_percent?: number;
  output_power_w?: number;
}
export interface DeviceRow {
  device: string;
  time: number;
  up: boolean;
}
export interface InterfaceRow {
  device: string;
  if_name: string;
  time: number;
  oper_up: boolean;
}
/** A physical part from ENTITY-MIB; `ok` when a profile reports its state, else undefined. */
export interface EntityRow {
  device: string;
  class: string;
  name: string;
  time: number;
  ok?: boolean;
}
export interface EnvironmentRow {
  device: string;
  sensor: string;
  time: number;
  temperature_c?: number;
  humidity_percent?: number;
  dew_point_c?: number;
}
/** Share of readings in a band over a window: numerator and denominator, never just a percentage. */
export interface TimeInBandRow {
  device: string;
  sensor: string;
  window: '24h' | '30d';
  band: Band;
  in_band: number;
  readings: number;
}
/** The current of one rack PDU phase or outlet bank (the poller's `pdu` measurement; bank 0 = the phase). */
export interface PduFeedRow {
  device: string;
  phase: string;
  bank: string;
  time: number;
  current_a: number;
}
/** A dry contact of an environment probe (leak, door, smoke); `active` means wet / open / smoke. */
export interface ContactRow {
  device: string;
  sensor: string;
  kind: 'leak' | 'door' | 'smoke';
  time: number;
  active: boolean;
}

export interface LiveEvidence {
  ups: UpsRow[];
  devices: DeviceRow[];
  interfaces: InterfaceRow[];
  entities: EntityRow[];
  environment: EnvironmentRow[];
  timeInBand: TimeInBandRow[];
  pduFeeds: PduFeedRow[];
  contacts: ContactRow[];
}

export const noEvidence = (): LiveEvidence => ({
  ups: [],
  devices: [],
  interfaces: [],
  entities: [],
  environment: [],
  timeInBand: [],
  pduFeeds: [],
  contacts: [],
});

// ---- Results -----------------------------------------------------------------------------------

export interface EvidenceItem {
  kind: 'declared' | 'live';
  text: string;
  device?: string;
  /** ISO time of the live reading. */
  time?: string;
  document?: string;
  date?: string;
  checked_by?: string;
}

export interface LevelResult {
  status: Status;
  /** Why it fails or is unknown at this level. */
  reason?: string;
  /** What would make it pass at this level. */
  fix?: string;
}

export interface CriterionResult {
  id: CriterionId;
  subsystem: Subsystem;
  field: string;
  title: { en: string; vi: string };
  requirement: readonly (string | null)[];
  sources: readonly SourceTag[];
  unverified: boolean;
  /** "unverified threshold" for UNV thresholds (shown wherever the threshold appears), else "sourced". */
  threshold: 'unverified threshold' | 'sourced';
  decided_by: DecidedBy;
  /** Rated-1..4, in order. */
  levels: LevelResult[];
  evidence: EvidenceItem[];
  /** "declared X, measured Y" when live evidence contradicts the declaration. */
  contradiction?: string;
  note?: string;
  /** Measured figures (E1: ups_load_kw, ups_available_kw, ups_n1_capacity_kw). */
  figures?: Record<string, number>;
}

export interface SubsystemResult {
  subsystem: Subsystem;
  /** Highest level at which every criterion up to it passes; 0: not even Rated-1. */
  rating: number;
  target_rating: number;
  /** Criteria counted at the target level (worst status over levels 1..target); n/a ones are left out. */
  passed: number;
  failed: number;
  unknown: number;
  total: number;
  blocking: CriterionId[];
}

export interface Gap {
  id: CriterionId;
  subsystem: Subsystem;
  /** The lowest level at which it does not pass. */
  level: number;
  status: 'fail' | 'unknown';
  reason: string;
  fix: string;
  sources: readonly SourceTag[];
  unverified: boolean;
}

export interface Scorecard {
  label: string;
  site: string;
  name: string;
  evaluated_at: string;
  target_rating: number;
  /** The lowest subsystem rating. */
  overall_rating: number;
  subsystems: SubsystemResult[];
  criteria: CriterionResult[];
  /** Criteria blocking the target, most fundamental first (lowest level, then failures, then table order). */
  gaps: Gap[];
  /** How old a live reading may be before it counts as missing. */
  stale_after_s: number;
}

export interface EvaluateOptions {
  now: number;
  /** A reading older than this is stale: it counts as missing (unknown). */
  staleAfterMs: number;
}

// ---- Helpers -----------------------------------------------------------------------------------

const iso = (t: number) => new Date(t).toISOString();
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

function declared(label: string, f: Fact<unknown> | undefined, shown?: string): EvidenceItem[] {
  if (!f) return [];
  return [withDoc({ kind: 'declared', text: `${label}: ${shown ?? String(f.value)}` }, f.evidence)];
}
function withDoc(item: EvidenceItem, ev: DeclaredEvidence | undefined): EvidenceItem {
  if (!ev) return item;
  return {
    ...item,
    document: ev.document,
    ...(ev.date ? { date: ev.date } : {}),
    ...(ev.checked_by ? { checked_by: ev.checked_by } : {}),
  };
}

const na = (): LevelResult => ({ status: 'na' });
const pass = (): LevelResult => ({ status: 'pass' });
const fail = (reason: string, fix: string): LevelResult => ({ status: 'fail', reason, fix });
const unknown = (reason: string, fix: string): LevelResult => ({ status: 'unknown', reason, fix });

/** Both a declaration and live evidence must hold: a failure wins, then unknown, then pass. */
function both(a: LevelResult, b: LevelResult): LevelResult {
  if (a.status === 'na') return a;
  if (a.status === 'fail') return a;
  if (b.status === 'fail') return b;
  if (a.status === 'unknown') return a;
  if (b.status === 'unknown') return b;
  return pass();
}

/** Per level: n/a where nothing is required, else `decide(requirement, level)`. */
function perLevel<T>(req: readonly (T | null)[], decide: (r: T, level: Level) => LevelResult): LevelResult[] {
  return levels.map((level) => {
    const r = req[level - 1];
    return r === null || r === undefined ? na() : decide(r, level);
  });
}

/** Compares a declared value with a required one along an ordered scale. */
function ordinal<T extends string>(
  order: readonly T[],
  name: string,
  f: Fact<T> | undefined,
  required: T,
  fix: string,
): LevelResult {
  if (!f) return unknown(`${name} not declared`, `declare ${name} with its evidence`);
  return order.indexOf(f.value) >= order.indexOf(required)
    ? pass()
    : fail(`declared ${f.value}, needs ${required}`, fix);
}

function atLeast(
  name: string,
  value: number | undefined,
  required: number,
  unit: string,
  fix: string,
): LevelResult {
  if (value === undefined) return unknown(`${name} not declared`, `declare ${name} with its evidence`);
  return value >= required ? pass() : fail(`declared ${value}${unit}, needs ≥ ${required}${unit}`, fix);
}

function yes(name: string, f: Fact<boolean> | undefined, fix: string): LevelResult {
  if (!f) return unknown(`${name} not declared`, `declare ${name} with its evidence`);
  return f.value ? pass() : fail(`declared no ${name}`, fix);
}

interface Decision {
  levels: LevelResult[];
  evidence: EvidenceItem[];
  contradiction?: string;
  /** Measured figures worth charting (E1: load and capacities, kW). */
  figures?: Record<string, number>;
}
type Decide = (site: DatacenterSite, live: Live) => Decision;

/** Live evidence with its freshness rule applied. */
class Live {
  constructor(
    readonly rows: LiveEvidence,
    readonly now: number,
    readonly staleAfterMs: number,
  ) {}
  fresh(t: number) {
    return t >= this.now - this.staleAfterMs && t <= this.now + 5 * 60_000;
  }
  /** The latest fresh row matching, or why there is none. */
  latest<R extends { time: number }>(rows: readonly R[], match: (r: R) => boolean, what: string): R | string {
    let best: R | undefined;
    for (const r of rows) if (match(r) && (!best || r.time > best.time)) best = r;
    if (!best) return `no reading from ${what}`;
    if (!this.fresh(best.time)) return `last reading from ${what} at ${iso(best.time)} is stale`;
    return best;
  }
}

const liveItem = (text: string, device: string, time: number): EvidenceItem => ({
  kind: 'live',
  text,
  device,
  time: iso(time),
});

// ---- One decision per criterion, keyed by the table's ids ---------------------------------------

const upsOrder = ['N', 'N+1', '2N', '2(N+1)'] as const;
const pathOrder = ['single', 'active_alternate', 'dual_active'] as const;
const pathFix = (r: string) => `build and declare ${r.replace('_', '+')} distribution paths`;

/** E1: declared redundancy, and what the measured load leaves of it. */
const decideE1: Decide = (site, live) => {
  const units = site.electrical.ups_units;
  const f = site.electrical.ups_redundancy;
  const evidence = declared('UPS redundancy', f);
  for (const u of units) {
    evidence.push(
      withDoc(
        { kind: 'declared', text: `${u.id} (${u.device}): ${u.capacity_kw} kW on path ${u.path}` },
        u.evidence,
      ),
    );
  }
  let figures: Record<string, number> | undefined;
  // What the live readings say, or why they cannot say it.
  let measured: { level: number; label: string; load: number; avail: typeof units; why: string } | string;
  if (units.length === 0) measured = 'no UPS unit declared';
  else {
    const loads: number[] = [];
    const avail: typeof units = [];
    const missing: string[] = [];
    const out: string[] = [];
    for (const u of units) {
      const r = live.latest(live.rows.ups, (x) => x.device === u.device, u.device);
      if (typeof r === 'string') {
        missing.push(r);
        continue;
      }
      const kw =
        r.output_power_w !== undefined
          ? r.output_power_w / 1000
          : r.load_percent !== undefined
            ? (r.load_percent / 100) * u.capacity_kw
            : undefined;
      if (kw === undefined) {
        missing.push(`${u.device} reports neither output power nor load`);
        continue;
      }
      loads.push(kw);
      const down =
        r.on_battery === true
          ? 'on battery'
          : r.battery_status !== undefined && r.battery_status !== 2
            ? `battery status ${r.battery_status}`
            : '';
      if (down) out.push(`${u.id} ${down}`);
      else avail.push(u);
      evidence.push(
        liveItem(
          `${u.id}: output ${round(kw, 2)} kW${down ? `, ${down} (not counted as capacity)` : ''}`,
          u.device,
          r.time,
        ),
      );
    }
    if (missing.length > 0) measured = missing.join('; ');
    else {
      const load = loads.reduce((a, b) => a + b, 0);
      const cap = (us: typeof units) => us.reduce((a, u) => a + u.capacity_kw, 0);
      const largest = (us: typeof units) => Math.max(0, ...us.map((u) => u.capacity_kw));
      const pathA = avail.filter((u) => u.path === 'A');
      const pathB = avail.filter((u) => u.path === 'B');
      const holds = [
        cap(avail) >= load,
        avail.length >= 2 && cap(avail) - largest(avail) >= load,
        cap(pathA) >= load && cap(pathB) >= load,
        pathA.length >= 2 &&
          pathB.length >= 2 &&
          cap(pathA) - largest(pathA) >= load &&
          cap(pathB) - largest(pathB) >= load,
      ];
      let level = 0;
      // 2N does not need N+1 within a path; take the highest form that holds, in the scale's order.
      holds.forEach((h, i) => {
        if (h) level = i + 1;
      });
      const label = level === 0 ? 'less than N' : (upsOrder[level - 1] as string);
      measured = {
        level,
        label,
        load,
        avail,
        why: `load ${round(load, 2)} kW, ${round(cap(avail), 2)} kW available${out.length ? ` (${out.join(', ')})` : ''}, largest unit ${round(largest(avail), 2)} kW`,
      };
      evidence.push({ kind: 'live', text: `measured ${label}: ${measured.why}` });
      figures = {
        ups_load_kw: round(load, 3),
        ups_available_kw: round(cap(avail), 3),
        ups_n1_capacity_kw: round(avail.length >= 2 ? cap(avail) - largest(avail) : 0, 3),
      };
    }
  }
  let contradiction: string | undefined;
  const lv = perLevel(req<(typeof upsOrder)[number]>('E1'), (req) => {
    const d = ordinal(upsOrder, 'ups_redundancy', f, req, `add UPS capacity to reach ${req} and declare it`);
    if (typeof measured === 'string')
      return both(d, unknown(measured, 'make the poller read every declared UPS'));
    const need = upsOrder.indexOf(req) + 1;
    if (measured.level >= need) return d;
    const { load, avail } = measured;
    const cap = avail.reduce((a, u) => a + u.capacity_kw, 0);
    const big = Math.max(0, ...avail.map((u) => u.capacity_kw));
    let fix: string;
    if (req === 'N')
      fix = `add ≥ ${round(load - cap, 1)} kW of UPS capacity or shed ${round(load - cap, 1)} kW of load`;
    else if (req === 'N+1') {
      const deficit = round(load - (cap - big), 1);
      fix = `add a UPS of ≥ ${deficit} kW (no larger than ${big} kW) or shed ${deficit} kW of load`;
    } else fix = `give each path A and B alone ≥ ${round(load, 1)} kW of UPS capacity`;
    const reason = `${f ? `declared ${f.value}, ` : ''}measured ${measured.label}: ${measured.why}`;
    if (d.status === 'pass') contradiction ??= reason;
    return both(d, fail(reason, fix));
  });
  return {
    levels: lv,
    evidence,
    ...(contradiction ? { contradiction } : {}),
    ...(figures ? { figures } : {}),
  };
};

const decideE2: Decide = (site) => {
  const f = site.electrical.power_paths;
  return {
    levels: perLevel(req<(typeof pathOrder)[number]>('E2'), (req) =>
      ordinal(pathOrder, 'power_paths', f, req, pathFix(req)),
    ),
    evidence: declared('power paths', f),
  };
};

const decideE3: Decide = (site) => {
  const f = site.electrical.generator_redundancy;
  const order = ['none', 'N', 'N+1', '2N'] as const;
  return {
    levels: perLevel(req<'none' | 'N' | 'N+1' | '2N'>('E3'), (req) =>
      req === 'none'
        ? na()
        : ordinal(order, 'generator_redundancy', f, req, `add generators to reach ${req}`),
    ),
    evidence: [
      ...declared('generator redundancy', f),
      ...site.electrical.generators.map((g) =>
        withDoc({ kind: 'declared', text: `${g.id}: ${g.capacity_kw} kW` }, g.evidence),
      ),
    ],
  };
};

const decideE4: Decide = (site) => {
  const gens = site.electrical.generators;
  const hours = gens.length > 0 ? Math.min(...gens.map((g) => g.fuel_autonomy_hours)) : undefined;
  const none = site.electrical.generator_redundancy?.value === 'none';
  return {
    levels: perLevel(req<number>('E4'), (req, level) => {
      const fix = `store fuel for ≥ ${req} h at N load and declare it`;
      if (hours === undefined) {
        if (level === 1 && none) return na();
        return none
          ? fail('no generator declared', `add generators with ${req} h of fuel`)
          : unknown('no generator declared', fix);
      }
      return atLeast('fuel autonomy', hours, req, ' h', fix);
    }),
    evidence: gens.map((g) =>
      withDoc({ kind: 'declared', text: `${g.id}: ${g.fuel_autonomy_hours} h of fuel` }, g.evidence),
    ),
  };
};

/** E5: every declared UPS on mains with a normal battery and the runtime the level asks. */
const decideE5: Decide = (site, live) => {
  const units = site.electrical.ups_units;
  const evidence: EvidenceItem[] = [];
  const problems: { worst: 'fail' | 'unknown'; reason: string; fix: string; minutes?: number }[] = [];
  let minMinutes: number | undefined;
  let minutesKnown = units.length > 0;
  for (const u of units) {
    const r = live.latest(live.rows.ups, (x) => x.device === u.device, u.device);
    if (typeof r === 'string') {
      problems.push({ worst: 'unknown', reason: r, fix: `make the poller read ${u.device}` });
      minutesKnown = false;
      continue;
    }
    const parts = [
      r.on_battery === undefined ? 'source unknown' : r.on_battery ? 'ON BATTERY' : 'on mains',
      `battery status ${r.battery_status ?? 'unknown'}`,
      r.minutes_remaining === undefined ? 'runtime not reported' : `${r.minutes_remaining} min runtime`,
    ];
    evidence.push(liveItem(`${u.id}: ${parts.join(', ')}`, u.device, r.time));
    if (r.on_battery === true)
      problems.push({ worst: 'fail', reason: `${u.id} on battery`, fix: `restore mains to ${u.id}` });
    else if (r.on_battery === undefined)
      problems.push({
        worst: 'unknown',
        reason: `${u.id} does not say whether it is on battery`,
        fix: 'use a UPS-MIB profile reading upsOutputSource',
      });
    if (r.battery_status !== undefined && r.battery_status !== 2)
      problems.push({
        worst: 'fail',
        reason: `${u.id} battery status ${r.battery_status} (not normal)`,
        fix: `service the battery of ${u.id}`,
      });
    else if (r.battery_status === undefined)
      problems.push({
        worst: 'unknown',
        reason: `${u.id} battery status not reported`,
        fix: 'read upsBatteryStatus',
      });
    if (r.minutes_remaining === undefined) minutesKnown = false;
    else minMinutes = Math.min(minMinutes ?? Number.POSITIVE_INFINITY, r.minutes_remaining);
  }
  if (units.length === 0)
    problems.push({
      worst: 'unknown',
      reason: 'no UPS unit declared',
      fix: 'declare the UPS units and their SNMP devices',
    });
  return {
    levels: perLevel(req<number>('E5'), (req) => {
      const f = problems.find((p) => p.worst === 'fail');
      if (f) return fail(f.reason, f.fix);
      if (minMinutes !== undefined && minMinutes < req)
        return fail(
          `measured ${minMinutes} min runtime, needs ≥ ${req} min`,
          `add battery capacity or shed load to reach ${req} min`,
        );
      const u = problems.find((p) => p.worst === 'unknown');
      if (u) return unknown(u.reason, u.fix);
      if (!minutesKnown)
        return unknown(
          'runtime (upsEstimatedMinutesRemaining) not reported',
          'use a UPS reporting its runtime',
        );
      return pass();
    }),
    evidence,
  };
};

/** A feed counts as drawing above this current, A (a PDU's reading resolution is 0.1 A). */
const drawingA = 0.1;

interface FeedReading {
  current_a: number;
  rated_a: number;
}

/** One rack's verdict from its feeds' latest currents (or why a reading is missing). */
function rackVerdict(
  rack: string,
  feeds: Map<'A' | 'B', FeedReading | string>,
  declaredText: string,
): LevelResult {
  const a = feeds.get('A');
  const b = feeds.get('B');
  if (a === undefined || b === undefined) {
    const has = a === undefined ? 'B' : 'A';
    const lacks = a === undefined ? 'A' : 'B';
    return fail(`rack ${rack} has a PDU on feed ${has} only`, `add a feed-${lacks} PDU to rack ${rack}`);
  }
  if (typeof a === 'string' || typeof b === 'string')
    return unknown(typeof a === 'string' ? a : String(b), 'make the poller read the rack PDUs (profile apc)');
  if (a.current_a <= drawingA || b.current_a <= drawingA) {
    const idle = a.current_a <= drawingA && b.current_a <= drawingA;
    return fail(
      idle
        ? `${declaredText}measured rack ${rack} drawing on neither feed (A ${a.current_a} A, B ${b.current_a} A)`
        : `${declaredText}measured rack ${rack} drawing on feed ${a.current_a > drawingA ? 'A' : 'B'} only (A ${a.current_a} A, B ${b.current_a} A)`,
      idle
        ? `check the PDUs of rack ${rack}: neither feed draws current`
        : `cord the equipment of rack ${rack} to both feeds`,
    );
  }
  const sum = Math.round((a.current_a + b.current_a) * 10) / 10;
  const rated = Math.min(a.rated_a, b.rated_a);
  if (sum > rated)
    return fail(
      `${declaredText}measured rack ${rack} drawing ${sum} A on A+B (A ${a.current_a} A, B ${b.current_a} A), more than one feed carries (${rated} A rated)`,
      `shed ${Math.round((sum - rated) * 10) / 10} A from rack ${rack} or fit feeds rated ≥ ${Math.ceil(sum)} A`,
    );
  return pass();
}

/**
 * E6: declared share of dual-corded IT, and per declared rack: PDU feeds A and B both drawing current
 * and either feed's rated current able to carry the sum (tia942.md "derived checks").
 */
const decideE6: Decide = (site, live) => {
  const f = site.electrical.dual_corded_it_percent;
  const pdus = site.electrical.rack_pdus;
  const evidence = declared('dual-corded IT', f, f ? `${f.value} %` : undefined);
  let liveResult: LevelResult;
  if (pdus.length === 0)
    liveResult = unknown(
      'no rack PDU declared, so nothing measures the feeds',
      'declare rack PDUs (rack, feed, device, phase/bank, rated_current_a) polled by the PDU profile',
    );
  else {
    const racks = new Map<string, Map<'A' | 'B', FeedReading | string>>();
    for (const p of pdus) {
      const where = `${p.device} phase ${p.phase} bank ${p.bank}`;
      evidence.push(
        withDoc(
          { kind: 'declared', text: `rack ${p.rack} feed ${p.feed}: ${where}, rated ${p.rated_current_a} A` },
          p.evidence,
        ),
      );
      const r = live.latest(
        live.rows.pduFeeds,
        (x) => x.device === p.device && x.phase === p.phase && x.bank === p.bank,
        `${where} (the \`pdu\` current the poller's PDU profile writes)`,
      );
      const feeds = racks.get(p.rack) ?? new Map<'A' | 'B', FeedReading | string>();
      feeds.set(p.feed, typeof r === 'string' ? r : { current_a: r.current_a, rated_a: p.rated_current_a });
      if (typeof r !== 'string')
        evidence.push(liveItem(`rack ${p.rack} feed ${p.feed}: ${r.current_a} A`, p.device, r.time));
      racks.set(p.rack, feeds);
    }
    const declaredText = f ? `declared ${f.value} % dual-corded, ` : '';
    liveResult = pass();
    for (const [rack, feeds] of racks) liveResult = both(liveResult, rackVerdict(rack, feeds, declaredText));
  }
  let contradiction: string | undefined;
  const lv = perLevel(req<number>('E6'), (req) => {
    const d =
      f === undefined
        ? unknown('dual_corded_it_percent not declared', 'declare dual_corded_it_percent')
        : f.value >= req
          ? pass()
          : fail(
              `declared ${f.value} %, needs ${req} %`,
              'dual-cord the remaining IT equipment (or add transfer switches)',
            );
    if (d.status === 'pass' && liveResult.status === 'fail') contradiction ??= liveResult.reason;
    return both(d, liveResult);
  });
  return { levels: lv, evidence, ...(contradiction ? { contradiction } : {}) };
};

const decideE7: Decide = (site) => {
  const feeds = site.electrical.utility_feeds;
  const diverse = site.electrical.utility_feeds_diverse;
  return {
    levels: perLevel(req<number>('E7'), (req, level) => {
      if (feeds.length === 0) return unknown('no utility feed declared', 'declare the utility feeds');
      const n = atLeast(
        'utility feeds',
        feeds.length,
        req,
        '',
        `add a ${req === 2 ? 'second, diverse' : ''} utility feed`,
      );
      if (n.status !== 'pass' || level < 4) return n;
      return yes('diverse utility feeds', diverse, 'take the second feed from a different substation');
    }),
    evidence: [
      ...feeds.map((u) =>
        withDoc(
          { kind: 'declared', text: `utility feed ${u.id}${u.name ? ` (${u.name})` : ''}` },
          u.evidence,
        ),
      ),
      ...declared('feeds diverse', diverse),
    ],
  };
};

const decideE8: Decide = (site) => {
  const f = site.electrical.ats_present;
  return {
    levels: perLevel(req<boolean>('E8'), () => yes('ATS', f, 'install an automatic transfer switch')),
    evidence: declared('ATS present', f),
  };
};

const decideE9: Decide = (site) => {
  const f = site.electrical.concurrent_maintenance_tested;
  return {
    levels: perLevel(req<boolean>('E9'), () =>
      f
        ? pass()
        : unknown(
            'no dated concurrent-maintenance test declared',
            'run a concurrent-maintenance test and declare its date and record',
          ),
    ),
    evidence: declared('concurrent maintenance tested on', f),
  };
};

const decideM1: Decide = (site) => {
  const f = site.mechanical.cooling_redundancy;
  return {
    levels: perLevel(req<'N' | 'N+1' | '2N'>('M1'), (req) =>
      ordinal(['N', 'N+1', '2N'] as const, 'cooling_redundancy', f, req, `add cooling units to reach ${req}`),
    ),
    evidence: [
      ...declared('cooling redundancy', f),
      ...site.mechanical.cooling_units.map((u) =>
        withDoc({ kind: 'declared', text: `${u.id}: ${u.capacity_kw} kW on path ${u.path}` }, u.evidence),
      ),
    ],
  };
};

const decideM2: Decide = (site) => {
  const f = site.mechanical.cooling_paths;
  return {
    levels: perLevel(req<(typeof pathOrder)[number]>('M2'), (req) =>
      ordinal(pathOrder, 'cooling_paths', f, req, pathFix(req)),
    ),
    evidence: declared('cooling paths', f),
  };
};

const decideM3: Decide = (site) => {
  const f = site.mechanical.continuous_cooling;
  return {
    levels: perLevel(req<boolean>('M3'), () =>
      yes('continuous cooling', f, 'keep cooling running on UPS power (continuous cooling)'),
    ),
    evidence: declared('continuous cooling', f),
  };
};

/** M4: leak detection declared, and the declared leak sensors present and dry. */
const decideM4: Decide = (site, live) => {
  const f = site.mechanical.leak_detection;
  const sensors = site.mechanical.contacts.filter((c) => c.kind === 'leak');
  const evidence = declared('leak detection', f);
  let liveResult: LevelResult;
  if (sensors.length === 0)
    liveResult = unknown(
      'no leak sensor declared, so nothing confirms detection is present and dry',
      'declare the leak contacts the poller reads (mechanical.contacts, kind leak)',
    );
  else {
    liveResult = pass();
    for (const s of sensors) {
      const r = live.latest(
        live.rows.contacts,
        (x) => x.device === s.device && x.sensor === s.sensor && x.kind === 'leak',
        `leak sensor ${s.device}/${s.sensor} (the poller's probe profile writes it)`,
      );
      if (typeof r === 'string') {
        liveResult = both(liveResult, unknown(r, 'make the poller read the leak contacts'));
        continue;
      }
      evidence.push(
        liveItem(`leak ${s.sensor} (room ${s.room}): ${r.active ? 'WET' : 'dry'}`, s.device, r.time),
      );
      if (r.active)
        liveResult = both(
          liveResult,
          fail(
            `${f?.value ? 'declared leak detection dry, ' : ''}measured water at ${s.device}/${s.sensor} (room ${s.room})`,
            `find and stop the leak at ${s.sensor} in room ${s.room}`,
          ),
        );
    }
  }
  return {
    levels: perLevel(req<boolean>('M4'), () =>
      both(yes('leak detection', f, 'install leak detection'), liveResult),
    ),
    evidence,
    ...(f?.value && liveResult.status === 'fail' && liveResult.reason
      ? { contradiction: liveResult.reason }
      : {}),
  };
};

const decideM5: Decide = (site, live) => {
  const f = site.mechanical.fire_suppression;
  const comp = site.mechanical.fire_compartmentalised;
  const order = ['none', 'code', 'pre_action'] as const;
  const rank = (v: string) => (v === 'clean_agent' ? 2 : order.indexOf(v as (typeof order)[number]));
  return {
    levels: perLevel(req<string>('M5'), (req) => {
      const base = req === 'code' ? 'code' : 'pre_action';
      if (!f) return unknown('fire_suppression not declared', 'declare fire_suppression with its evidence');
      if (rank(f.value) < rank(base))
        return fail(
          `declared ${f.value}, needs ${base === 'code' ? 'code-compliant' : 'pre-action or clean agent'}`,
          'install pre-action sprinklers or a clean-agent system',
        );
      return req === 'pre_action_compartmentalised'
        ? yes('compartmentalised fire suppression', comp, 'compartmentalise fire suppression per A/B zone')
        : pass();
    }),
    evidence: [
      ...declared('fire suppression', f),
      ...declared('compartmentalised', comp),
      ...contactEvidence(site, live, 'smoke'),
    ],
  };
};

function inBand(r: EnvironmentRow, band: Band): string | undefined {
  const b = ashraeA1[band];
  const out: string[] = [];
  if (r.temperature_c !== undefined && (r.temperature_c < b.tempMin || r.temperature_c > b.tempMax))
    out.push(`${r.temperature_c} °C outside ${b.tempMin}–${b.tempMax} °C`);
  if (r.dew_point_c !== undefined && (r.dew_point_c < b.dewMin || r.dew_point_c > b.dewMax))
    out.push(`dew point ${r.dew_point_c} °C outside ${b.dewMin}–${b.dewMax} °C`);
  if (r.humidity_percent !== undefined && (r.humidity_percent < b.rhMin || r.humidity_percent > b.rhMax))
    out.push(`RH ${r.humidity_percent} % outside ${b.rhMin}–${b.rhMax} %`);
  return out.length ? out.join(', ') : undefined;
}

/** M6: every declared rack-inlet probe inside the ASHRAE A1 band the level asks, now; time in band as a KPI. */
const decideM6: Decide = (site, live) => {
  const sensors = site.mechanical.inlet_sensors;
  const evidence: EvidenceItem[] = [];
  const rows: (EnvironmentRow | string)[] = sensors.map((s) =>
    live.latest(
      live.rows.environment,
      (x) => x.device === s.device && x.sensor === s.sensor,
      `inlet sensor ${s.device}/${s.sensor}`,
    ),
  );
  for (const r of rows) {
    if (typeof r === 'string' || r.temperature_c === undefined) continue;
    const parts = [`${r.temperature_c} °C`];
    if (r.humidity_percent !== undefined) parts.push(`${r.humidity_percent} % RH`);
    if (r.dew_point_c !== undefined) parts.push(`dew point ${r.dew_point_c} °C`);
    evidence.push(liveItem(`${r.sensor}: ${parts.join(', ')}`, r.device, r.time));
  }
  for (const t of live.rows.timeInBand) {
    if (!sensors.some((s) => s.device === t.device && s.sensor === t.sensor)) continue;
    const pct = t.readings > 0 ? `${round((100 * t.in_band) / t.readings, 1)} %` : 'no readings';
    evidence.push({
      kind: 'live',
      text: `${t.sensor}: in the ${t.band} band ${t.in_band}/${t.readings} readings over ${t.window} (${pct}; a KPI, not a criterion)`,
      device: t.device,
    });
  }
  return {
    levels: perLevel(req<Band>('M6'), (band) => {
      if (sensors.length === 0)
        return unknown('no rack inlet sensor declared', 'declare the rack inlet sensors (device, sensor)');
      let result = pass();
      for (const r of rows) {
        if (typeof r === 'string') {
          result = both(result, unknown(r, 'make the poller read the inlet sensors'));
          continue;
        }
        if (r.temperature_c === undefined) {
          result = both(
            result,
            unknown(`${r.sensor} reports no temperature`, 'use a probe reporting temperature'),
          );
          continue;
        }
        const out = inBand(r, band as Band);
        if (out)
          result = both(
            result,
            fail(
              `${r.device}/${r.sensor}: ${out} (ASHRAE A1 ${band})`,
              `bring the inlet of ${r.sensor} into the ${band} band (cooling, airflow, containment)`,
            ),
          );
      }
      return result;
    }),
    evidence,
  };
};

const decideT1: Decide = (site) => {
  const rooms = site.rooms.filter((r) => r.kind === 'entrance_room');
  return {
    levels: perLevel(req<number>('T1'), (req) =>
      site.rooms.length === 0
        ? unknown('no room declared', 'declare the rooms, entrance rooms included')
        : atLeast(
            'entrance rooms',
            rooms.length,
            req,
            '',
            `declare and evidence a ${rooms.length + 1 === 2 ? 'second' : ''} entrance room`.replace(
              '  ',
              ' ',
            ),
          ),
    ),
    evidence: rooms.map((r) =>
      withDoc({ kind: 'declared', text: `entrance room ${r.id}${r.name ? ` (${r.name})` : ''}` }, r.evidence),
    ),
  };
};

/** The declared uplinks of a device, and which of them are measured up. */
function uplinkState(
  live: Live,
  links: readonly { device: string; if_name: string; neighbour?: string | undefined }[],
) {
  return links.map((l) => {
    const r = live.latest(
      live.rows.interfaces,
      (x) => x.device === l.device && x.if_name === l.if_name,
      `${l.device} ${l.if_name}`,
    );
    // A device that stopped answering after its interfaces were last read leaves their state unknown.
    const dev = live.latest(live.rows.devices, (x) => x.device === l.device, l.device);
    if (typeof dev !== 'string' && !dev.up && (typeof r === 'string' || dev.time > r.time)) {
      return { link: l, row: `${l.device} not answering since ${iso(dev.time)}` as InterfaceRow | string };
    }
    return { link: l, row: r as InterfaceRow | string };
  });
}

/** T2: declared providers, and how many have an uplink oper-up. */
const decideT2: Decide = (site, live) => {
  const providers = site.telecom.access_providers;
  const evidence: EvidenceItem[] = [];
  let up = 0;
  let unknownCount = 0;
  const down: string[] = [];
  const missing: string[] = [];
  for (const p of providers) {
    evidence.push(
      withDoc(
        {
          kind: 'declared',
          text: `provider ${p.id} (${p.name}): ${p.uplinks.map((u) => `${u.device} ${u.if_name}`).join(', ')}`,
        },
        p.evidence,
      ),
    );
    const states = uplinkState(live, p.uplinks);
    for (const s of states) {
      if (typeof s.row !== 'string')
        evidence.push(
          liveItem(
            `${p.id} uplink ${s.link.if_name}: ${s.row.oper_up ? 'up' : 'DOWN'}`,
            s.link.device,
            s.row.time,
          ),
        );
    }
    if (states.some((s) => typeof s.row !== 'string' && s.row.oper_up)) up++;
    else if (states.some((s) => typeof s.row === 'string')) {
      unknownCount++;
      missing.push(...states.flatMap((s) => (typeof s.row === 'string' ? [s.row] : [])));
    } else down.push(`${p.id}: ${p.uplinks.map((u) => `${u.device} ${u.if_name}`).join(', ')} down`);
  }
  let contradiction: string | undefined;
  const lv = perLevel(req<number>('T2'), (req) => {
    if (providers.length === 0)
      return unknown('no access provider declared', 'declare the access providers and their uplinks');
    const d = atLeast(
      'access providers',
      providers.length,
      req,
      '',
      `contract a ${req === 2 ? 'second, distinct' : ''} access provider`,
    );
    if (d.status !== 'pass') return d;
    if (up >= req) return pass();
    if (up + unknownCount >= req)
      return unknown(missing.join('; '), 'make the poller read the provider uplinks');
    const reason = `declared ${providers.length} providers, measured ${up} with an uplink up (${down.join('; ')})`;
    contradiction ??= reason;
    return fail(reason, "restore the providers' uplinks");
  });
  return { levels: lv, evidence, ...(contradiction ? { contradiction } : {}) };
};

const decideT3: Decide = (site) => {
  const f = site.telecom.diverse_entrance_pathways;
  const sep = site.telecom.entrance_pathway_separation_m;
  return {
    levels: perLevel(req<boolean>('T3'), () => {
      const d = yes('diverse entrance pathways', f, 'build a second entrance pathway on a diverse route');
      if (d.status !== 'pass' || !sep) return d;
      return sep.value >= entrancePathwaySeparationM
        ? pass()
        : fail(
            `declared ${sep.value} m separation, needs ≈${entrancePathwaySeparationM} m`,
            `separate the entrance pathways by ≈${entrancePathwaySeparationM} m`,
          );
    }),
    evidence: [
      ...declared('diverse entrance pathways', f),
      ...declared('separation', sep, sep ? `${sep.value} m` : undefined),
    ],
  };
};

const decideT4: Decide = (site) => {
  const f = site.telecom.redundant_backbone_cabling;
  return {
    levels: perLevel(req<boolean>('T4'), () =>
      yes('redundant backbone cabling', f, 'lay and declare redundant backbone cabling'),
    ),
    evidence: declared('redundant backbone cabling', f),
  };
};

/** T5: redundant PSUs (declared, and ENTITY-MIB where it lists them), two cores answering, a secondary distribution area. */
const decideT5: Decide = (site, live) => {
  const cores = site.telecom.core_switches;
  const sda = site.telecom.secondary_distribution_area;
  const evidence: EvidenceItem[] = [...declared('secondary distribution area', sda)];
  let contradiction: string | undefined;
  const psu: LevelResult[] = [];
  const reach: LevelResult[] = [];
  for (const c of cores) {
    evidence.push(withDoc({ kind: 'declared', text: `core ${c.device}: ${c.psus} PSUs` }, c.evidence));
    const listed = live.rows.entities.filter((e) => e.device === c.device && e.class === 'powerSupply');
    if (listed.length > 0) {
      const failed = listed.filter((e) => e.ok === false);
      evidence.push(
        liveItem(
          `${c.device}: ENTITY-MIB lists ${listed.length} power supplies${failed.length ? `, ${failed.length} failed` : ''}`,
          c.device,
          Math.max(...listed.map((e) => e.time)),
        ),
      );
      const working = listed.length - failed.length;
      if (c.psus >= 2 && working < 2) {
        const reason = `declared ${c.psus} PSUs on ${c.device}, measured ${working} working in ENTITY-MIB`;
        contradiction ??= reason;
        psu.push(fail(reason, `fit or repair a second PSU in ${c.device}`));
        continue;
      }
    }
    psu.push(
      c.psus >= 2
        ? pass()
        : fail(`${c.device} declared with ${c.psus} PSU`, `fit a second PSU in ${c.device}`),
    );
    const r = live.latest(live.rows.devices, (x) => x.device === c.device, c.device);
    if (typeof r === 'string') reach.push(unknown(r, `make the poller read ${c.device}`));
    else {
      evidence.push(liveItem(`${c.device}: ${r.up ? 'answering' : 'NOT ANSWERING'}`, c.device, r.time));
      reach.push(r.up ? pass() : fail(`${c.device} not answering`, `bring ${c.device} back`));
    }
  }
  const all = (rs: LevelResult[]) => rs.reduce<LevelResult>((a, b) => both(a, b), pass());
  const lv = perLevel(req<string>('T5'), (req) => {
    if (cores.length === 0) return unknown('no core switch declared', 'declare the core switches');
    const psus = all(psu);
    if (req === 'psu') return psus;
    const two =
      cores.length >= 2 ? pass() : fail(`declared ${cores.length} core switch`, 'add a second core switch');
    let r = both(both(two, psus), all(reach));
    if (cores.length >= 2 && r.status === 'fail' && reach.some((x) => x.status === 'fail')) {
      const answering = reach.filter((x) => x.status === 'pass').length;
      const reason = `declared ${cores.length} core switches, measured ${answering} answering (${reach
        .filter((x) => x.status === 'fail')
        .map((x) => x.reason)
        .join('; ')})`;
      contradiction ??= reason;
      r = fail(reason, 'bring the core switches back');
    }
    if (req === 'two_cores_sda')
      r = both(r, yes('secondary distribution area', sda, 'build a secondary distribution area'));
    return r;
  });
  return { levels: lv, evidence, ...(contradiction ? { contradiction } : {}) };
};

/** T6: per core switch, its declared uplinks (own and the providers') oper-up; Rated-4 to two distinct neighbours. */
const decideT6: Decide = (site, live) => {
  const cores = site.telecom.core_switches;
  const evidence: EvidenceItem[] = [];
  const perCore = cores.map((c) => {
    const links = [
      ...c.uplinks.map((u) => ({ ...u, device: c.device })),
      ...site.telecom.access_providers.flatMap((p) =>
        p.uplinks.filter((u) => u.device === c.device).map((u) => ({ ...u, neighbour: u.neighbour ?? p.id })),
      ),
    ];
    const states = uplinkState(live, links);
    for (const s of states)
      if (typeof s.row !== 'string')
        evidence.push(
          liveItem(`${c.device} ${s.link.if_name}: ${s.row.oper_up ? 'up' : 'DOWN'}`, c.device, s.row.time),
        );
    const up = states.filter((s) => typeof s.row !== 'string' && s.row.oper_up);
    return {
      device: c.device,
      declaredCount: links.length,
      up: up.length,
      unknown: states.filter((s) => typeof s.row === 'string').map((s) => s.row as string),
      down: states.filter((s) => typeof s.row !== 'string' && !s.row.oper_up).map((s) => s.link.if_name),
      neighbours: new Set(up.map((s) => s.link.neighbour).filter((n): n is string => n !== undefined)),
      unnamed: up.some((s) => s.link.neighbour === undefined),
    };
  });
  let contradiction: string | undefined;
  const lv = perLevel(req<number>('T6'), (req, level) => {
    if (cores.length === 0)
      return unknown('no core switch declared', 'declare the core switches and their uplinks');
    let result = pass();
    for (const c of perCore) {
      if (c.declaredCount === 0) {
        result = both(
          result,
          unknown(`no uplink declared for ${c.device}`, `declare the uplinks of ${c.device}`),
        );
        continue;
      }
      if (c.up < req) {
        if (c.up + c.unknown.length >= req)
          result = both(result, unknown(c.unknown.join('; '), 'make the poller read the uplinks'));
        else {
          const reason = `declared ${c.declaredCount} uplinks on ${c.device}, measured ${c.up} up${c.down.length ? ` (${c.down.join(', ')} down)` : ''}`;
          if (c.declaredCount >= req) contradiction ??= reason;
          result = both(
            result,
            fail(
              reason,
              c.declaredCount >= req ? `restore the uplinks of ${c.device}` : `add an uplink to ${c.device}`,
            ),
          );
        }
        continue;
      }
      if (level === 4 && c.neighbours.size < 2)
        result = both(
          result,
          c.unnamed
            ? unknown(
                `uplinks of ${c.device} do not name their neighbours`,
                "declare each uplink's neighbour",
              )
            : fail(
                `uplinks of ${c.device} go to ${c.neighbours.size} neighbour`,
                `connect ${c.device} to a second, distinct neighbour`,
              ),
        );
    }
    return result;
  });
  return { levels: lv, evidence, ...(contradiction ? { contradiction } : {}) };
};

const decideA1: Decide = (site) => {
  const rooms = site.rooms.filter((r) => r.kind === 'computer_room' && r.floor_load_kpa !== undefined);
  const min = rooms.length > 0 ? Math.min(...rooms.map((r) => r.floor_load_kpa as number)) : undefined;
  return {
    levels: perLevel(req<number>('A1'), (req) =>
      atLeast(
        'computer-room floor loading',
        min,
        req,
        ' kPa',
        `reinforce the floor to ≥ ${req} kPa (or move IT to a room rated for it)`,
      ),
    ),
    evidence: rooms.map((r) =>
      withDoc({ kind: 'declared', text: `${r.id}: floor ${r.floor_load_kpa} kPa` }, r.evidence),
    ),
  };
};

/**
 * Smoke and door contacts as informative evidence: the reference ties no rating criterion to them
 * (M5 is about suppression, A2 about the access-control system), so they are shown, never decide.
 */
function contactEvidence(site: DatacenterSite, live: Live, kind: 'smoke' | 'door'): EvidenceItem[] {
  const state =
    kind === 'smoke' ? (a: boolean) => (a ? 'SMOKE' : 'clear') : (a: boolean) => (a ? 'OPEN' : 'closed');
  return site.mechanical.contacts
    .filter((c) => c.kind === kind)
    .map((c) => {
      const r = live.latest(
        live.rows.contacts,
        (x) => x.device === c.device && x.sensor === c.sensor && x.kind === kind,
        `${kind} contact ${c.device}/${c.sensor}`,
      );
      const text = `${kind} ${c.sensor} (room ${c.room}): `;
      return typeof r === 'string'
        ? { kind: 'live', text: `${text}${r} (informative)`, device: c.device }
        : liveItem(`${text}${state(r.active)} (informative)`, c.device, r.time);
    });
}

const decideA2: Decide = (site, live) => {
  const f = site.architectural.access_control;
  return {
    levels: perLevel(req<'none' | 'lock' | 'card' | 'card_cctv' | 'card_cctv_mantrap'>('A2'), (req) =>
      ordinal(
        ['none', 'lock', 'card', 'card_cctv', 'card_cctv_mantrap'] as const,
        'access_control',
        f,
        req,
        `upgrade access control to ${req.replaceAll('_', ' + ')}`,
      ),
    ),
    evidence: [...declared('access control', f), ...contactEvidence(site, live, 'door')],
  };
};

const decideA3: Decide = (site) => {
  const f = site.architectural.noc_hours;
  return {
    levels: perLevel(req<string>('A3'), () =>
      !f
        ? unknown('noc_hours not declared', 'declare noc_hours')
        : f.value === '24x7'
          ? pass()
          : fail(`declared NOC hours ${f.value}`, 'staff the NOC 24×7'),
    ),
    evidence: declared('NOC hours', f),
  };
};

const decideA5: Decide = (site) => {
  const f = site.architectural.compartmentalised_a_b;
  return {
    levels: perLevel(req<boolean>('A5'), () =>
      yes('A/B compartmentalisation', f, 'separate A and B into their own compartments'),
    ),
    evidence: declared('A/B compartmentalised', f),
  };
};

const decideA6: Decide = (site) => {
  const a = site.architectural.site_risks;
  return {
    levels: perLevel(req<string>('A6'), () =>
      a
        ? pass()
        : unknown(
            'no site risk assessment declared',
            'assess and grade the site risks (flood, seismic, flight path…) and declare them',
          ),
    ),
    evidence: a
      ? [
          withDoc(
            {
              kind: 'declared',
              text: `site risks: ${a.risks.map((r) => `${r.risk} ${r.grade}`).join(', ') || 'none found'}`,
            },
            a.evidence,
          ),
        ]
      : [],
  };
};

const criteriaById = new Map<string, Criterion>(criteria.map((c) => [c.id, c]));
/** A row's requirement per level, typed as its decision reads it. */
function req<T>(id: CriterionId): PerLevel<T> {
  return (criteriaById.get(id) as Criterion).requirement as PerLevel<T>;
}

/** Every criterion's decision, keyed by id: adding a row to the table without one fails to compile. */
const deciders: Record<CriterionId, Decide> = {
  E1: decideE1,
  E2: decideE2,
  E3: decideE3,
  E4: decideE4,
  E5: decideE5,
  E6: decideE6,
  E7: decideE7,
  E8: decideE8,
  E9: decideE9,
  M1: decideM1,
  M2: decideM2,
  M3: decideM3,
  M4: decideM4,
  M5: decideM5,
  M6: decideM6,
  T1: decideT1,
  T2: decideT2,
  T3: decideT3,
  T4: decideT4,
  T5: decideT5,
  T6: decideT6,
  A1: decideA1,
  A2: decideA2,
  A3: decideA3,
  A5: decideA5,
  A6: decideA6,
};

// ---- Rating ------------------------------------------------------------------------------------

const ok = (s: Status) => s === 'pass' || s === 'na';

/** Highest level L at which every criterion of level ≤ L passes (n/a counts as passing that level). */
export function subsystemRating(results: readonly Pick<CriterionResult, 'levels'>[]): number {
  let rating = 0;
  for (const level of levels) {
    if (!results.every((r) => ok(r.levels[level - 1]?.status ?? 'unknown'))) break;
    rating = level;
  }
  return rating;
}

/** The worst status over levels 1..target: fail, then unknown, then pass; na when nothing is required. */
export function statusUpTo(r: Pick<CriterionResult, 'levels'>, target: number): Status {
  const s = r.levels.slice(0, target).map((l) => l.status);
  if (s.includes('fail')) return 'fail';
  if (s.includes('unknown')) return 'unknown';
  if (s.includes('pass')) return 'pass';
  return 'na';
}

/** Evaluates one criterion row; exported for the per-row unit tests. */
export function evaluateCriterion(
  c: Criterion & { id: CriterionId },
  site: DatacenterSite,
  live: Live,
): CriterionResult {
  const d = deciders[c.id](site, live);
  const note = site.notes[c.id];
  return {
    id: c.id,
    subsystem: c.subsystem,
    field: c.field,
    title: c.title,
    requirement: c.requirement.map((r) => (r === null ? null : String(r))),
    sources: c.sources,
    unverified: isUnverified(c),
    threshold: isUnverified(c) ? 'unverified threshold' : 'sourced',
    decided_by: c.decidedBy,
    levels: d.levels,
    evidence: d.evidence,
    ...(d.contradiction ? { contradiction: d.contradiction } : {}),
    ...(note ? { note } : {}),
    ...(d.figures ? { figures: d.figures } : {}),
  };
}

/**
 * The scorecard of one site: every criterion per level with its evidence, the subsystem ratings
 * (highest level whose criteria up to it all pass), the overall rating (the lowest subsystem) and
 * the gaps blocking the target.
 *
 * @example
 * const card = evaluateSite(site, rows, { now: Date.now(), staleAfterMs: 10 * 60_000 });
 * card.overall_rating; // 0..4
 */
export function evaluateSite(site: DatacenterSite, rows: LiveEvidence, o: EvaluateOptions): Scorecard {
  const live = new Live(rows, o.now, o.staleAfterMs);
  const results = criteria.map((c) => evaluateCriterion(c, site, live));
  const target = site.target_rating;
  const subs: SubsystemResult[] = subsystems.map((s) => {
    const mine = results.filter((r) => r.subsystem === s);
    const at = mine.map((r) => statusUpTo(r, target));
    return {
      subsystem: s,
      rating: subsystemRating(mine),
      target_rating: target,
      passed: at.filter((x) => x === 'pass').length,
      failed: at.filter((x) => x === 'fail').length,
      unknown: at.filter((x) => x === 'unknown').length,
      total: at.filter((x) => x !== 'na').length,
      blocking: mine.filter((_, i) => at[i] === 'fail' || at[i] === 'unknown').map((r) => r.id),
    };
  });
  const gaps: Gap[] = [];
  results.forEach((r) => {
    const i = r.levels.slice(0, target).findIndex((l) => l.status === 'fail' || l.status === 'unknown');
    if (i < 0) return;
    const l = r.levels[i] as LevelResult;
    gaps.push({
      id: r.id,
      subsystem: r.subsystem,
      level: i + 1,
      status: l.status as 'fail' | 'unknown',
      reason: l.reason ?? '',
      fix: l.fix ?? '',
      sources: r.sources,
      unverified: r.unverified,
    });
  });
  const order = new Map(results.map((r, i) => [r.id, i]));
  gaps.sort(
    (a, b) =>
      a.level - b.level ||
      (a.status === b.status ? 0 : a.status === 'fail' ? -1 : 1) ||
      (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0),
  );
  return {
    label: disclaimer.en,
    site: site.id,
    name: site.name,
    evaluated_at: iso(o.now),
    target_rating: target,
    overall_rating: Math.min(...subs.map((s) => s.rating)),
    subsystems: subs,
    criteria: results,
    gaps,
    stale_after_s: Math.round(o.staleAfterMs / 1000),
  };
}

export { Live };
