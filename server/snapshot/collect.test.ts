import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Asset } from '../../lib/assets/index.js';
import type { Registry } from '../../lib/endpoints/types.js';
import { startInfluxd, storageOn } from '../../test/harness/influxd.js';
import { staticAssets } from '../assets.js';
import { computeAvailability } from '../availability.js';
import { staticRegistry } from '../registry.js';
import { createRollups } from '../rollups.js';
import type { Storage } from '../storage/index.js';
import { createSnapshotCollector, formatMachineGaps, formatRatio } from './collect.js';

/**
 * The snapshot's figures against a real InfluxDB holding seeded points with known answers: a register
 * of 50 machines of which 47 report and 36 are protected, one machine reporting that is not in the
 * register, and endpoints with a known outage and known hours without data. Points are written
 * straight to influxd's /write (the ingest path has its own tests).
 */

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
let influxd: Awaited<ReturnType<typeof startInfluxd>>;
let storage: Storage;

/** "As of": a fixed time on a minute boundary, a few days back so nothing is "now". */
const asOf = Math.floor((Date.now() - 3 * DAY) / HOUR) * HOUR + 17 * MIN;
/** The availability window: starts and ends mid-hour. */
const T0 = asOf - 10 * HOUR - 23 * MIN;
const T1 = asOf - 40 * MIN;
const firstHour = Math.ceil(T0 / HOUR) * HOUR;

const tagText = (v: string) => v.replace(/[ ,=\\]/g, (c) => `\\${c}`);
const str = (v: string) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;

function machineLine(m: string, site: string, host: string, fields: string, t: number, extra = '') {
  return `${m},agent_id=${tagText(`${host.toLowerCase()}-a1`)},hostname=${tagText(host)},site_id=${site}${extra} ${fields} ${t}`;
}

function antivirusLine(
  site: string,
  host: string,
  product: string,
  state: string,
  hostState: string,
  t: number,
) {
  const reason = state === 'protected' ? 'ok' : state === 'unknown' ? 'not_reported' : 'disabled';
  return machineLine(
    'antivirus',
    site,
    host,
    `state=${str(state)},reason=${str(reason)},host_state=${str(hostState)},source="securitycenter2",signature_age_days=1.5`,
    t,
    `,product=${tagText(product)}`,
  );
}

function pingLine(target: string, t: number, up: boolean, cause = 'down', parent = '') {
  return `ping,source=poller-1,site_id=so-tttt,target_id=${target} up=${up},cause=${str(up ? '' : cause)},parent_id=${str(up ? '' : parent)},interval_s=60,sent=3i,received=${up ? 3 : 0}i ${t}`;
}

const writeLines = (lines: string[]) => influxd.writeLines(lines);

const pc = (i: number) => `PC-${String(i).padStart(2, '0')}`;
const register: Asset[] = Array.from({ length: 50 }, (_, k) => ({
  site: 'so-tttt',
  agency: k < 25 ? 'Sở Thông tin và Truyền thông' : 'UBND xã Xuân Quan',
  hostname: pc(k + 1),
  asset_tag: `TS-${k + 1}`,
  owner: `Cán bộ ${k + 1}`,
}));
register.push({ site: 'ubnd-huyen-a', agency: 'UBND huyện A', hostname: 'HA-01' });

const registry: Registry = {
  levels: ['province', 'commune'],
  endpoints: [
    { id: 'core', name: 'Trung tâm THDL', level: 'province', address: '127.1.0.1' },
    {
      id: 'xa-a',
      name: 'UBND xã A',
      level: 'commune',
      parent: 'core',
      address: '127.1.1.1',
      tags: { area: 'bắc' },
    },
    {
      id: 'xa-b',
      name: 'UBND xã B',
      level: 'commune',
      parent: 'core',
      address: '127.1.1.2',
      tags: { area: 'nam' },
    },
  ],
};
/** xa-a is down for 30 cycles from here: a known outage of 1,800 s. */
const outageStart = firstHour + 70 * MIN;
/** xa-b has no points for two whole hours from here: 7,200 s unknown. */
const gapStart = firstHour + 3 * HOUR;
/** xa-b is down for 10 cycles because core was down (parent_down) from here. */
const parentDownStart = firstHour + 6 * HOUR + 5 * MIN;

