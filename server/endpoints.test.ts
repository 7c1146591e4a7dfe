import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd } from '../test/harness/influxd.js';
import {
  agentCredential,
  personCredential,
  startTestServer,
  testServerConfig,
} from '../test/harness/server.js';

let influxd: Awaited<ReturnType<typeof startInfluxd>>;
let server: Awaited<ReturnType<typeof startTestServer>>;
let auditor: string;
let poller: string;
const dir = mkdtempSync(join(tmpdir(), 'hatang-endpoints-'));
const T0 = Math.floor((Date.now() - 2 * 3_600_000) / 60_000) * 60_000;
const MIN = 60_000;

// A registry of the old three-tier administration (entries carry district): it still loads and rolls up.
const registry = `endpoints:
  - { id: core, name: "Trung tâm THDL", level: province, district: "TP Hưng Yên", address: 127.1.0.1 }
  - { id: d1, name: "UBND huyện Ân Thi", level: district, district: "Ân Thi", parent: core, address: 127.1.1.1 }
  - { id: c1, name: "UBND xã Đào Dương", level: commune, district: "Ân Thi", parent: d1, address: 127.1.1.2 }
  - { id: c2, name: "UBND xã Bắc Sơn", level: commune, district: "Ân Thi", parent: d1, address: 127.1.1.3 }
`;

/** One poller cycle: every endpoint's ping point at time t, with who is down and why. */
function cycle(t: number, down: Record<string, { cause: string; parent_id?: string }>) {
  const levels: Record<string, [string, string]> = {
    core: ['province', 'TP Hưng Yên'],
    d1: ['district', 'Ân Thi'],
    c1: ['commune', 'Ân Thi'],
    c2: ['commune', 'Ân Thi'],
  };
  return Object.entries(levels).map(([id, [level, district]]) => {
    const d = down[id];
    return {
      measurement: 'ping',
      tags: { source: 'poller-1', target_id: id, level, district },
      fields: d
        ? { sent: 3, received: 0, loss_percent: 100, up: false, cause: d.cause, parent_id: d.parent_id ?? '' }
        : {
            sent: 3,
            received: 3,
            loss_percent: 0,
            rtt_min_ms: 1,
            rtt_avg_ms: 2,
            rtt_max_ms: 3,
            up: true,
            cause: '',
            parent_id: '',
          },
      time: t,
    };
  });
}

async function api(path: string, token?: string) {
  const res = await fetch(
    `${server.url}${path}`,
    token ? { headers: { authorization: `Bearer ${token}` } } : {},
  );
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers, inspected by the matchers below
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

beforeAll(async () => {
  writeFileSync(join(dir, 'endpoints.yaml'), registry);
  influxd = await startInfluxd();
  server = await startTestServer(
    testServerConfig(influxd.url, { endpoints_file: join(dir, 'endpoints.yaml') }),
  );
  auditor = await personCredential('auditor', 'thanh-tra');
  poller = await agentCredential('poller-1-aaaaaa', 'so-tttt', 'poller');
  const points = [];
  for (let i = 0; i < 60; i++) {
    const down: Record<string, { cause: string; parent_id?: string }> = {};
    if (i >= 20 && i < 30) {
      down.d1 = { cause: 'down' };
      down.c1 = { cause: 'parent_down', parent_id: 'd1' };
      down.c2 = { cause: 'parent_down', parent_id: 'd1' };
    }
    if (i >= 40 && i < 45) down.c2 = { cause: 'down' };
    points.push(...cycle(T0 + i * MIN, down));
  }
  // The latest cycle, "now": the district router is down again and its communes with it.
  const now = cycle(Date.now() - 30_000, {
    d1: { cause: 'down' },
    c1: { cause: 'parent_down', parent_id: 'd1' },
    c2: { cause: 'parent_down', parent_id: 'd1' },
  });
  const res = await fetch(`${server.url}/api/v1/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${poller}` },
    body: JSON.stringify({ batch_id: 'seed', points: [...points, ...now] }),
  });
  if (res.status !== 202) throw new Error(`seed: ${res.status} ${await res.text()}`);
});

