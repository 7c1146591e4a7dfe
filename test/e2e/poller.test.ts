import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addNamespace,
  createLab,
  type Lab,
  linkBehind,
  linkFromRoot,
  setLink,
} from '../../agent/collectors/ping/netns-fixture.js';
import { runHatang } from '../harness/hatang.js';
import { startInfluxd } from '../harness/influxd.js';
import { personCredential, pollerTokens, startTestServer, testServerConfig } from '../harness/server.js';

/**
 * The poller path end to end: the endpoint registry, a real agent process running the ping collector
 * against hosts in network namespaces this test creates, the real server, InfluxDB, and the
 * auditors' endpoints and availability API reading it back.
 */
let lab: Lab;
let influxd: Awaited<ReturnType<typeof startInfluxd>>;
let server: Awaited<ReturnType<typeof startTestServer>>;
let auditor: string;
const dir = mkdtempSync(join(tmpdir(), 'hatang-poller-'));
const agentYaml = join(dir, 'agent.yaml');
let coreNs: string;

beforeAll(async () => {
  lab = createLab('e2e');
  coreNs = addNamespace(lab, 'core');
  const core = linkFromRoot(lab, coreNs, 0).inside;
  const d1 = linkBehind(lab, coreNs, core, addNamespace(lab, 'd1'), 1).inside;
  const d2 = linkBehind(lab, coreNs, core, addNamespace(lab, 'd2'), 2).inside;
  const registry = join(dir, 'endpoints.yaml');
  writeFileSync(
    registry,
    `endpoints:
  - { id: core, name: "Trung tâm THDL", level: province, district: "TP Hưng Yên", address: ${core} }
  - { id: huyen-an-thi, name: "UBND huyện Ân Thi", level: district, district: "Ân Thi", parent: core, address: ${d1} }
  - { id: huyen-kim-dong, name: "UBND huyện Kim Động", level: district, district: "Kim Động", parent: core, address: ${d2} }
  - { id: so-y-te, name: "Sở Y tế", level: province, district: "TP Hưng Yên", address: 127.0.0.1 }
`,
  );
  influxd = await startInfluxd();
  server = await startTestServer(testServerConfig(influxd.url, { endpoints_file: registry }));
  auditor = await personCredential('auditor', 'thanh-tra');
  writeFileSync(
    agentYaml,
    `agent: { state_dir: "${join(dir, 'state')}", hostname: poller-dc1 }
server: { urls: ["${server.url}"], enrollment_token: "\${TOKEN}" }
collectors:
  - type: ping
    interval: 5m
    endpoints_file: "${registry}"
    count: 3
    period: 100ms
    packet_interval: 1ms
    packet_timeout: 300ms
`,
  );
});

afterAll(async () => {
  lab?.teardown();
  await server?.dispose();
  await influxd?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const sweep = async () => {
  const { code, output } = await runHatang(['agent', '--config', agentYaml, '--once'], {
    TOKEN: pollerTokens['so-tttt'],
  });
  expect(code, output).toBe(0);
};

async function api(path: string) {
  const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${auditor}` } });
  expect(res.status).toBe(200);
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers, inspected by the matchers below
  return (await res.json()) as any;
}

describe('the poller, through the server, to the auditors API', () => {
  it('shows every endpoint up, then one outage at the core with its districts as parent_down', async () => {
    const start = new Date(Date.now() - 1000).toISOString();
    await sweep();
    let state = await api('/api/v1/endpoints');
    expect(state).toMatchObject({ total: 4, up: 4, down: 0 });
    // Every point carries the collector's cycle interval and the office's name from the registry.
    const stored = await influxd.query(
      'SELECT last("interval_s") AS "interval_s" FROM "ping" GROUP BY "name"',
    );
    expect(stored.map((s) => [s.tags?.name, s.values[0]?.[1]]).sort()).toEqual([
      ['Sở Y tế', 300],
      ['Trung tâm THDL', 300],
      ['UBND huyện Kim Động', 300],
      ['UBND huyện Ân Thi', 300],
    ]);

    setLink(lab, coreNs, 'eth0', 'down');
    await sweep();
    state = await api('/api/v1/endpoints');
    const byId = Object.fromEntries(state.endpoints.map((e: { id: string }) => [e.id, e]));
    expect(byId.core.state).toMatchObject({ up: false, cause: 'down', loss_percent: 100 });
    expect(byId['huyen-an-thi'].state).toMatchObject({ up: false, cause: 'parent_down', parent_id: 'core' });
    expect(byId['huyen-kim-dong'].state).toMatchObject({
      up: false,
      cause: 'parent_down',
      parent_id: 'core',
    });
    expect(byId['so-y-te'].state).toMatchObject({ up: true, cause: '' });

    const end = new Date(Date.now() + 1000).toISOString();
    const availability = await api(`/api/v1/availability?from=${start}&to=${end}`);
    const rows = Object.fromEntries(availability.rows.map((r: { key: string }) => [r.key, r]));
    expect(rows.core).toMatchObject({ cycles: 2, up_cycles: 1, availability_percent: 50, outages: 1 });
    expect(rows['huyen-an-thi']).toMatchObject({
      cycles: 2,
      availability_percent: 50,
      own_availability_percent: 100,
    });
    expect(rows['so-y-te']).toMatchObject({ cycles: 2, availability_percent: 100 });
    expect(
      availability.outages.map((o: { target_id: string; cause: string }) => [o.target_id, o.cause]).sort(),
    ).toEqual([
      ['core', 'down'],
      ['huyen-an-thi', 'parent_down'],
      ['huyen-kim-dong', 'parent_down'],
    ]);
    const byDistrict = await api(`/api/v1/availability?from=${start}&to=${end}&group=district`);
    expect(byDistrict.rows.find((r: { key: string }) => r.key === 'TP Hưng Yên')).toMatchObject({
      cycles: 4,
      up_cycles: 3,
      availability_percent: 75,
    });
  });
});