beforeAll(async () => {
  influxd = await startInfluxd();
  storage = await storageOn(influxd);
  const lines: string[] = [];
  const t = asOf - 2 * HOUR;
  // 47 of the 50 report; host names in the points in lower case for some, to match without case.
  for (let i = 1; i <= 47; i++) {
    const host = i % 2 === 0 ? pc(i).toLowerCase() : pc(i);
    lines.push(machineLine('agent_health', 'so-tttt', host, 'queue_points=0i', t));
    const state = i <= 36 ? 'protected' : i <= 44 ? 'unprotected' : 'unknown';
    // PC-01's Defender is passive (unprotected) beside a protecting product, below.
    lines.push(antivirusLine('so-tttt', host, 'Windows Defender', i === 1 ? 'unprotected' : state, state, t));
    if (i <= 40) {
      lines.push(
        machineLine(
          'inventory',
          'so-tttt',
          host,
          `manufacturer="Dell Inc.",model="OptiPlex 7090",serial="SN${i}",mem_total_bytes=${8 * 1024 ** 3}i,inventory_hash="h${i}"`,
          t,
        ),
      );
    }
  }
  // PC-01 also has a passive Defender beside a protecting product: the machine is protected.
  lines.push(antivirusLine('so-tttt', pc(1), 'Kaspersky Endpoint Security', 'protected', 'protected', t));
  // PC-48 last reported 40 days ago (beyond the 30-day look-back); PC-49 only after "as of".
  lines.push(machineLine('agent_health', 'so-tttt', pc(48), 'queue_points=0i', asOf - 40 * DAY));
  lines.push(machineLine('agent_health', 'so-tttt', pc(49), 'queue_points=0i', asOf + MIN));
  lines.push(antivirusLine('so-tttt', pc(49), 'Windows Defender', 'protected', 'protected', asOf + MIN));
  // A protected machine not in the register: listed, and never in a registered ratio's numerator.
  lines.push(machineLine('agent_health', 'so-tttt', 'ROGUE-PC', 'queue_points=0i', t));
  lines.push(antivirusLine('so-tttt', 'ROGUE-PC', 'Windows Defender', 'protected', 'protected', t));
  // The other site's machine reports (out of scope in the scoped snapshot).
  lines.push(machineLine('agent_health', 'ubnd-huyen-a', 'HA-01', 'queue_points=0i', t));
  lines.push(
    `inventory_change,agent_id=pc-05-a1,hostname=PC-05,site_id=so-tttt,component=memory before="16 GiB",after="8 GiB",summary="memory 16 GiB → 8 GiB" ${T0 + HOUR}`,
  );

  for (let time = T0 - 2 * HOUR; time < asOf + 2 * HOUR; time += MIN) {
    const coreDown = time >= parentDownStart && time < parentDownStart + 10 * MIN;
    lines.push(pingLine('core', time, !coreDown));
    lines.push(pingLine('xa-a', time, !(time >= outageStart && time < outageStart + 30 * MIN)));
    if (time >= gapStart && time < gapStart + 2 * HOUR) continue;
    lines.push(
      coreDown ? pingLine('xa-b', time, false, 'parent_down', 'core') : pingLine('xa-b', time, true),
    );
  }
  await writeLines(lines);
}, 120_000);

afterAll(async () => {
  await influxd?.dispose();
});

const collector = (o: { rollups?: boolean; assets?: Asset[]; maxOutages?: number } = {}) =>
  createSnapshotCollector({
    storage,
    registry: staticRegistry(registry),
    assets: staticAssets(o.assets ?? register, { file: 'config/assets.yaml', sha256: 'ab'.repeat(32) }),
    lookbackMs: 30 * DAY,
    version: '0.0.0-test',
    ...(o.rollups !== undefined ? { rollups: o.rollups } : {}),
    ...(o.maxOutages !== undefined ? { maxOutages: o.maxOutages } : {}),
  });

