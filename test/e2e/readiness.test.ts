import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../lib/version.js';
import { hashToken } from '../../server/credentials.js';
import { runHatang } from '../harness/hatang.js';
import { startInfluxd } from '../harness/influxd.js';
import {
  personCredential,
  pollerTokens,
  siteTokens,
  startTestServer,
  testServerConfig,
  testSigningKey,
} from '../harness/server.js';
import { startSnmpsim } from '../harness/snmpsim.js';

/**
 * TIA-942 readiness end to end with real devices: snmpsimd replays this test's UPS, inlet-probe and
 * core-switch recordings (server/readiness/testdata), a real agent process in poller role polls them
 * with the snmp collector, the real server stores the points in a real influxd, and the readiness
 * API evaluates them. A device changes state by being polled with another recording (community)
 * under the same name; each change must flip exactly the criteria it should.
 */
const testdata = join(projectRoot(), 'server', 'readiness', 'testdata');
/** The poller's own APC rack PDU and NetBotz recordings, served as they are beside this test's. */
const pollerTestdata = join(projectRoot(), 'agent', 'collectors', 'snmp', 'testdata');
const pollerRecordings = ['apc-rack-pdu', 'netbotz-450'];
const recordingFiles = (): Record<string, string> => ({
  ...Object.fromEntries(
    readdirSync(testdata)
      .filter((f) => f.endsWith('.snmprec'))
      .map((f) => [f.replace('.snmprec', ''), join(testdata, f)]),
  ),
  ...Object.fromEntries(pollerRecordings.map((r) => [r, join(pollerTestdata, `${r}.snmprec`)])),
});
const dir = mkdtempSync(join(tmpdir(), 'hatang-readiness-'));
const agentYaml = join(dir, 'agent.yaml');
let influxd: Awaited<ReturnType<typeof startInfluxd>>;
let server: Awaited<ReturnType<typeof startTestServer>>;
let sim: Awaited<ReturnType<typeof startSnmpsim>>;
let auditor: string;
let admin: string;

const declaration = `sites:
  - id: dc-test
    name: "Trung tâm THDL (test)"
    site_id: so-tttt
    target_rating: 3
    devices:
      - { name: ups-dc-a, role: ups }
      - { name: ups-dc-b, role: ups }
      - { name: env-dc-1, role: sensor }
      - { name: core-sw-1, role: switch }
      - { name: core-sw-2, role: switch }
      - { name: pdu-r12-a, role: pdu }
      - { name: pdu-r12-b, role: pdu }
      - { name: netbotz-r7, role: sensor }
    rooms:
      - { id: cr-1, kind: computer_room, floor_load_kpa: 7.2 }
      - { id: er-1, kind: entrance_room }
      - { id: er-2, kind: entrance_room }
    electrical:
      ups_units:
        - { id: ups-a, device: ups-dc-a, capacity_kw: 10, path: A }
        - { id: ups-b, device: ups-dc-b, capacity_kw: 10, path: B }
      ups_redundancy: { value: N+1, evidence: { document: TK-DIEN-01, date: 2026-01-10, checked_by: kiem-tra } }
      power_paths: active_alternate
      generators: [{ id: g1, capacity_kw: 100, fuel_autonomy_hours: 96 }]
      generator_redundancy: N+1
      utility_feeds: [{ id: f1 }]
      ats_present: true
      dual_corded_it_percent: 100
      rack_pdus:
        - { rack: R12, feed: A, device: pdu-r12-a, phase: 1, bank: 1, rated_current_a: 16 }
        - { rack: R12, feed: B, device: pdu-r12-b, phase: 1, bank: 1, rated_current_a: 16 }
      concurrent_maintenance_tested: 2026-01-10
    mechanical:
      cooling_redundancy: N+1
      cooling_paths: active_alternate
      leak_detection: true
      contacts:
        - { device: netbotz-r7, sensor: "Leak rope under floor", kind: leak, room: cr-1 }
        - { device: netbotz-r7, sensor: "Smoke panel relay", kind: smoke, room: cr-1 }
        - { device: netbotz-r7, sensor: "Rack 7 front door", kind: door, room: cr-1 }
      fire_suppression: clean_agent
      inlet_sensors: [{ device: env-dc-1, sensor: "Probe 1 - rack A3 inlet" }]
    telecom:
      access_providers:
        - { id: vnpt, name: VNPT, uplinks: [{ device: core-sw-1, if_name: Gi0/1 }] }
        - { id: viettel, name: Viettel, uplinks: [{ device: core-sw-2, if_name: Gi0/1 }] }
      diverse_entrance_pathways: true
      redundant_backbone_cabling: true
      core_switches:
        - { device: core-sw-1, psus: 2, uplinks: [{ if_name: Gi0/24, neighbour: core-sw-2 }] }
        - { device: core-sw-2, psus: 2, uplinks: [{ if_name: Gi0/24, neighbour: core-sw-1 }] }
    architectural:
      access_control: card_cctv
      noc_hours: 24x7
      site_risks: { risks: [] }
  - id: dc-no-poller
    name: "site whose poller never reported"
    site_id: huyen-a
    target_rating: 3
    devices: [{ name: ups-x, role: ups }, { name: env-x, role: sensor }, { name: sw-x, role: switch }]
    electrical:
      ups_units: [{ id: ups-x, device: ups-x, capacity_kw: 10, path: A }]
      ups_redundancy: N
      power_paths: single
    mechanical:
      inlet_sensors: [{ device: env-x, sensor: inlet }]
    telecom:
      access_providers: [{ id: vnpt, name: VNPT, uplinks: [{ device: sw-x, if_name: Gi0/1 }] }]
      core_switches: [{ device: sw-x, psus: 1 }]
    architectural:
      access_control: lock
`;

