import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, startInfluxd } from '../test/harness/influxd.js';
import { waitFor } from '../test/harness/ports.js';
import {
  agentCredential,
  personCredential,
  pollerTokens,
  siteTokens,
  startTestServer,
  testAuthInput,
  testServerConfig,
  testSigningKey,
} from '../test/harness/server.js';
import { agentIdFor, issueCredential, machineDigest } from './credentials.js';

/**
 * Every stored point is attributable to a credential that was allowed to write it: tried as an
 * attacker holding one agency PC's credential would, against the real server and a real InfluxDB.
 */
let influxd: Awaited<ReturnType<typeof startInfluxd>>;
let server: Awaited<ReturnType<typeof startTestServer>>;
let pc: string;
let poller: string;
let auditor: string;
const dir = mkdtempSync(join(tmpdir(), 'hatang-integrity-'));
const revocationFile = join(dir, 'revoked.txt');
const MIN = 60_000;
const T0 = Math.floor((Date.now() - 3_600_000) / MIN) * MIN;

const registry = `endpoints:
  - { id: core, name: "Trung tâm THDL", level: province, district: "TP", address: 127.1.0.1 }
  - { id: c1, name: "UBND xã Đào Dương", level: commune, district: "Ân Thi", parent: core, address: 127.1.1.2 }
`;

function pingPoint(target: string, up: boolean, time: number) {
  const level = target === 'core' ? 'province' : 'commune';
  const district = target === 'core' ? 'TP' : 'Ân Thi';
  return {
    measurement: 'ping',
    tags: { source: 'poller-1', target_id: target, level, district },
    fields: up
      ? { sent: 3, received: 3, loss_percent: 0, rtt_avg_ms: 1, up: true, cause: '', parent_id: '' }
      : { sent: 3, received: 0, loss_percent: 100, up: false, cause: 'down', parent_id: '' },
    time,
  };
}

const hostPoint = (time: number, hostname = 'pc-kt-07') => ({
  measurement: 'host',
  tags: { hostname },
  fields: { cpu_load_percent: 5, uptime_s: 100 },
  time,
});

async function post(path: string, body: unknown, credential?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (credential) headers.authorization = `Bearer ${credential}`;
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers, inspected by the matchers below
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

const ingest = (points: unknown[], credential: string, id = `b-${Math.random()}`) =>
  post('/api/v1/ingest', { batch_id: id, points }, credential);

async function availability() {
  const window = `from=${new Date(T0).toISOString()}&to=${new Date(T0 + 30 * MIN).toISOString()}`;
  const res = await fetch(`${server.url}/api/v1/availability?${window}`, {
    headers: { authorization: `Bearer ${auditor}` },
  });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  writeFileSync(join(dir, 'endpoints.yaml'), registry);
  writeFileSync(revocationFile, '');
  influxd = await startInfluxd();
  server = await startTestServer(
    testServerConfig(influxd.url, {
      endpoints_file: join(dir, 'endpoints.yaml'),
      auth: testAuthInput({ revocation_file: revocationFile }),
      ingest: { new_series_per_agent_per_hour: 40, new_series_per_site_per_hour: 60 },
    }),
  );
  pc = await agentCredential(agentIdFor('so-tttt', 'pc-kt-07', 'machine-0001'), 'so-tttt');
  poller = await agentCredential('poller-1', 'so-tttt', 'poller');
  auditor = await personCredential('auditor', 'thanh-tra');
  const cycles = [];
  for (let i = 0; i < 30; i++)
    cycles.push(pingPoint('core', true, T0 + i * MIN), pingPoint('c1', i < 20, T0 + i * MIN));
  const seeded = await ingest(cycles, poller, 'seed');
  if (seeded.status !== 202) throw new Error(`seed: ${seeded.status} ${JSON.stringify(seeded.body)}`);
});