describe('createSnapshotCollector', () => {
  it('states the known answer: 36 / 50 registered, 36 / 47 reporting, 3 not reporting, 1 not registered', async () => {
    const content = await collector()({ from: T0, to: T1, asOf, sites: ['so-tttt'] });
    const ratio = (id: string) => {
      const r = content.summary.ratios.find((x) => x.id === id);
      if (!r) throw new Error(`no ratio ${id}`);
      return r;
    };
    expect(formatRatio(ratio('antivirus_protected_of_registered'))).toBe('36 / 50 registered (72.0 %)');
    expect(formatRatio(ratio('antivirus_protected_of_reporting'))).toBe('36 / 47 reporting (76.6 %)');
    expect(formatMachineGaps(content.denominators)).toBe('3 not reporting, 1 not registered');
    expect(formatRatio(ratio('antivirus_protected_of_registered'), 'vi')).toBe(
      '36 / 50 máy trong sổ tài sản (72,0 %)',
    );
    expect(formatRatio(ratio('inventory_known_of_registered'))).toBe('40 / 50 registered (80.0 %)');
    expect(content.denominators).toEqual({
      registered: 50,
      reporting: 47,
      not_reporting: 3,
      not_registered: 1,
      lookback_s: 30 * 86_400,
      endpoints: 3,
      asset_register: { file: 'config/assets.yaml', sha256: 'ab'.repeat(32), rows: 51 },
    });
    const machines = content.tables.find((t) => t.name === 'machines')?.rows ?? [];
    expect(machines.filter((r) => r.category === 'not_reporting').map((r) => r.hostname)).toEqual([
      'PC-48',
      'PC-49',
      'PC-50',
    ]);
    expect(machines.filter((r) => r.category === 'not_registered').map((r) => r.hostname)).toEqual([
      'ROGUE-PC',
    ]);
    const av = content.tables.find((t) => t.name === 'antivirus')?.rows ?? [];
    expect(av.find((r) => r.hostname === 'PC-01')).toMatchObject({
      state: 'protected',
      product: 'Kaspersky Endpoint Security',
      products: 'Kaspersky Endpoint Security; Windows Defender',
      signature_age_days: 1.5,
    });
    expect(av.find((r) => r.hostname === 'PC-49')).toMatchObject({
      state: 'no_data',
      reason: 'not_reporting',
    });
    const changes = content.tables.find((t) => t.name === 'hardware-changes')?.rows ?? [];
    expect(changes).toEqual([
      expect.objectContaining({ hostname: 'PC-05', component: 'memory', after: '8 GiB' }),
    ]);
    // Every table's name is a file stem; every query ends at "as of".
    for (const t of content.tables) expect(t.name).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
    expect(content.queries.length).toBeGreaterThan(10);
    for (const q of content.queries) {
      for (const m of q.matchAll(/time\s*(<=?)\s*(\d+)ms/g)) {
        expect(Number(m[2]) - (m[1] === '<' ? 1 : 0), q).toBeLessThanOrEqual(asOf);
      }
    }
  }, 60_000);

  it('counts every site without a scope, and with a scope only its machines', async () => {
    const all = await collector()({ from: T0, to: T1, asOf });
    expect(all.denominators).toMatchObject({
      registered: 51,
      reporting: 48,
      not_reporting: 3,
      not_registered: 1,
    });
    const other = await collector()({ from: T0, to: T1, asOf, sites: ['ubnd-huyen-a'] });
    expect(other.denominators).toMatchObject({
      registered: 1,
      reporting: 1,
      not_reporting: 0,
      not_registered: 0,
    });
  }, 60_000);

  it('states availability with the known outage, the parent-down cycles and the hours without data', async () => {
    const content = await collector()({ from: T0, to: T1, asOf });
    const rows = Object.fromEntries(
      (content.tables.find((t) => t.name === 'endpoint-availability')?.rows ?? []).map((r) => [
        r.target_id,
        r,
      ]),
    );
    const windowMin = (T1 - T0) / MIN;
    expect(rows['xa-a']).toMatchObject({
      expected_cycles: windowMin,
      recorded_cycles: windowMin,
      down_cycles: 30,
      outages: 1,
      outage_seconds: 1800,
      coverage_percent: 100,
    });
    expect(rows['xa-b']).toMatchObject({
      expected_cycles: windowMin,
      recorded_cycles: windowMin - 120,
      unknown_seconds: 7200,
      down_cycles: 10,
      parent_down_cycles: 10,
      availability_percent: Math.round(((windowMin - 130) / (windowMin - 120)) * 1e6) / 1e4,
      own_availability_percent: 100,
    });
    const outages = content.tables.find((t) => t.name === 'outages')?.rows ?? [];
    expect(outages.find((o) => o.target_id === 'xa-a')).toMatchObject({
      start: new Date(outageStart).toISOString(),
      end: new Date(outageStart + 30 * MIN).toISOString(),
      duration_s: 1800,
      cause: 'down',
    });
    expect(outages.find((o) => o.target_id === 'xa-b')).toMatchObject({
      cause: 'parent_down',
      parent_id: 'core',
    });
    expect(outages.length).toBeGreaterThan(1);
    expect(content.tables.find((t) => t.name === 'outages')?.description.en).not.toContain('Only the');
    // Fewer listed than there were: the most recent, and the table says so; the counts keep them all.
    const cut = await collector({ maxOutages: 1 })({ from: T0, to: T1, asOf });
    const table = cut.tables.find((t) => t.name === 'outages');
    // The latest start; of outages starting together, the first by endpoint id.
    expect(table?.rows).toEqual([outages.find((o) => o.start === outages.at(-1)?.start)]);
    expect(table?.description.en).toContain(`Only the 1 most recent of ${outages.length} outages are listed`);
    expect(table?.description.vi).toContain(`Chỉ liệt kê 1 lần gần nhất trong ${outages.length} lần`);
    expect(cut.tables.find((t) => t.name === 'endpoint-availability')?.rows).toEqual(
      content.tables.find((t) => t.name === 'endpoint-availability')?.rows,
    );
    const coverage = content.summary.ratios.find((r) => r.id === 'ping_cycles_recorded_of_expected');
    expect(coverage).toMatchObject({ numerator: 3 * windowMin - 120, denominator: 3 * windowMin });
    expect(content.summary.availability_by_level.map((l) => [l.level, l.endpoints])).toEqual([
      ['province', 1],
      ['commune', 2],
    ]);
    const groups = content.tables.find((t) => t.name === 'availability-by-group')?.rows ?? [];
    expect(groups.map((g) => [g.group_by, g.group])).toEqual([
      ['area', '(none)'],
      ['area', 'bắc'],
      ['area', 'nam'],
    ]);
  }, 60_000);
});

