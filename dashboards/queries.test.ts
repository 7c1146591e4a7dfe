import { fileURLToPath } from 'node:url';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEndpoints } from '../lib/endpoints/index.js';
import type { Endpoint } from '../lib/endpoints/types.js';
import { lookupMeasurement } from '../protocol/index.js';
import { type InfluxSeries, rows, startInfluxd } from '../test/harness/influxd.js';
import { agentCredential, startTestServer, testServerConfig } from '../test/harness/server.js';
import { alertInfluxQueries, alertRules } from './alerts.js';
import { buildDashboards } from './build.js';
import { messages } from './messages.js';
import {
  interpolate,
  type PanelQuery,
  panelQueries,
  type TimeContext,
  variableDefaults,
} from './testdata/grafana.js';
import {
  type Dataset,
  makeDataset,
  pingCycleMs,
  pingCycles,
  type SeedPoint,
  scenario,
} from './testdata/seed.js';

const en = messages.en;
const endpoints: Endpoint[] = loadEndpoints(
  fileURLToPath(new URL('../config/endpoints.yaml', import.meta.url)),
);
const built = buildDashboards('en').map((b) => b.dashboard);
const byUid = (prefix: string) => built.find((d) => d.uid === `${prefix}-en`) as dashboard.Dashboard;
const wan = byUid('hatang-wan');
const fleet = byUid('hatang-fleet');
const network = byUid('hatang-network');
const health = byUid('hatang-health');
const readiness = byUid('hatang-readiness');
const sla = byUid('hatang-sla');
const panelTime: TimeContext = { timeFilter: 'time >= now() - 6h', interval: '10m', rangeS: 6 * 3600 };

