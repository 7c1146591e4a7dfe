import { type Asset, machineKey } from '../../lib/assets/index.js';
import { agentHealth, antivirus, host, inventory, inventoryChange } from '../../protocol/index.js';
import type { QuerySeries, Storage } from '../storage/index.js';

/**
 * The machine side of a snapshot: which machines reported within the look-back (from what agents write,
 * since enrollment itself is not stored), how they match the asset register, and their latest
 * antivirus and inventory points. Queries only; the tables are shaped in collect.ts.
 */

/** What a machine is known by in a snapshot: its site and host name (matched without case). */
export interface SeenMachine {
  key: string;
  site: string;
  hostname: string;
  agentIds: string[];
  /** Latest point of any of the measurements, ms. */
  lastSeen: number;
  /** Measurements it wrote in the look-back. */
  sources: string[];
}

export type MachineCategory = 'reporting' | 'not_reporting' | 'not_registered';

export interface Machine {
  key: string;
  site: string;
  hostname: string;
  category: MachineCategory;
  asset?: Asset;
  seen?: SeenMachine;
}

/** An InfluxQL string literal (InfluxQL has no parameters). */
export function literal(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** `AND ("site_id" = 'a' OR …)`, or nothing for every site. */
export function siteFilter(sites: readonly string[]): string {
  if (sites.length === 0) return '';
  return ` AND (${sites.map((s) => `"site_id" = ${literal(s)}`).join(' OR ')})`;
}

export function rowsOf(series: QuerySeries): Record<string, unknown>[] {
  return series.values.map((v) => Object.fromEntries(series.columns.map((c, i) => [c, v[i]])));
}

/** The measurements (and one field each) whose points show that a machine's agent is running. */
const presence = [
  { m: agentHealth.name, field: 'queue_points' satisfies keyof typeof agentHealth.fields },
  { m: inventory.name, field: 'inventory_hash' satisfies keyof typeof inventory.fields },
  { m: host.name, field: 'uptime_s' satisfies keyof typeof host.fields },
  { m: antivirus.name, field: 'state' satisfies keyof typeof antivirus.fields },
] as const;

export interface Lookback {
  fromMs: number;
  asOfMs: number;
  sites: readonly string[];
}

const lookbackWhere = (l: Lookback) =>
  `time > ${Math.trunc(l.fromMs)}ms AND time <= ${Math.trunc(l.asOfMs)}ms${siteFilter(l.sites)}`;

/** Machines that wrote agent_health, inventory, host or antivirus in (asOf − look-back, asOf]. */
export async function machinesSeen(
  storage: Storage,
  l: Lookback,
  signal?: AbortSignal,
): Promise<SeenMachine[]> {
  const answers = await Promise.all(
    presence.map((p) =>
      storage.query(
        `SELECT last("${p.field}") FROM "${p.m}" WHERE ${lookbackWhere(l)} GROUP BY "site_id", "agent_id", "hostname"`,
        signal,
      ),
    ),
  );
  const seen = new Map<string, SeenMachine>();
  answers.forEach((series, i) => {
    const m = presence[i]?.m ?? '';
    for (const s of series) {
      const site = s.tags?.site_id ?? '';
      const hostname = s.tags?.hostname ?? '';
      const time = Number(s.values[0]?.[0] ?? 0);
      if (!site || !hostname) continue;
      const key = machineKey(site, hostname);
      let machine = seen.get(key);
      if (!machine) {
        machine = { key, site, hostname, agentIds: [], lastSeen: 0, sources: [] };
        seen.set(key, machine);
      }
      const agent = s.tags?.agent_id;
      if (agent && !machine.agentIds.includes(agent)) machine.agentIds.push(agent);
      if (!machine.sources.includes(m)) machine.sources.push(m);
      machine.lastSeen = Math.max(machine.lastSeen, time);
    }
  });
  return [...seen.values()].sort((a, b) => a.key.localeCompare(b.key));
}

/**
 * Register rows and seen machines side by side, matched on site + host name without case: every
 * register row once (reporting or not), then every seen machine the register does not list.
 */
export function matchMachines(register: readonly Asset[], seen: readonly SeenMachine[]): Machine[] {
  const bySeen = new Map(seen.map((m) => [m.key, m]));
  const out: Machine[] = [];
  const matched = new Set<string>();
  for (const asset of register) {
    const key = machineKey(asset.site, asset.hostname);
    const s = bySeen.get(key);
    if (s) matched.add(key);
    out.push({
      key,
      site: asset.site,
      hostname: asset.hostname,
      category: s ? 'reporting' : 'not_reporting',
      asset,
      ...(s ? { seen: s } : {}),
    });
  }
  for (const s of seen) {
    if (matched.has(s.key)) continue;
    out.push({ key: s.key, site: s.site, hostname: s.hostname, category: 'not_registered', seen: s });
  }
  return out;
}

/**
 * The latest point of each series of a measurement in the look-back, keyed by machine: first from
 * the last day (where a running agent's latest points are), then, for the machines seen in the
 * look-back (`seen`) with none there, from the rest of it (by host name when they are few). Reading
 * all 30 days of 2,000 machines' points took InfluxDB ~0.9 s a measurement, the last day 0.15 s.
 */
async function latestByMachine(
  storage: Storage,
  measurement: string,
  extraTags: readonly string[],
  l: Lookback,
  seen: Promise<readonly SeenMachine[]>,
  signal?: AbortSignal,
): Promise<Map<string, Record<string, unknown>[]>> {
  const splitAt = Math.max(l.fromMs, l.asOfMs - recentMs);
  const out = await latestIn(storage, measurement, extraTags, { ...l, fromMs: splitAt }, '', signal);
  if (splitAt <= l.fromMs) return out;
  const missing = (await seen).filter((m) => m.sources.includes(measurement) && !out.has(m.key));
  if (missing.length === 0) return out;
  const names = [...new Set(missing.map((m) => m.hostname.toLowerCase()))].sort();
  const filter =
    names.length <= maxNamesInFilter
      ? ` AND "hostname" =~ /^(?i)(?:${names.map(regexLiteral).join('|')})$/`
      : '';
  const older = await latestIn(storage, measurement, extraTags, { ...l, asOfMs: splitAt }, filter, signal);
  const wanted = new Set(missing.map((m) => m.key));
  for (const [key, rows] of older) if (wanted.has(key)) out.set(key, rows);
  return out;
}

/** The look-back's last stretch read first for the latest points. */
const recentMs = 86_400_000;
/** Host names filtered by at most this many (one regular expression); more: the rest read whole. */
const maxNamesInFilter = 200;

/** `text` matched literally inside an InfluxQL (Go) regular expression between slashes. */
const regexLiteral = (text: string) => text.replace(/[\\^$.|?*+()[\]{}/]/g, (c) => `\\${c}`);

/** The latest point of each series of a measurement in (fromMs, asOfMs], keyed by machine. */
async function latestIn(
  storage: Storage,
  measurement: string,
  extraTags: readonly string[],
  l: Lookback,
  filter: string,
  signal?: AbortSignal,
): Promise<Map<string, Record<string, unknown>[]>> {
  const by = ['site_id', 'agent_id', 'hostname', ...extraTags].map((t) => `"${t}"`).join(', ');
  const series = await storage.query(
    `SELECT * FROM "${measurement}" WHERE ${lookbackWhere(l)}${filter} GROUP BY ${by} ORDER BY time DESC LIMIT 1`,
    signal,
  );
  const out = new Map<string, Record<string, unknown>[]>();
  for (const s of series) {
    const site = s.tags?.site_id;
    const hostname = s.tags?.hostname;
    const row = rowsOf(s)[0];
    if (!site || !hostname || !row) continue;
    const key = machineKey(site, hostname);
    out.set(key, [...(out.get(key) ?? []), { ...s.tags, ...row }]);
  }
  return out;
}

export interface AntivirusFacts {
  /** protected | unprotected | unknown: the machine as a whole (host_state of its latest cycle). */
  state: string;
  reason: string;
  product: string;
  /** Every product of the latest cycle, `; `-separated. */
  products: string;
  signatureAgeDays: number | null;
  source: string;
  lastSeen: number;
}

/**
 * Each machine's antivirus from its latest points (one per product): the latest cycle's host_state is
 * the machine's state (protected if any product protects it, as the agent decides); the product shown
 * is the one that gives that state, the most recent first.
 */
export async function antivirusByMachine(
  storage: Storage,
  l: Lookback,
  seen: Promise<readonly SeenMachine[]>,
  signal?: AbortSignal,
): Promise<Map<string, AntivirusFacts>> {
  const latest = await latestByMachine(storage, antivirus.name, ['product'], l, seen, signal);
  const out = new Map<string, AntivirusFacts>();
  for (const [key, rows] of latest) {
    const newest = Math.max(...rows.map((r) => Number(r.time)));
    // One agent pass writes every product at the same time; older rows are products since removed.
    const cycle = rows.filter((r) => Number(r.time) === newest);
    const hostState = String(cycle.find((r) => typeof r.host_state === 'string')?.host_state ?? '');
    const state = hostState || String(cycle[0]?.state ?? 'unknown');
    const chosen = cycle.find((r) => r.state === state) ?? cycle[0] ?? {};
    const age = chosen.signature_age_days;
    out.set(key, {
      state,
      reason: String(chosen.reason ?? ''),
      product: String(chosen.product ?? ''),
      products: cycle
        .map((r) => String(r.product ?? ''))
        .sort()
        .join('; '),
      signatureAgeDays: typeof age === 'number' ? Math.round(age * 10) / 10 : null,
      source: String(chosen.source ?? ''),
      lastSeen: newest,
    });
  }
  return out;
}

/** Each machine's latest inventory point (the agent re-asserts it every few hours). */
export async function inventoryByMachine(
  storage: Storage,
  l: Lookback,
  seen: Promise<readonly SeenMachine[]>,
  signal?: AbortSignal,
): Promise<Map<string, Record<string, unknown>>> {
  const latest = await latestByMachine(storage, inventory.name, [], l, seen, signal);
  const out = new Map<string, Record<string, unknown>>();
  for (const [key, rows] of latest) {
    const newest = rows.reduce((a, b) => (Number(b.time) > Number(a.time) ? b : a));
    out.set(key, newest);
  }
  return out;
}

/** At most this many hardware changes are listed (the most recent); the count covers all. */
export const maxListedChanges = 10_000;

/** Inventory changes in [from, to), oldest first. */
export async function hardwareChanges(
  storage: Storage,
  w: { fromMs: number; toMs: number; sites: readonly string[] },
  signal?: AbortSignal,
): Promise<Record<string, unknown>[]> {
  const series = await storage.query(
    `SELECT "component", "before", "after", "summary", "hostname", "site_id", "agent_id" FROM "${inventoryChange.name}" WHERE time >= ${Math.trunc(w.fromMs)}ms AND time < ${Math.trunc(w.toMs)}ms${siteFilter(w.sites)} ORDER BY time DESC LIMIT ${maxListedChanges}`,
    signal,
  );
  return series.flatMap(rowsOf).reverse();
}