afterAll(async () => {
  await server?.dispose();
  await influxd?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const window = `from=${new Date(T0).toISOString()}&to=${new Date(T0 + 60 * MIN).toISOString()}`;

describe('GET /api/v1/availability', () => {
  it('gives each endpoint its share of cycles up and its outages, parent-caused ones named', async () => {
    const { status, body } = await api(`/api/v1/availability?${window}`, auditor);
    expect(status).toBe(200);
    const rows = Object.fromEntries(body.rows.map((r: { key: string }) => [r.key, r]));
    expect(rows.core).toMatchObject({ cycles: 60, up_cycles: 60, availability_percent: 100, outages: 0 });
    expect(rows.d1).toMatchObject({
      cycles: 60,
      up_cycles: 50,
      availability_percent: 83.3333,
      own_availability_percent: 83.3333,
      outages: 1,
      outage_seconds: 600,
      name: 'UBND huyện Ân Thi',
    });
    expect(rows.c1).toMatchObject({
      up_cycles: 50,
      parent_down_cycles: 10,
      availability_percent: 83.3333,
      own_availability_percent: 100,
      outages: 1,
      outage_seconds: 600,
    });
    expect(rows.c2).toMatchObject({
      up_cycles: 45,
      availability_percent: 75,
      own_availability_percent: 91.6667,
      outages: 2,
      outage_seconds: 900,
    });
    const c2Outages = body.outages.filter((o: { target_id: string }) => o.target_id === 'c2');
    expect(c2Outages).toEqual([
      expect.objectContaining({
        start: new Date(T0 + 20 * MIN).toISOString(),
        end: new Date(T0 + 30 * MIN).toISOString(),
        duration_s: 600,
        cause: 'parent_down',
        parent_id: 'd1',
        ongoing: false,
      }),
      expect.objectContaining({
        start: new Date(T0 + 40 * MIN).toISOString(),
        end: new Date(T0 + 45 * MIN).toISOString(),
        duration_s: 300,
        cause: 'down',
        parent_id: '',
        ongoing: false,
      }),
    ]);
  });

  it('rolls up by district and by level', async () => {
    const byDistrict = await api(`/api/v1/availability?${window}&group=district`, auditor);
    const district = (key: string) => byDistrict.body.rows.find((r: { key: string }) => r.key === key);
    expect(byDistrict.body.rows).toHaveLength(2);
    expect(district('TP Hưng Yên')).toMatchObject({ cycles: 60, availability_percent: 100 });
    expect(district('Ân Thi')).toMatchObject({
      cycles: 180,
      up_cycles: 145,
      availability_percent: 80.5556,
      outages: 4,
    });
    const byLevel = await api(`/api/v1/availability?${window}&group=level`, auditor);
    expect(byLevel.body.rows.find((r: { key: string }) => r.key === 'commune')).toMatchObject({
      cycles: 120,
      up_cycles: 95,
      availability_percent: 79.1667,
    });
  });

  it('refuses a bad window or group, naming the parameter', async () => {
    const backwards = await api(
      `/api/v1/availability?from=${new Date(T0 + MIN).toISOString()}&to=${new Date(T0).toISOString()}`,
      auditor,
    );
    expect(backwards).toMatchObject({
      status: 400,
      body: { message: 'availability query: from: must be before `to`' },
    });
    const group = await api(`/api/v1/availability?group=commune`, auditor);
    expect(group.status).toBe(400);
    expect(group.body.message).toMatch(/^availability query: group: /);
    const junk = await api(`/api/v1/availability?from=yesterday`, auditor);
    expect(junk.body.message).toMatch(/^availability query: from: /);
  });

  it('is for auditors and admins only', async () => {
    expect((await api(`/api/v1/availability?${window}`)).status).toBe(401);
    expect((await api(`/api/v1/availability?${window}`, poller)).body).toMatchObject({ code: 'forbidden' });
  });
});

describe('GET /api/v1/endpoints', () => {
  it('lists every registered endpoint with its latest state', async () => {
    const { status, body } = await api('/api/v1/endpoints', auditor);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      levels: ['province', 'district', 'commune'],
      total: 4,
      up: 1,
      down: 3,
      no_data: 0,
    });
    const byId = Object.fromEntries(body.endpoints.map((e: { id: string }) => [e.id, e]));
    expect(byId.core.state).toMatchObject({ up: true, cause: '', rtt_avg_ms: 2 });
    expect(byId.d1.state).toMatchObject({ up: false, cause: 'down' });
    expect(byId.c1).toMatchObject({
      name: 'UBND xã Đào Dương',
      state: { up: false, cause: 'parent_down', parent_id: 'd1', rtt_avg_ms: null },
    });
  });
});