let influxd: Awaited<ReturnType<typeof startInfluxd>>;
let server: Awaited<ReturnType<typeof startTestServer>>;
let data: Dataset;

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function ingest(agentId: string, siteId: string, all: SeedPoint[]) {
  // server_health and the readiness scorecard are the server's own: nobody may send them, so they go
  // straight into its pipeline.
  const serverOnly = (p: SeedPoint) => lookupMeasurement(p.measurement)?.writers.join() === 'server';
  const own = all.filter(serverOnly);
  if (own.length > 0) await server.deps.pipeline.accept(own);
  const points = all.filter((p) => !serverOnly(p));
  // A poller may write every measurement the dashboards read (agents only their own machine's).
  const credential = await agentCredential(agentId, siteId, 'poller');
  for (let i = 0; i < points.length; i += 1500) {
    const res = await fetch(`${server.url}/api/v1/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
      body: JSON.stringify({ batch_id: `seed-${agentId}-${i}`, points: points.slice(i, i + 1500) }),
      signal: AbortSignal.timeout(30_000),
    });
    if (res.status !== 202) throw new Error(`seed ${agentId}: ${res.status} ${await res.text()}`);
  }
}

beforeAll(async () => {
  influxd = await startInfluxd();
  server = await startTestServer(testServerConfig(influxd.url, { health_interval: '250ms' }));
  data = makeDataset(endpoints, Date.now());
  for (const b of data.batches) await ingest(b.agentId, b.siteId, b.points);
  await waitUntil('seeded ping points in InfluxDB', async () => {
    const s = await influxd.query('SELECT count("up") FROM "ping"');
    return rows(s[0])[0]?.count === data.expect.pingPoints;
  });
  await waitUntil('the server to write its own server_health twice', async () => {
    const s = await influxd.query(
      `SELECT count("spool_bytes") FROM "server_health" WHERE "instance" = 'test'`,
    );
    return Number(rows(s[0])[0]?.count ?? 0) >= 2;
  });
}, 120_000);

afterAll(async () => {
  await server?.dispose();
  await influxd?.dispose();
});

function find(d: dashboard.Dashboard, title: string, refId = 'A'): PanelQuery {
  const q = panelQueries(d).find((p) => p.panel === title && p.refId === refId);
  if (!q) throw new Error(`no panel "${title}" with query ${refId} in ${d.title}`);
  return q;
}

async function run(
  d: dashboard.Dashboard,
  q: PanelQuery,
  overrides: Record<string, string | string[]> = {},
  time = panelTime,
) {
  return influxd.query(interpolate(q.target.query, variableDefaults(d, overrides), time));
}

/** Rows of every series, each with its series' tags merged in. */
function flat(series: InfluxSeries[]): Record<string, unknown>[] {
  return series.flatMap((s) => rows(s).map((r) => ({ ...s.tags, ...r })));
}

const allQueries = built.flatMap((d) => panelQueries(d).map((q) => [d, q] as const));
const allVariables = built.flatMap((d) =>
  (d.templating?.list ?? []).filter((v) => v.type === 'query').map((v) => [d, v] as const),
);

describe('dashboard queries against a seeded InfluxDB', () => {
  it.each(allVariables.map(([d, v]) => [`${d.title} / $${v.name}`, d, v] as const))(
    'variable %s lists tag values',
    async (_name, d, v) => {
      const series = await influxd.query(interpolate(String(v.query), variableDefaults(d), panelTime));
      expect(series.length).toBeGreaterThan(0);
      expect(series[0]?.columns).toEqual(['key', 'value']);
      expect(series[0]?.values.length).toBeGreaterThan(0);
    },
  );

  it.each(allQueries.map(([d, q]) => [`${q.dashboard} / ${q.panel} / ${q.refId}`, d, q] as const))(
    'panel %s returns rows with its columns',
    async (_name, d, q) => {
      const series = await run(d, q);
      expect(series.length).toBeGreaterThan(0);
      for (const s of series) {
        expect(s.columns).toEqual(q.info.columns);
        expect(Object.keys(s.tags ?? {}).sort()).toEqual(q.info.groupedTags.filter((t) => t !== '*').sort());
        expect(s.values.length).toBeGreaterThan(0);
      }
    },
  );
});

describe('queries with known answers', () => {
  const availability = (downCycles: number) => (100 * (pingCycles - downCycles)) / pingCycles;

  it('availability per endpoint is the share of cycles up; own availability forgives a down parent', async () => {
    const a = flat(await run(wan, find(wan, en.wan.availabilityEndpoint, 'A')));
    const own = flat(await run(wan, find(wan, en.wan.availabilityEndpoint, 'B')));
    expect(a).toHaveLength(endpoints.length);
    const { router, cycles } = scenario.pastOutage;
    const commune = endpoints.find((e) => e.parent === router)?.id as string;
    const get = (r: Record<string, unknown>[], id: string, col: string) =>
      Number(r.find((x) => x.target_id === id)?.[col]);
    expect(get(a, router, 'availability_percent')).toBeCloseTo(availability(cycles), 9);
    expect(get(own, router, 'own_availability_percent')).toBeCloseTo(availability(cycles), 9);
    expect(get(a, commune, 'availability_percent')).toBeCloseTo(availability(cycles), 9);
    expect(get(own, commune, 'own_availability_percent')).toBe(100);
    expect(get(a, 'trung-tam-thdl', 'availability_percent')).toBe(100);
    // Coverage: every endpoint's points stand for 66 cycles of 5 min, 5.5 h of the 6 h range.
    const coverage = flat(await run(wan, find(wan, en.wan.availabilityEndpoint, 'C')));
    expect(coverage).toHaveLength(endpoints.length);
    for (const r of coverage)
      expect(Number(r.coverage_percent)).toBeCloseTo(
        (100 * pingCycles * (pingCycleMs / 1000)) / (6 * 3600),
        9,
      );
    expect(coverage.find((r) => r.target_id === router)?.name).toBe(
      endpoints.find((e) => e.id === router)?.name,
    );
    for (const r of a) {
      expect(Number(r.availability_percent)).toBeCloseTo(
        availability(data.expect.downCycles.get(String(r.target_id)) ?? 0),
        9,
      );
    }
  });

  it('availability per former district, level and carrier are the shares of all their cycles up', async () => {
    const groupOf = {
      former_district: (e: Endpoint) => e.tags?.former_district,
      level: (e: Endpoint) => e.level,
      carrier: (e: Endpoint) => e.tags?.carrier,
    };
    for (const [title, key] of [
      [en.wan.availabilityDistrict, 'former_district'],
      [en.wan.availabilityLevel, 'level'],
      [en.wan.availabilityCarrier, 'carrier'],
    ] as const) {
      const got = flat(await run(wan, find(wan, title)));
      const groups = new Set(endpoints.map(groupOf[key]));
      expect(groups.size).toBeGreaterThan(1);
      expect(new Set(got.map((r) => r[key]))).toEqual(groups);
      for (const g of groups) {
        const members = endpoints.filter((e) => groupOf[key](e) === g);
        const down = members.reduce((n, e) => n + (data.expect.downCycles.get(e.id) ?? 0), 0);
        const expected = (100 * (members.length * pingCycles - down)) / (members.length * pingCycles);
        expect(Number(got.find((r) => r[key] === g)?.availability_percent), `${key} ${g}`).toBeCloseTo(
          expected,
          9,
        );
      }
    }
  });

  it('the status grid shows every endpoint’s latest status, parent-down apart from down, by office name', async () => {
    const got = flat(await run(wan, find(wan, en.wan.statusGrid)));
    expect(new Map(got.map((r) => [r.target_id, r.status]))).toEqual(data.expect.latestStatus);
    // Labelled with the office name the points carry, not the slug.
    expect(find(wan, en.wan.statusGrid).target.alias).toBe('$tag_name');
    const names = new Map(endpoints.map((e) => [e.id, e.name]));
    for (const r of got) expect(r.name).toBe(names.get(String(r.target_id)));
    const children = endpoints.filter((e) => e.parent === scenario.currentOutage.router).map((e) => e.id);
    expect(children.length).toBeGreaterThan(3);
    for (const c of children) expect(data.expect.latestStatus.get(c)).toBe(1100);
  });

  it('counts by level match the latest statuses, and a district filter narrows them', async () => {
    const expected = new Map<string, Record<string, number>>();
    for (const e of endpoints) {
      const s = data.expect.latestStatus.get(e.id) as number;
      const col = s >= 1000 ? 'parent_down' : s === 100 ? 'down' : s >= 5 ? 'degraded' : 'up';
      const row = expected.get(e.level) ?? {};
      row[col] = (row[col] ?? 0) + 1;
      expected.set(e.level, row);
    }
    const got = new Map<string, Record<string, number>>();
    for (const refId of ['A', 'B', 'C', 'D']) {
      for (const r of flat(await run(wan, find(wan, en.wan.byLevel, refId)))) {
        const row = got.get(String(r.level)) ?? {};
        const col = Object.keys(r).find((k) => !['time', 'level'].includes(k)) as string;
        row[col] = Number(r[col]);
        got.set(String(r.level), row);
      }
    }
    expect(got).toEqual(expected);

    const vanLam = endpoints.filter((e) => e.tags?.former_district === 'Văn Lâm');
    const narrowed = flat(
      await run(wan, find(wan, en.wan.byDistrict, 'D'), { former_district: ['Văn Lâm', 'Kim Động'] }),
    );
    expect(narrowed).toEqual([
      expect.objectContaining({
        former_district: 'Văn Lâm',
        parent_down: vanLam.filter((e) => e.parent === scenario.currentOutage.router).length,
      }),
    ]);
    const viettel = flat(await run(wan, find(wan, en.wan.byLevel, 'A'), { carrier: 'viettel' }));
    const up = (level: string) =>
      endpoints.filter(
        (e) =>
          e.level === level && e.tags?.carrier === 'viettel' && (data.expect.latestStatus.get(e.id) ?? 0) < 5,
      ).length;
    expect(viettel.map((r) => [r.level, r.up])).toEqual([['commune', up('commune')]]);
  });

  it('the map places every endpoint at the coordinates its points carry, named by its office', async () => {
    const coords = flat(await run(wan, find(wan, en.wan.map, 'B')));
    const located = endpoints.filter((e) => e.lat !== undefined);
    expect(coords).toHaveLength(located.length);
    for (const e of located) {
      expect(coords.find((r) => r.target_id === e.id)).toMatchObject({ lat: e.lat, lon: e.lon });
    }
    const status = flat(await run(wan, find(wan, en.wan.map, 'A')));
    expect(status.find((r) => r.target_id === 'so-tt-tt')?.name).toMatch(/^Sở Khoa học và Công nghệ/);
  });

  it('the outage table lists every endpoint that was down, with its down cycles and cause', async () => {
    const counts = flat(await run(wan, find(wan, en.wan.outages, 'C')));
    expect(new Map(counts.map((r) => [r.target_id, r.down_cycles]))).toEqual(data.expect.downCycles);
    const causes = flat(await run(wan, find(wan, en.wan.outages, 'B')));
    expect(causes.find((r) => r.target_id === scenario.ownOutage.endpoint)?.cause).toBe('down');
    const child = endpoints.find((e) => e.parent === scenario.pastOutage.router)?.id;
    expect(causes.find((r) => r.target_id === child)?.cause).toBe('parent_down');
    const first = flat(await run(wan, find(wan, en.wan.outages, 'A')));
    expect(first.find((r) => r.target_id === scenario.pastOutage.router)?.time).toBe(
      data.pingTimes[scenario.pastOutage.from],
    );
  });

  it('the monthly SLA sums each level’s cycles and cycles up per day, beside the level’s target', async () => {
    const days = flat(await run(sla, find(sla, en.sla.monthly, 'A')));
    const targets = flat(await run(sla, find(sla, en.sla.monthly, 'B')));
    const levels = [...new Set(endpoints.map((e) => e.level))];
    for (const level of levels) {
      const members = endpoints.filter((e) => e.level === level);
      const rows = days.filter((r) => r.level === level);
      // The seeded 5.5 hours may straddle midnight: whatever the days, their sums are the range's.
      const cycles = rows.reduce((n, r) => n + Number(r.cycles), 0);
      const up = rows.reduce((n, r) => n + Number(r.up_cycles), 0);
      const down = members.reduce((n, e) => n + (data.expect.downCycles.get(e.id) ?? 0), 0);
      expect(cycles, level).toBe(members.length * pingCycles);
      expect(up, level).toBe(members.length * pingCycles - down);
      const target = targets.filter((r) => r.level === level).map((r) => r.target_percent);
      expect(new Set(target), level).toEqual(new Set([level === 'province' ? 99.5 : 99]));
    }
    const narrowed = flat(await run(sla, find(sla, en.sla.monthly, 'A'), { level: 'commune' }));
    expect(new Set(narrowed.map((r) => r.level))).toEqual(new Set(['commune']));
    const chart = flat(await run(sla, find(sla, en.sla.daily, 'A')));
    expect(new Set(chart.map((r) => r.level))).toEqual(new Set(levels));
  });

  it('antivirus coverage is the share of reporting machines whose last state is protected', async () => {
    const active = data.machines.filter((m) => !m.silent);
    const share = (ms: typeof active) => (100 * ms.filter((m) => m.state === 'protected').length) / ms.length;
    const overall = flat(await run(fleet, find(fleet, en.fleet.coverage)));
    expect(Number(overall[0]?.coverage_percent)).toBeCloseTo(share(active), 9);
    expect(Number(overall[0]?.coverage_percent)).toBeCloseTo((100 * 36) / 47, 9);
    const perSite = flat(await run(fleet, find(fleet, en.fleet.coverageSite)));
    for (const site of ['so-tttt', 'huyen-a']) {
      const got = Number(perSite.find((r) => r.site_id === site)?.coverage_percent);
      expect(got, site).toBeCloseTo(share(active.filter((m) => m.siteId === site)), 9);
    }
    for (const [refId, state] of [
      ['A', 'protected'],
      ['B', 'unprotected'],
      ['C', 'unknown'],
    ] as const) {
      const got = flat(await run(fleet, find(fleet, en.fleet.byState, refId)));
      expect(Number(got[0]?.machines), state).toBe(active.filter((m) => m.state === state).length);
    }
  });

  it('the unprotected table names exactly the machines not protected, with reasons', async () => {
    const got = flat(await run(fleet, find(fleet, en.fleet.unprotected)));
    const expected = data.machines.filter((m) => !m.silent && m.state !== 'protected').map((m) => m.hostname);
    expect([...new Set(got.map((r) => r.hostname))].sort()).toEqual(expected.sort());
    const pc07 = data.machines.find((m) => m.agentId === 'pc-007');
    expect(got.find((r) => r.hostname === pc07?.hostname)?.reason).toBe(pc07?.products[0]?.reason);
    expect(pc07?.products[0]?.reason).toBe('expired');
  });

  it('machines reporting count the fleet in the range and in 30 days; silent ones are named', async () => {
    const reporting = flat(await run(fleet, find(fleet, en.fleet.reporting, 'A')));
    const known = flat(await run(fleet, find(fleet, en.fleet.reporting, 'B')));
    expect(reporting[0]?.machines).toBe(47);
    expect(known[0]?.machines).toBe(50);
    const silentAt = async (hours: string) =>
      flat(await run(fleet, find(fleet, en.fleet.silent), { silent_hours: hours }))
        .filter((r) => Number(r.silent) > 0)
        .map((r) => r.agent_id)
        .sort();
    // pc-001 also has points two days old: seen since, so not silent (a last() filtered from outside
    // would have named it: InfluxDB pushes the outer time condition into the subquery).
    expect(await silentAt('24')).toEqual(data.expect.silentMachines);
    expect(await silentAt('72')).toEqual([]);
    const lastSeen = flat(await run(fleet, find(fleet, en.fleet.silent, 'B')));
    expect(lastSeen.find((r) => r.agent_id === 'pc-028')?.hostname).toBe('STTTT-PC28');
  });

  it('hardware changes show the memory removed from one machine', async () => {
    const got = flat(await run(fleet, find(fleet, en.fleet.changes)));
    expect(got).toEqual([expect.objectContaining({ hostname: 'STTTT-PC12', component: 'memory' })]);
    expect(String(got[0]?.summary)).toContain('16 GiB → 8 GiB');
  });

  it('network panels name the rebooted switch, the busiest uplinks and the erroring port', async () => {
    const reboots = flat(await run(network, find(network, en.network.devices, 'B')));
    expect(reboots).toEqual([expect.objectContaining({ device: 'sw-so-tttt', reboots: 1 })]);
    const busiest = flat(await run(network, find(network, en.network.busiest), { top_n: '5' }));
    expect(busiest).toHaveLength(5);
    expect(busiest.every((r) => r.if_name === 'Gi1/0/1')).toBe(true);
    const errors = flat(await run(network, find(network, en.network.errorProne)));
    const worst = errors.reduce((a, b) => (Number(b.errors) > Number(a.errors) ? b : a));
    expect(worst).toMatchObject({ device: 'sw-access-1', if_name: 'Gi1/0/3', errors: 17 * (pingCycles - 1) });
    const ups = flat(await run(network, find(network, en.network.ups)));
    expect(ups.find((r) => r.device === 'ups-dc-1')?.on_battery).toBe(true);
  });

  it('network sensor panels show every sensor type with its unit, and the nonoperational one without a value', async () => {
    const now = flat(await run(network, find(network, en.network.sensorsNow)));
    expect(now.map((r) => r.sensor).sort()).toEqual(scenario.sensors.map(([, name]) => name).sort());
    for (const [, sensor, type, value, units] of scenario.sensors) {
      expect(now.find((r) => r.sensor === sensor)).toMatchObject({
        device: 'sw-core',
        type,
        value: value ?? null,
        units_display: units,
        oper_status: value === undefined ? 3 : 1,
      });
    }
    const fans = flat(await run(network, find(network, en.network.sensors), { sensor_type: 'rpm' }));
    expect(new Set(fans.map((r) => `${r.sensor} ${r.type}`))).toEqual(new Set(['Fan 1 rpm']));
  });

  it('network PDU panels show each phase and bank against the chosen rated current', async () => {
    const now = flat(await run(network, find(network, en.network.pduNow), { pdu_rated_a: '16' }));
    const key = (r: Record<string, unknown>) => `${r.device} ${r.phase}/${r.bank}`;
    const expected = Object.entries(scenario.pdu.current).flatMap(([device, banks]) =>
      banks.map((a, bank) => [`${device} 1/${bank}`, a] as const),
    );
    expect(now.map(key).sort()).toEqual(expected.map(([k]) => k).sort());
    for (const [k, a] of expected) {
      const r = now.find((x) => key(x) === k);
      expect(r?.current_a, k).toBe(a);
      expect(Number(r?.of_rated), k).toBeCloseTo((a / 16) * 100, 9);
      expect(r?.load_state, k).toBe(a === 0 ? 2 : 1);
    }
    const over = flat(await run(network, find(network, en.network.pduLoad), { pdu_rated_a: '10' }));
    const peak = Math.max(...over.map((r) => Number(r.of_rated)));
    expect(peak).toBeCloseTo(128, 9); // pdu-r12-a's phase: 12.8 A on a 10 A rating
  });

  it('health shows every poller and site with whether it went quiet, as the silence rules see them', async () => {
    const pollers = flat(await run(health, find(health, en.health.pollers)));
    expect(new Map(pollers.map((r) => [r.agent_id, r.silent]))).toEqual(
      new Map([
        ['poller-b', 1],
        ['poller-dc', 0],
      ]),
    );
    const sites = flat(await run(health, find(health, en.health.sites)));
    expect(sites.filter((r) => r.silent === 1).map((r) => r.site_id)).toEqual(data.expect.silentSites);
    expect(sites.map((r) => r.site_id).sort()).toEqual(['huyen-a', 'so-tttt', 'xa-b']);
  });

  it('health panels show the dropping agent and the slowest SNMP device', async () => {
    const drops = flat(await run(health, find(health, en.health.drops)));
    const dropping = drops.filter((r) => Number(r.dropped_points) > 0).map((r) => r.agent_id);
    expect(dropping).toEqual(['pc-040']);
    const slowest = flat(await run(health, find(health, en.health.slowest)));
    expect(slowest[0]?.device ?? slowest.find((r) => r.slowest_ms === 5000)?.device).toBe('sw-dmz');
    const failures = flat(await run(health, find(health, en.health.failures)));
    expect(failures).toEqual([
      expect.objectContaining({ hostname: 'STTTT-PC19', collector: 'antivirus', failures: 11 }),
    ]);
  });
});

describe('readiness panels', () => {
  const r = en.readiness;
  it('show the latest ratings, overall the lowest subsystem', async () => {
    const overall = flat(await run(readiness, find(readiness, r.overall)));
    expect(overall).toEqual([expect.objectContaining({ dc_site: 'dc-tinh', rating: 0, target: 3 })]);
    const subs = flat(await run(readiness, find(readiness, r.subsystems)));
    const got = Object.fromEntries(subs.map((x) => [x.subsystem, x.rating]));
    const { overall: lowest, ...expected } = data.expect.readiness.ratings;
    expect(got).toEqual(expected);
    expect(lowest).toBe(Math.min(...Object.values(expected)));
  });

  it('the rating history shows when electrical lost its rating', async () => {
    const history = flat(await run(readiness, find(readiness, r.history)));
    const electrical = history.filter((x) => x.subsystem === 'electrical').map((x) => x.rating);
    expect(electrical).toContain(3);
    expect(electrical.at(-1)).toBe(0);
  });

  it('the criteria table carries status per level, source and the unverified marker', async () => {
    const rows = flat(await run(readiness, find(readiness, r.criteria)));
    const t3 = rows.find((x) => x.criterion === 'T3');
    expect(t3).toMatchObject({ status: 'unknown', source: 'SEC,UNV', unverified: true });
    expect(rows.find((x) => x.criterion === 'E1')).toMatchObject({ r1: 'pass', r2: 'fail', status: 'fail' });
  });

  it('the blocking list names exactly the failing and unknown criteria', async () => {
    const rows = flat(await run(readiness, find(readiness, r.blocking)));
    expect(rows.map((x) => x.criterion).sort()).toEqual(data.expect.readiness.blocking);
    expect(rows.find((x) => x.criterion === 'E1')?.contradiction).toBe('declared N+1, measured N');
  });

  it('UPS load sits below the N+1 line until a unit goes on battery', async () => {
    const rows = flat(
      await run(
        readiness,
        find(readiness, r.upsLoad),
        {},
        { timeFilter: 'time >= now() - 6h', interval: '5m' },
      ),
    ).filter((x) => x.load !== null);
    expect(rows.length).toBeGreaterThan(10);
    expect(Number(rows[0]?.load)).toBeLessThan(Number(rows[0]?.n1_capacity));
    expect(Number(rows.at(-1)?.load)).toBeGreaterThan(Number(rows.at(-1)?.n1_capacity));
  });

  it('time in the recommended band is the share of readings inside it, with its denominator', async () => {
    const rows = flat(await run(readiness, find(readiness, r.timeInBand)));
    const probe2 = rows.find((x) => x.sensor === 'probe2');
    const probe1 = rows.find((x) => x.sensor === 'probe1');
    expect(Number(probe1?.readings)).toBe(pingCycles);
    expect(Number(probe1?.in_band_percent)).toBe(100);
    // The hot-aisle probe reads 29 °C and more: never inside 18–27 °C.
    expect(Number(probe2?.in_band_percent)).toBe(0);
  });
});

describe('alert rule queries', () => {
  const file = alertRules(en, 'en');
  const queries = alertInfluxQueries(file);
  // Grafana's absolute form, anchored at the seed's clock so short windows hold exactly the cycles they should.
  const window = (seconds: number): TimeContext => ({
    timeFilter: `time >= ${data.now - seconds * 1000}ms and time <= ${data.now}ms`,
    interval: '1m',
  });
  const runAlert = async (rule: string, refId: string) => {
    const q = queries.find((x) => x.rule === rule && x.refId === refId);
    if (!q) throw new Error(`no query ${refId} in ${rule}`);
    return flat(await influxd.query(interpolate(q.target.query, {}, window(q.seconds))));
  };
  /** Grafana joins math inputs by labels: `join(A, B)` per series key. */
  const byKey = (r: Record<string, unknown>[], keys: string[], col: string) =>
    new Map(r.map((x) => [keys.map((k) => x[k]).join('/'), Number(x[col])]));

  it('every alert query runs and returns series', async () => {
    for (const q of queries) {
      const series = await influxd.query(interpolate(q.target.query, {}, window(q.seconds)));
      expect(series.length, `${q.rule} ${q.refId}`).toBeGreaterThan(0);
    }
  });

  it('endpoint down fires for the endpoints down by their own fault, not for parent-down communes', async () => {
    const min = byKey(await runAlert('hatang-endpoint-down-en', 'A'), ['target_id'], 'status');
    const last = byKey(await runAlert('hatang-endpoint-down-en', 'B'), ['target_id'], 'status');
    const firing = [...min].filter(([id, s]) => s >= 100 && (last.get(id) ?? 0) < 1000).map(([id]) => id);
    expect(firing.sort()).toEqual(data.expect.endpointDown);
    expect(firing.sort()).toEqual([scenario.ownOutage.endpoint, scenario.currentOutage.router].sort());
  });

  it('link loss fires for the lossy aggregation link only, not for the degraded commune', async () => {
    const loss = await runAlert('hatang-link-loss-en', 'A');
    expect(loss.filter((r) => Number(r.loss_percent) > 10).map((r) => r.target_id)).toEqual(
      data.expect.lossyLinks,
    );
  });

  it('UPS on battery fires for the UPS on battery only', async () => {
    const on = byKey(await runAlert('hatang-ups-on-battery-en', 'A'), ['device'], 'on_battery');
    const polls = byKey(await runAlert('hatang-ups-on-battery-en', 'B'), ['device'], 'polls');
    const firing = [...polls].filter(([d, n]) => n > 0 && (on.get(d) ?? 0) >= n).map(([d]) => d);
    expect(firing).toEqual(data.expect.upsOnBattery);
  });

  it('machine unprotected fires for machines unprotected in every report of the hour', async () => {
    const bad = byKey(await runAlert('hatang-unprotected-en', 'A'), ['agent_id'], 'unprotected');
    const all = byKey(await runAlert('hatang-unprotected-en', 'B'), ['agent_id'], 'reports');
    const firing = [...all].filter(([a, n]) => n > 0 && (bad.get(a) ?? 0) >= n).map(([a]) => a);
    expect(firing.sort()).toEqual(data.expect.unprotectedMachines);
    expect(firing).not.toContain('pc-023');
  });

  it('poller silent names exactly the poller quiet for 15 minutes, and reads the live one as 0', async () => {
    const got = byKey(await runAlert('hatang-poller-silent-en', 'A'), ['agent_id'], 'silent');
    expect([...got].filter(([, v]) => v > 0).map(([id]) => id)).toEqual(data.expect.silentPollers);
    // The live poller is a series valued 0, not a missing one: "no data" stays for "no poller at all".
    expect(got.get('poller-dc')).toBe(0);
    expect([...got.keys()].sort()).toEqual(['poller-b', 'poller-dc']);
    const named = await runAlert('hatang-poller-silent-en', 'A');
    expect(named.find((r) => r.agent_id === 'poller-b')).toMatchObject({
      hostname: 'poller-b',
      site_id: 'huyen-a',
    });
  });

  it('site silent names exactly the site none of whose agents reported for 72 hours', async () => {
    const got = byKey(await runAlert('hatang-site-silent-en', 'A'), ['site_id'], 'silent');
    expect([...got].filter(([, v]) => v > 0).map(([id]) => id)).toEqual(data.expect.silentSites);
    // A site with a few silent machines (pc-028..030) but others reporting is not silent.
    expect(got.get('so-tttt')).toBe(0);
    expect(got.get('huyen-a')).toBe(0);
  });

  it('spool growing fires for the server whose spool grows', async () => {
    const growth = await runAlert('hatang-spool-growing-en', 'A');
    expect(growth.filter((r) => Number(r.growth_bytes) > 0).map((r) => r.instance)).toEqual(
      data.expect.growingSpools,
    );
  });
});