describe('machines whose latest points are days old', () => {
  it('still shows their latest antivirus and inventory, by host name in any case, few or many', async () => {
    const db = 'older';
    const older = await storageOn(influxd, db);
    const lines: string[] = [];
    const assets: Asset[] = [];
    const inventoryOf = (i: number) =>
      `manufacturer="HP",model="ProDesk ${i}",serial="OLD${i}",mem_total_bytes=${4 * 1024 ** 3}i,inventory_hash="o${i}"`;
    // PC-A: its latest points 10 days old, under a lower-case host name; an older cycle upper-case.
    lines.push(
      antivirusLine('so-tttt', 'pc-a', 'Windows Defender', 'unprotected', 'unprotected', asOf - 10 * DAY),
    );
    lines.push(
      antivirusLine('so-tttt', 'PC-A', 'Windows Defender', 'protected', 'protected', asOf - 12 * DAY),
    );
    lines.push(machineLine('inventory', 'so-tttt', 'pc-a', inventoryOf(0), asOf - 10 * DAY));
    // PC-B: reported two hours ago. PC-C: 40 days ago, beyond the look-back.
    lines.push(
      antivirusLine('so-tttt', 'PC-B', 'Windows Defender', 'protected', 'protected', asOf - 2 * HOUR),
    );
    lines.push(
      antivirusLine('so-tttt', 'PC-C', 'Windows Defender', 'protected', 'protected', asOf - 40 * DAY),
    );
    assets.push(
      ...['PC-A', 'PC-B', 'PC-C'].map((hostname) => ({ site: 'so-tttt', agency: 'Sở TT&TT', hostname })),
    );
    const collect = () =>
      createSnapshotCollector({
        storage: older,
        registry: staticRegistry(registry),
        assets: staticAssets(assets, { file: 'assets.yaml', sha256: 'cd'.repeat(32) }),
        lookbackMs: 30 * DAY,
        version: '0.0.0-test',
      })({ from: T0, to: T1, asOf });
    const check = async () => {
      const content = await collect();
      const av = new Map(
        (content.tables.find((t) => t.name === 'antivirus')?.rows ?? []).map((r) => [String(r.hostname), r]),
      );
      expect(av.get('PC-A')).toMatchObject({
        state: 'unprotected',
        last_seen: new Date(asOf - 10 * DAY).toISOString(),
      });
      expect(av.get('PC-B')).toMatchObject({ state: 'protected' });
      expect(av.get('PC-C')).toMatchObject({ state: 'no_data', reason: 'not_reporting' });
      const inv = content.tables.find((t) => t.name === 'inventory')?.rows.find((r) => r.hostname === 'PC-A');
      expect(inv).toMatchObject({ model: 'ProDesk 0', serial: 'OLD0' });
      return content;
    };
    await influxd.writeLines(lines, db);
    const few = await check();
    expect(few.queries.some((q) => q.includes('"hostname" =~ /^(?i)(?:pc-a)$/'))).toBe(true);
    // 250 more machines silent for 5 days: too many names for a filter, the rest is read whole.
    const many: string[] = [];
    for (let i = 1; i <= 250; i++) {
      many.push(
        antivirusLine('so-tttt', `OLD-${i}`, 'Windows Defender', 'protected', 'protected', asOf - 5 * DAY),
      );
      assets.push({ site: 'so-tttt', agency: 'Sở TT&TT', hostname: `OLD-${i}` });
    }
    await influxd.writeLines(many, db);
    const content = await check();
    expect(content.queries.some((q) => q.includes('FROM "antivirus"') && q.includes('=~'))).toBe(false);
    const av = content.tables.find((t) => t.name === 'antivirus')?.rows ?? [];
    expect(av.filter((r) => String(r.hostname).startsWith('OLD-') && r.state === 'protected')).toHaveLength(
      250,
    );
  }, 60_000);
});