const normal = {
  'ups-dc-a': 'ups-a-normal',
  'ups-dc-b': 'ups-b-normal',
  'env-dc-1': 'sensor-in-band',
  'core-sw-1': 'core-sw-1',
  'core-sw-2': 'core-sw-2',
  'pdu-r12-a': 'apc-rack-pdu',
  'pdu-r12-b': 'pdu-r12-b',
  'netbotz-r7': 'netbotz-dry',
};
type State = typeof normal;

/** The poller's config with each device polled as the recording `state` names ("silent": nothing answers). */
function pollerConfig(state: State): string {
  const recordings = Object.keys(recordingFiles());
  const creds = [...recordings, 'silent'].map((r) => `      ${r}: { version: 2c, community: ${r} }`);
  const devices = Object.entries(state).map(
    ([name, rec]) =>
      `      - { name: ${name}, address: 127.0.0.1, port: ${sim.port}, credentials: ${rec}${name.startsWith('env-') ? ', profile: environment-sensor' : ''} }`,
  );
  return `agent: { state_dir: "${join(dir, 'state')}", hostname: poller-dc }
server: { urls: ["${server.url}"], enrollment_token: "\${TOKEN}" }
collectors:
  - type: snmp
    request_timeout: 1s
    retries: 1
    poll_timeout: 10s
    credentials:
${creds.join('\n')}
    devices:
${devices.join('\n')}
`;
}

/**
 * One poll of every device in the given states. On a loaded machine a recording may miss its
 * timeout; the poll is repeated (at most twice) until every device meant to answer did, so a state
 * change is never judged on an old reading.
 */