afterAll(async () => {
  await server?.dispose();
  await influxd?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('write permissions by role', () => {
  it('refuses an agency PC writing ping for registry endpoints, and availability stays as measured', async () => {
    const before = await availability();
    expect(before.status).toBe(200);
    const forged = [];
    for (let i = 0; i < 30; i++)
      forged.push(pingPoint('core', false, T0 + i * MIN), pingPoint('c1', true, T0 + i * MIN));
    const res = await ingest([hostPoint(Date.now()), ...forged], pc);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('forbidden_measurement');
    expect(res.body.message).toMatch(
      /points\[1\]\.measurement: role "agent" may not write "ping" \(only poller credentials\)/,
    );
    expect(await availability()).toEqual(before);
    const [down] = await influxd.query(`SELECT count(up) FROM ping WHERE up = false AND target_id = 'core'`);
    expect(rows(down)).toEqual([]);
  });

  it.each([
    ['snmp_device', { device: 'core-sw' }, { up: true }],
    ['ups', { device: 'ups-1' }, { on_battery: true }],
    ['environment', { device: 'probe-1', sensor: 'inlet', zone: 'a' }, { temperature_c: 99 }],
  ])('refuses %s from an agency PC and takes it from the poller', async (measurement, tags, fields) => {
    const point = { measurement, tags, fields, time: Date.now() - 1000 };
    const refused = await ingest([point], pc);
    expect(refused.status).toBe(403);
    expect(refused.body.message).toContain(`role "agent" may not write "${measurement}"`);
    expect((await ingest([point], poller)).status).toBe(202);
  });

  it('refuses server_health from every credential: only the server writes it', async () => {
    const point = {
      measurement: 'server_health',
      tags: { instance: 'test' },
      fields: { spool_bytes: 0 },
      time: Date.now(),
    };
    for (const who of [pc, poller]) {
      const res = await ingest([point], who);
      expect(res.status).toBe(403);
      expect(res.body.message).toContain('may not write "server_health" (only the server itself)');
    }
  });

  it('lets the poller write its own machine measurements, and an auditor write nothing', async () => {
    expect((await ingest([hostPoint(Date.now() - 500, 'poller-1')], poller)).status).toBe(202);
    const res = await ingest([hostPoint(Date.now() - 500)], auditor);
    expect(res.status).toBe(403);
    expect(res.body.message).toBe('role "auditor" may not call this (needs agent or poller)');
  });
});

describe('time window', () => {
  it('stores a backlog queued through a six-day outage', async () => {
    const backlog = Array.from({ length: 144 }, (_, i) =>
      hostPoint(Date.now() - 6 * 86_400_000 + i * 3_600_000, 'pc-backlog'),
    );
    expect((await ingest(backlog, pc)).status).toBe(202);
    const [count] = await influxd.query(`SELECT count(uptime_s) FROM host WHERE hostname = 'pc-backlog'`);
    expect(rows(count)[0]?.count).toBe(144);
  });

  it('refuses points older than max_point_age or ahead of the clock, naming each', async () => {
    const old = await ingest([hostPoint(Date.now()), hostPoint(Date.now() - 8 * 86_400_000)], pc);
    expect(old.status).toBe(400);
    expect(old.body.message).toMatch(
      /points\[1\]\.time: \S+ is older than the accepted 168 h \(ingest\.max_point_age\)/,
    );
    const future = await ingest([hostPoint(Date.now() + 10 * MIN)], pc);
    expect(future.status).toBe(400);
    expect(future.body.message).toMatch(/points\[0\]\.time: \S+ is in the future \(check the clock\)/);
    expect((await ingest([hostPoint(Date.now() + 2 * MIN, 'pc-fast-clock')], pc)).status).toBe(202);
  });

  it('refuses weekly points since 2000 before they reach InfluxDB (one shard each)', async () => {
    const [before] = await influxd.query('SHOW SHARDS');
    const weekly = Array.from({ length: 1404 }, (_, i) =>
      hostPoint(Date.UTC(2000, 0, 3) + i * 7 * 86_400_000, 'pc-history'),
    );
    expect((await ingest(weekly, pc)).status).toBe(400);
    const [after] = await influxd.query('SHOW SHARDS');
    expect(rows(after).length).toBe(rows(before).length);
  });
});

describe('credentials', () => {
  it('enrolls with the poller token as a poller, and renews its credential', async () => {
    const enrolled = await post('/api/v1/enroll', {
      token: pollerTokens['so-tttt'],
      hostname: 'poller-dc1',
      machine_id: 'machine-poller-1',
    });
    expect(enrolled.status).toBe(201);
    expect(enrolled.body).toMatchObject({ site_id: 'so-tttt', role: 'poller' });
    expect(enrolled.body.agent_id).toBe(
      `poller-dc1-${machineDigest('so-tttt', 'machine-poller-1', 'poller')}`,
    );
    // The same machine enrolled as an agency PC is another identity.
    const asPc = await post('/api/v1/enroll', {
      token: siteTokens['so-tttt'],
      hostname: 'poller-dc1',
      machine_id: 'machine-poller-1',
    });
    expect(asPc.body).toMatchObject({
      role: 'agent',
      agent_id: `poller-dc1-${machineDigest('so-tttt', 'machine-poller-1')}`,
    });
    expect(asPc.body.agent_id).not.toBe(enrolled.body.agent_id);
    const expires = Date.parse(enrolled.body.expires_at);
    expect(expires - Date.now()).toBeGreaterThan(89 * 86_400_000);
    expect((await ingest([pingPoint('core', true, Date.now())], enrolled.body.credential)).status).toBe(202);

    const renewed = await post('/api/v1/credential/renew', {}, enrolled.body.credential);
    expect(renewed.status).toBe(200);
    expect(renewed.body).toMatchObject({
      agent_id: enrolled.body.agent_id,
      site_id: 'so-tttt',
      role: 'poller',
    });
    expect(renewed.body.credential).not.toBe(enrolled.body.credential);
    expect(Date.parse(renewed.body.expires_at)).toBeGreaterThanOrEqual(expires);
    expect((await post('/api/v1/credential/renew', {}, auditor)).status).toBe(403);
  });

  it('refuses an expired credential, and renewing it, saying when it expired', async () => {
    const expired = issueCredential(
      { role: 'agent', subject: 'pc-old', siteId: 'so-tttt' },
      testSigningKey,
      1_000,
      Date.now() - 60_000,
    );
    for (const path of ['/api/v1/ingest', '/api/v1/credential/renew']) {
      const res = await post(path, { batch_id: 'x', points: [hostPoint(Date.now())] }, expired.credential);
      expect(res.status).toBe(401);
      expect(res.body.message).toMatch(/^credential expired at \d{4}-/);
    }
  });

  it('refuses non-canonical spellings of a valid signature', async () => {
    const good = await agentCredential('pc-canon', 'so-tttt');
    expect((await ingest([hostPoint(Date.now(), 'pc-canon')], good)).status).toBe(202);
    const [h, p, s] = good.split('.') as [string, string, string];
    // The last of 43 base64url characters carries 4 bits and 2 unused ones: flip the unused bits.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(s.at(-1) as string);
    const sameBits = `${s.slice(0, -1)}${alphabet[last ^ 1]}`;
    expect(Buffer.from(sameBits, 'base64url')).toEqual(Buffer.from(s, 'base64url'));
    for (const forged of [`${h}.${p}.${sameBits}`, `${h}.${p}.${s}=`, `${h}.${p}.${s.slice(0, -2)}`]) {
      const res = await ingest([hostPoint(Date.now(), 'pc-canon')], forged);
      expect(res.status).toBe(401);
    }
  });

  it('revokes a machine under any hostname it enrolls with', async () => {
    const first = await post('/api/v1/enroll', {
      token: siteTokens['huyen-a'],
      hostname: 'PC-Stolen',
      machine_id: 'machine-stolen',
    });
    expect(first.status).toBe(201);
    writeFileSync(revocationFile, `${first.body.agent_id}  # laptop stolen 2026-11-20\n`);
    await waitFor(
      'the revocation file to be re-read',
      async () => (await ingest([hostPoint(Date.now())], first.body.credential)).status === 403,
      {
        timeoutMs: 10_000,
        everyMs: 200,
      },
    );
    const renamed = await post('/api/v1/enroll', {
      token: siteTokens['huyen-a'],
      hostname: 'pc-innocent',
      machine_id: 'machine-stolen',
    });
    expect(renamed.status).toBe(403);
    expect(renamed.body.message).toMatch(/this machine \(agent "pc-innocent-[a-z2-7]{26}"\) is revoked/);
    // The same machine id at another site is another machine.
    const other = await post('/api/v1/enroll', {
      token: siteTokens['so-tttt'],
      hostname: 'pc-x',
      machine_id: 'machine-stolen',
    });
    expect(other.status).toBe(201);
  });

  it('revokes auditors by name and single credentials by id', async () => {
    const kept = await personCredential('auditor', 'kiem-toan');
    const lost = await personCredential('admin', 'quan-tri');
    const leaked = issueCredential({ role: 'auditor', subject: 'thanh-tra-2' }, testSigningKey, 3_600_000);
    const spare = await personCredential('auditor', 'thanh-tra-2');
    const read = async (c: string) =>
      (await fetch(`${server.url}/api/v1/endpoints`, { headers: { authorization: `Bearer ${c}` } })).status;
    for (const c of [kept, lost, leaked.credential, spare]) expect(await read(c)).toBe(200);
    writeFileSync(revocationFile, `quan-tri\ncredential:${leaked.identity.credentialId}\n`);
    await waitFor('the revocation file to be re-read', async () => (await read(lost)) === 403, {
      timeoutMs: 10_000,
      everyMs: 200,
    });
    expect(await read(leaked.credential)).toBe(403);
    expect(await read(spare)).toBe(200);
    expect(await read(kept)).toBe(200);
  });
});

describe('new series allowance', () => {
  it('answers 429 with Retry-After once an agent creates more new series than its hourly allowance', async () => {
    const flood = await agentCredential('pc-flood', 'huyen-a');
    const hosts = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => hostPoint(Date.now() - 1000, `fake-${from + i}`));
    expect((await ingest(hosts(0, 30), flood)).status).toBe(202);
    const refused = await ingest(hosts(30, 30), flood);
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('series_limit');
    expect(refused.body.message).toContain(
      'batch would create 30 new series; this agent may create 40 an hour',
    );
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Series already known cost nothing: the same hosts again pass.
    expect((await ingest(hosts(0, 30), flood)).status).toBe(202);
    const [values] = await influxd.query(
      `SHOW TAG VALUES FROM host WITH KEY = hostname WHERE agent_id = 'pc-flood'`,
    );
    expect(rows(values)).toHaveLength(30);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/hatang_series_refused_total\{scope="agent"\} 30/);
  });
});