describe('ping roll-ups', () => {
  const silentLog = { info() {}, debug() {}, warn() {}, error() {} } as never;

  it('give exactly the raw counts, for windows that start and end mid-hour, rolled up in whole or in part', async () => {
    const rollups = createRollups({
      storage,
      write: (points) => storage.write(points),
      log: silentLog,
      maxPointAgeMs: 7 * DAY,
    });
    const windows: [number, number][] = [
      [T0, T1],
      [T0 + 7 * MIN, T0 + 7 * MIN + 5 * HOUR + 1],
      [firstHour, firstHour + 4 * HOUR],
      [T0 + 59 * MIN + 30_000, T1 - 13 * MIN],
    ];
    const compare = async () => {
      for (const [a, b] of windows) {
        const raw = await computeAvailability(storage, registry.endpoints, a, b, { nowMs: asOf });
        const rolled = await computeAvailability(storage, registry.endpoints, a, b, {
          nowMs: asOf,
          rollups: true,
        });
        expect(rolled, `${new Date(a).toISOString()} – ${new Date(b).toISOString()}`).toEqual(raw);
      }
    };
    // Some hours rolled up, in two separate runs: the rest come from raw points.
    expect(await rollups.rollUp(T0 - HOUR, firstHour + 2 * HOUR, { now: asOf })).toBe(4);
    expect(await rollups.rollUp(firstHour + 4 * HOUR, firstHour + 6 * HOUR, { now: asOf })).toBe(2);
    await compare();
    // Catch-up rolls what follows the newest roll-up; the recheck fills the hole left between.
    expect(await rollups.catchUp(asOf)).toBeGreaterThan(2);
    await compare();
    await rollups.recheck(asOf);
    await compare();
    // The roll-ups are really used: fewer raw points are counted.
    const queries: string[] = [];
    const counting: Storage = {
      ...storage,
      describe: storage.describe,
      write: (p) => storage.write(p),
      ping: (ms) => storage.ping(ms),
      prepare: () => storage.prepare(),
      query: (q, s) => {
        queries.push(q);
        return storage.query(q, s);
      },
    };
    await computeAvailability(counting, registry.endpoints, T0, T1, {
      nowMs: asOf,
      rollups: true,
    });
    expect(queries.some((q) => q.includes('FROM "ping_hourly"') && q.includes('sum("cycles")'))).toBe(true);
    const rawWindows = queries
      .filter((q) => q.includes('FROM "ping"') && q.includes('count("up") AS cycles'))
      .map((q) => /time >= (\d+)ms AND time < (\d+)ms/.exec(q)?.slice(1).map(Number));
    expect(rawWindows).toEqual([
      [T0, firstHour],
      [Math.floor(T1 / HOUR) * HOUR, T1],
    ]);
    // An hour rolled up in the format before outage runs were kept (format 1) is read raw.
    const hour = firstHour + 2 * HOUR;
    await writeLines([`ping_hourly format=1i ${hour}`]);
    queries.length = 0;
    await computeAvailability(counting, registry.endpoints, T0, T1, {
      nowMs: asOf,
      rollups: true,
    });
    expect(
      queries
        .filter((q) => q.includes('FROM "ping"') && q.includes('count("up") AS cycles'))
        .map((q) => /time >= (\d+)ms AND time < (\d+)ms/.exec(q)?.slice(1).map(Number)),
    ).toEqual([
      [T0, firstHour],
      [hour, hour + HOUR],
      [Math.floor(T1 / HOUR) * HOUR, T1],
    ]);
    await compare();
  }, 120_000);

  it('re-rolls an hour a late point reached: the roll-up is rewritten, not added to', async () => {
    const rollups = createRollups({
      storage,
      write: (p) => storage.write(p),
      log: silentLog,
      maxPointAgeMs: 7 * DAY,
    });
    const hour = firstHour + HOUR;
    await rollups.rollUp(hour, hour + HOUR, { now: asOf });
    await writeLines([pingLine('late-one', hour + 30_000, true)]);
    await rollups.recheck(asOf);
    const rows = await storage.query(
      `SELECT "cycles" FROM "ping_hourly" WHERE time = ${hour}ms AND ("target_id" = 'late-one' OR "target_id" = 'xa-a') GROUP BY "target_id"`,
    );
    expect(rows.map((s) => s.values.map((v) => v[1]))).toEqual([[1], [60]]);
  }, 120_000);
});