async function poll(changes: Partial<State> = {}) {
  const state = { ...normal, ...changes };
  writeFileSync(agentYaml, pollerConfig(state));
  const answering = Object.entries(state)
    .filter(([, rec]) => rec !== 'silent')
    .map(([device]) => device)
    .sort();
  for (let attempt = 1; ; attempt++) {
    const since = Date.now();
    const { code, output } = await runHatang(['agent', '--config', agentYaml, '--once'], {
      TOKEN: pollerTokens['so-tttt'],
    });
    expect(code, output).toBe(0);
    const polls = await influxd.query(
      `SELECT last("success") FROM "snmp_poll" WHERE time >= ${since - 1000}ms GROUP BY "device"`,
    );
    const ok = polls
      .filter((p) => p.values[0]?.[1] === true)
      .map((p) => p.tags?.device ?? '')
      .sort();
    if (answering.every((d) => ok.includes(d))) return;
    if (attempt >= 3) expect(ok, 'devices that answered the poll').toEqual(answering);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: JSON answers, inspected by the matchers below
async function api(path: string, token = auditor, method = 'GET'): Promise<any> {
  const res = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json();
}

interface Card {
  overall_rating: number;
  subsystems: { subsystem: string; rating: number }[];
  criteria: { id: string; levels: { status: string }[]; contradiction?: string }[];
}
const statuses = (card: Card) =>
  Object.fromEntries(card.criteria.map((c) => [c.id, c.levels.map((l) => l.status).join(' ')]));
const ratings = (card: Card) => Object.fromEntries(card.subsystems.map((s) => [s.subsystem, s.rating]));
const changed = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).filter((k) => a[k] !== b[k]);

async function scorecard(): Promise<Card> {
  const answer = await api('/api/v1/readiness?site=dc-test');
  expect(answer.label).toBe('readiness self-assessment, not a certification');
  const card = answer.sites[0] as Card;
  // The overall rating is the lowest subsystem rating, whatever the state.
  expect(card.overall_rating).toBe(Math.min(...card.subsystems.map((s) => s.rating)));
  return card;
}

beforeAll(async () => {
  [influxd, sim] = await Promise.all([startInfluxd(), startSnmpsim({ recordings: recordingFiles() })]);
  const datacenter = join(dir, 'datacenter.yaml');
  writeFileSync(datacenter, declaration);
  server = await startTestServer(
    testServerConfig(influxd.url, {
      readiness: { datacenter_file: datacenter, interval: '1h', stale_after: '10m' },
    }),
  );
  auditor = await personCredential('auditor', 'thanh-tra');
  admin = await personCredential('admin', 'quan-tri');
}, 90_000);

afterAll(async () => {
  await server?.dispose();
  await Promise.all([influxd?.dispose(), sim?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('readiness from real devices, through the poller and the server', () => {
  let baseline: Record<string, string>;

  it('rates the declared data center from the polled devices', async () => {
    await poll();
    const card = await scorecard();
    baseline = statuses(card);
    expect(baseline).toMatchObject({
      E1: 'pass pass pass fail', // declared N+1, Rated-4 asks 2N
      E5: 'pass pass pass pass',
      E6: 'na na pass pass', // rack R12 draws on both feeds, 13.5 A together fits one 16 A feed
      M4: 'na pass pass pass', // the leak rope is dry
      M6: 'pass pass pass pass',
      T2: 'pass pass pass pass',
      T5: 'na pass pass unknown',
      T6: 'pass pass pass pass',
    });
    // With both PDU feeds drawing (E6) and the leak rope dry (M4), nothing blocks Rated-3.
    expect(ratings(card)).toEqual({ telecommunications: 3, architectural: 3, electrical: 3, mechanical: 3 });
    expect(card.overall_rating).toBe(3);
  });

  const cases: [string, Partial<State>, string[], Record<string, string>, Record<string, number>][] = [
    [
      'one UPS load rising past N+1',
      { 'ups-dc-b': 'ups-b-high' },
      ['E1'],
      { E1: 'pass fail fail fail' },
      { electrical: 1 },
    ],
    [
      'one UPS going on battery',
      { 'ups-dc-b': 'ups-b-battery' },
      ['E1', 'E5'],
      { E1: 'pass fail fail fail', E5: 'fail fail fail fail' },
      { electrical: 0 },
    ],
    [
      'the inlet leaving the recommended band',
      { 'env-dc-1': 'sensor-warm' },
      ['M6'],
      { M6: 'pass pass fail fail' },
      { mechanical: 2 },
    ],
    [
      'the inlet leaving the allowable band',
      { 'env-dc-1': 'sensor-hot' },
      ['M6'],
      { M6: 'fail fail fail fail' },
      { mechanical: 0 },
    ],
    [
      "one rack PDU feed's bank dropping to 0 A",
      { 'pdu-r12-b': 'pdu-r12-b-bank1-idle' },
      ['E6'],
      { E6: 'na na fail fail' },
      { electrical: 2 },
    ],
    [
      'the leak rope getting wet',
      { 'netbotz-r7': 'netbotz-450' },
      ['M4'],
      { M4: 'na fail fail fail' },
      { mechanical: 1 },
    ],
    [
      'a provider uplink going down',
      { 'core-sw-1': 'core-sw-1-uplink-down' },
      ['T2', 'T6'],
      { T2: 'pass pass fail fail', T6: 'pass pass fail fail' },
      { telecommunications: 2 },
    ],
    [
      'a core switch not answering',
      { 'core-sw-2': 'silent' },
      ['T2', 'T5', 'T6'],
      { T2: 'pass pass unknown unknown', T5: 'na pass fail fail', T6: 'unknown unknown unknown unknown' },
      { telecommunications: 0 },
    ],
  ];
  for (const [what, state, flips, expected, rating] of cases) {
    it(`flips exactly ${flips.join(', ')} on ${what}, and back`, async () => {
      await poll(state);
      const card = await scorecard();
      const now = statuses(card);
      expect(changed(baseline, now)).toEqual(flips);
      expect(now).toMatchObject(expected);
      expect(ratings(card)).toMatchObject(rating);
      await poll();
      expect(statuses(await scorecard())).toEqual(baseline);
    });
  }

  it('says "declared X, measured Y" when the live load contradicts the declared N+1', async () => {
    await poll({ 'ups-dc-b': 'ups-b-high' });
    const card = await scorecard();
    expect(card.criteria.find((c) => c.id === 'E1')?.contradiction).toBe(
      'declared N+1, measured N: load 11 kW, 20 kW available, largest unit 10 kW',
    );
  });

  it('names the rack drawing on one feed, and the wet leak sensor, as "declared X, measured Y"', async () => {
    await poll({ 'pdu-r12-b': 'pdu-r12-b-bank1-idle', 'netbotz-r7': 'netbotz-450' });
    const card = await scorecard();
    const byId = (id: string) => card.criteria.find((c) => c.id === id);
    expect(byId('E6')?.contradiction).toBe(
      'declared 100 % dual-corded, measured rack R12 drawing on feed A only (A 7.1 A, B 0 A)',
    );
    expect(byId('M4')?.contradiction).toBe(
      'declared leak detection dry, measured water at netbotz-r7/Leak rope under floor (room cr-1)',
    );
    await poll();
  });

  it('writes the same scorecard to InfluxDB on demand, and reads back from it', async () => {
    const answer = await api('/api/v1/readiness/evaluate?site=dc-test', admin, 'POST');
    const card = answer.sites[0] as Card;
    const overall = await influxd.query(
      `SELECT last("rating") AS rating, last("target_rating") AS target FROM "dc_readiness" WHERE "dc_site" = 'dc-test' GROUP BY "subsystem"`,
    );
    const stored = Object.fromEntries(overall.map((s) => [s.tags?.subsystem, s.values[0]?.[1]]));
    expect(stored).toEqual({ ...ratings(card), overall: card.overall_rating });
    const crit = await influxd.query(
      `SELECT last("status_r1"), last("status_r2"), last("status_r3"), last("status_r4") FROM "dc_criterion" WHERE "dc_site" = 'dc-test' GROUP BY "criterion"`,
    );
    const storedStatuses = Object.fromEntries(
      crit.map((s) => [s.tags?.criterion, s.values[0]?.slice(1).join(' ')]),
    );
    expect(storedStatuses).toEqual(statuses(card));
    // The schedule (first run 5 s after start) wrote one evaluation before this on-demand one.
    const runs = await influxd.query(
      `SELECT count("rating") FROM "dc_readiness" WHERE "dc_site" = 'dc-test' AND "subsystem" = 'overall'`,
    );
    expect(Number(runs[0]?.values[0]?.[1])).toBeGreaterThanOrEqual(2);
    const auditorTry = await fetch(`${server.url}/api/v1/readiness/evaluate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${auditor}` },
    });
    expect(auditorTry.status).toBe(403);
  });

  it('without any evidence from a site, every live criterion is unknown and the rating rests on declarations', async () => {
    const answer = await api('/api/v1/readiness?site=dc-no-poller');
    const card = answer.sites[0] as Card & { gaps: { id: string }[] };
    const live = ['E1', 'E5', 'E6', 'M4', 'M6', 'T2', 'T5', 'T6'];
    const byId = statuses(card);
    // Nothing that needs live evidence passes; where the declaration itself falls short it fails.
    expect(Object.fromEntries(live.map((id) => [id, byId[id]]))).toEqual({
      E1: 'unknown fail fail fail', // declared N: Rated-2 fails on the declaration alone
      E5: 'unknown unknown unknown unknown',
      E6: 'na na unknown unknown',
      M4: 'na unknown unknown unknown',
      M6: 'unknown unknown unknown unknown',
      T2: 'unknown unknown fail fail', // one provider declared
      T5: 'na fail fail fail', // declared with one PSU and one core: no live reading can lift that
      T6: 'unknown unknown fail fail', // one uplink declared
    });
    expect(card.overall_rating).toBe(0);
  });

  it('the CLI prints the same scorecard as the API, in Vietnamese or as JSON', async () => {
    const serverYaml = join(dir, 'server.yaml');
    // The server.yaml an operator would run the CLI with: both hatang sites the declaration names.
    writeFileSync(
      serverYaml,
      `auth:
  signing_key: \${SIGNING_KEY}
  sites:
${Object.entries(siteTokens)
  .map(([id, token]) => `    - { id: ${id}, name: ${id}, enrollment_token_sha256: ${hashToken(token)} }`)
  .join('\n')}
storage: { kind: influxdb-v1, url: "${influxd.url}", database: hatang }
spool: { dir: "${join(dir, 'cli-spool')}" }
readiness: { datacenter_file: "${join(dir, 'datacenter.yaml')}" }
`,
    );
    const env = { SIGNING_KEY: testSigningKey };
    const json = await runHatang(['readiness', '--config', serverYaml, '--site', 'dc-test', '--json'], env);
    expect(json.code, json.output).toBe(0);
    const fromCli = JSON.parse(json.output).sites[0] as Card;
    const fromApi = await scorecard();
    expect(statuses(fromCli)).toEqual(statuses(fromApi));
    expect(ratings(fromCli)).toEqual(ratings(fromApi));
    const vi = await runHatang(
      ['readiness', '--config', serverYaml, '--site', 'dc-test', '--lang', 'vi'],
      env,
    );
    expect(vi.code, vi.output).toBe(0);
    expect(vi.output).toContain('** tự đánh giá mức sẵn sàng, không phải chứng nhận **');
    expect(vi.output).toContain(`tổng thể Rated-${fromApi.overall_rating}`);
    expect(vi.output).toMatch(/^ {2}E4 .*\[ngưỡng chưa kiểm chứng\]/m);
    const bad = await runHatang(['readiness', '--config', serverYaml, '--site', 'nowhere'], env);
    expect(bad.code).toBe(2);
    expect(bad.output).toContain('--site: no data-center site "nowhere"');
  });

  it('refuses callers without an auditor or admin credential', async () => {
    expect((await fetch(`${server.url}/api/v1/readiness`)).status).toBe(401);
    const unknownSite = await fetch(`${server.url}/api/v1/readiness?site=nowhere`, {
      headers: { authorization: `Bearer ${auditor}` },
    });
    expect(unknownSite.status).toBe(404);
  });
});
