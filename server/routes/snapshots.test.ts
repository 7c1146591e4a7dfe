import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd } from '../../test/harness/influxd.js';
import {
  agentCredential,
  personCredential,
  startTestServer,
  testServerConfig,
} from '../../test/harness/server.js';
import { buildBundle } from '../snapshot/bundle.js';
import { openSnapshotKeys } from '../snapshot/keys.js';
import { previousMonth } from '../snapshot/period.js';
import { startSnapshotSchedule } from '../snapshot/service.js';
import { createEd25519Signer, generateEd25519KeyPem } from '../snapshot/sign.js';
import { octoberContent } from '../snapshot/testdata/content.js';
import type { PublicKeyRecord, SnapshotEntry, VerifyResult } from '../snapshot/types.js';
import { readZip, writeZip } from '../snapshot/zip.js';

/**
 * The snapshot API against a real server and a real InfluxDB: made, kept read-only, listed,
 * downloaded, verified (and a tampered copy refused naming the file), keys rotated, every action
 * in the audit log, the schedule making a missed month once.
 */
let influxd: Awaited<ReturnType<typeof startInfluxd>>;
let server: Awaited<ReturnType<typeof startTestServer>>;
let auditor: string;
let admin: string;
let agent: string;
const dir = mkdtempSync(join(tmpdir(), 'hatang-snapshots-api-'));
const snapshotsDir = join(dir, 'snapshots');
const MIN = 60_000;
const HOUR = 3_600_000;
/** A past window of two whole hours, so its content (as of its end) never changes. */
const FROM = Math.floor((Date.now() - 5 * HOUR) / HOUR) * HOUR;
const TO = FROM + 2 * HOUR;
const iso = (t: number) => new Date(t).toISOString();

const registry = `endpoints:
  - { id: core, name: "Trung tâm THDL", level: province, district: "TP", address: 127.1.0.1 }
  - { id: c1, name: "UBND xã Đào Dương", level: commune, district: "Ân Thi", parent: core, address: 127.1.1.2 }
`;

async function call(
  method: string,
  path: string,
  o: { credential?: string; json?: unknown; body?: Buffer; type?: string } = {},
) {
  const headers: Record<string, string> = {};
  if (o.credential) headers.authorization = `Bearer ${o.credential}`;
  let body: string | Uint8Array | undefined;
  if (o.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(o.json);
  } else if (o.body) {
    headers['content-type'] = o.type ?? 'application/zip';
    body = new Uint8Array(o.body);
  }
  const res = await fetch(`${server.url}${path}`, { method, headers, ...(body ? { body } : {}) });
  const bytes = Buffer.from(await res.arrayBuffer());
  const isJson = (res.headers.get('content-type') ?? '').includes('json');
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers, inspected by the matchers below
  const json: any = isJson ? JSON.parse(bytes.toString('utf8')) : undefined;
  return { status: res.status, headers: res.headers, bytes, json };
}

const create = (json: unknown, credential = auditor) =>
  call('POST', '/api/v1/snapshots', { credential, json });
const verify = async (zip: Buffer) =>
  (await call('POST', '/api/v1/snapshots/verify', { credential: auditor, body: zip })).json as VerifyResult;

beforeAll(async () => {
  writeFileSync(join(dir, 'endpoints.yaml'), registry);
  influxd = await startInfluxd();
  server = await startTestServer(
    testServerConfig(influxd.url, {
      endpoints_file: join(dir, 'endpoints.yaml'),
      snapshots: { dir: snapshotsDir, chromium: 'none', verify_max_bytes: '4MiB', max_window: '40d' },
    }),
  );
  auditor = await personCredential('auditor', 'kiem-toan-1');
  admin = await personCredential('admin', 'quan-tri');
  agent = await agentCredential('pc-1', 'so-tttt');
  const poller = await agentCredential('poller-1', 'so-tttt', 'poller');
  const points = [];
  for (let t = FROM; t < TO; t += MIN) {
    for (const [target, level, district] of [
      ['core', 'province', 'TP'],
      ['c1', 'commune', 'Ân Thi'],
    ] as const) {
      points.push({
        measurement: 'ping',
        tags: { source: 'poller-1', target_id: target, level, district },
        fields: { sent: 3, received: 3, loss_percent: 0, rtt_avg_ms: 1, up: true, cause: '', parent_id: '' },
        time: t,
      });
    }
  }
  const res = await fetch(`${server.url}/api/v1/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${poller}` },
    body: JSON.stringify({ batch_id: 'seed', points }),
  });
  if (res.status !== 202) throw new Error(`seed: ${res.status} ${await res.text()}`);
});

afterAll(async () => {
  await server?.dispose();
  await influxd?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('snapshot API', () => {
  let entry: SnapshotEntry;
  let zip: Buffer;
  let foreign: Buffer;

  it('refuses a bundle signed by another key, also before this server has a key of its own', async () => {
    const mallory = createEd25519Signer(generateEd25519KeyPem(), '2026-01-01T00:00:00.000Z');
    foreign = (await buildBundle(octoberContent, mallory, { lang: 'vi', chromium: null })).zip;
    expect((await call('GET', '/.well-known/hatang-snapshot-keys')).json).toEqual([]);
    const r = await verify(foreign);
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => p.kind)).toContain('unknown_key');
  });

  it('POST /api/v1/snapshots makes a signed snapshot (201), kept read-only; the same request again answers 200 with it', async () => {
    const made = await create({ from: iso(FROM), to: iso(TO), sites: ['so-tttt'], lang: 'en' });
    expect(made.status, JSON.stringify(made.json)).toBe(201);
    entry = made.json;
    expect(entry).toMatchObject({
      window: { from: iso(FROM), to: iso(TO) },
      scope: { sites: ['so-tttt'] },
      requested_by: 'kiem-toan-1',
    });
    expect(entry.id).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(join(snapshotsDir, 'store', `${entry.id}.zip`)).mode & 0o777).toBe(0o444);
    const again = await create({ from: iso(FROM), to: iso(TO), sites: ['so-tttt'], lang: 'en' });
    expect(again.status).toBe(200);
    expect(again.json).toEqual(entry);
  });

  it('GET /api/v1/snapshots lists it; GET /api/v1/snapshots/:id downloads the zip as an attachment', async () => {
    const list = await call('GET', '/api/v1/snapshots', { credential: admin });
    expect(list.status).toBe(200);
    expect(list.json.snapshots).toContainEqual(entry);
    const got = await call('GET', `/api/v1/snapshots/${entry.id}`, { credential: auditor });
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('application/zip');
    expect(got.headers.get('content-disposition')).toMatch(
      new RegExp(
        `^attachment; filename="hatang-snapshot-\\d{4}-\\d{2}-\\d{2}_\\d{4}-\\d{2}-\\d{2}-${entry.id.slice(0, 12)}\\.zip"$`,
      ),
    );
    expect(got.bytes.length).toBe(entry.bytes);
    zip = got.bytes;
    expect(readZip(zip).map((e) => e.path)).toContain('manifest.json');
  });

  it('verifies the untouched bundle against the server key, and names the file edited in a tampered copy', async () => {
    const good = await verify(zip);
    expect(good.problems).toEqual([]);
    expect(good.ok).toBe(true);
    expect(good.manifest?.id).toBe(entry.id);
    const files = readZip(zip).map((e) => ({ path: e.path, data: e.read() }));
    const csv = files.find((f) => f.path.startsWith('data/') && f.path.endsWith('.csv'));
    if (!csv) throw new Error('no data/*.csv in the bundle');
    csv.data = Buffer.concat([csv.data, Buffer.from('forged,row\r\n')]);
    const bad = await verify(writeZip(files, FROM));
    expect(bad.ok).toBe(false);
    expect(bad.problems.map((p) => [p.kind, p.file])).toContainEqual(['edited', csv.path]);
  });

  it('refuses a request without an auditor or admin credential', async () => {
    expect((await call('GET', '/api/v1/snapshots')).status).toBe(401);
    const byAgent = await create({ from: iso(FROM), to: iso(TO) }, agent);
    expect(byAgent.status).toBe(403);
    expect(byAgent.json.message).toBe('role "agent" may not call this (needs auditor or admin)');
    expect((await call('GET', `/api/v1/snapshots/${entry.id}`, { credential: agent })).status).toBe(403);
  });

  it.each([
    [{ from: iso(TO), to: iso(FROM) }, `from (`],
    [{ from: '2026-01-01', to: '2026-03-01' }, 'the window is 59 days; at most 40 (snapshots.max_window)'],
    [
      { from: iso(FROM), to: iso(TO), sites: ['nowhere'] },
      'unknown site "nowhere" (known: huyen-a, so-tttt)',
    ],
    [
      { from: 'last month', to: iso(TO) },
      'from: "last month" is not a date (2026-11-01) or an ISO 8601 time with a zone',
    ],
    [{ from: iso(FROM), to: iso(TO), extra: 1 }, 'Unrecognized key'],
  ])('refuses a bad request %j with 400 naming the problem', async (body, message) => {
    const res = await create(body);
    expect(res.status).toBe(400);
    expect(res.json.message).toContain(message);
  });

  it('refuses a verify body that is too large (413), of another type (415) or not a zip (names it)', async () => {
    const big = await call('POST', '/api/v1/snapshots/verify', {
      credential: auditor,
      body: Buffer.alloc(4 * 1024 ** 2 + 1),
    });
    expect(big.status).toBe(413);
    const json = await call('POST', '/api/v1/snapshots/verify', { credential: auditor, json: {} });
    expect(json.status).toBe(415);
    const junk = await verify(Buffer.from('not a zip at all, just text'));
    expect(junk.ok).toBe(false);
    expect(junk.problems[0]?.kind).toBe('not_a_bundle');
  });

  it('after a key rotation signs with the new key, publishes both, and the old snapshot still verifies', async () => {
    const before = (await call('GET', '/.well-known/hatang-snapshot-keys')).json as PublicKeyRecord[];
    expect(before.map((k) => k.key_id)).toEqual([
      JSON.parse(
        readZip(zip)
          .find((e) => e.path === 'manifest.json')
          ?.read()
          .toString() ?? '{}',
      ).key_id,
    ]);
    const { current, retired } = openSnapshotKeys(snapshotsDir).rotate();
    const after = await call('GET', '/.well-known/hatang-snapshot-keys');
    expect(after.status).toBe(200);
    expect(after.json).toEqual([{ ...before[0], retired_at: retired?.retired_at }, current]);
    const made = await create({ from: iso(FROM), to: iso(TO) });
    expect(made.status).toBe(201);
    const second = await call('GET', `/api/v1/snapshots/${made.json.id}`, { credential: auditor });
    expect((await verify(second.bytes)).manifest?.key_id).toBe(current.key_id);
    expect((await verify(zip)).ok).toBe(true);
    const stranger = await verify(foreign);
    expect(stranger.ok).toBe(false);
    expect(stranger.problems.map((p) => p.kind)).toContain('unknown_key');
  });

  it('records every action in the audit log, exported as JSON and CSV to auditors only', async () => {
    const res = await call('GET', `/api/v1/audit-log?from=${iso(Date.now() - HOUR)}`, { credential: admin });
    expect(res.status).toBe(200);
    const actions = res.json.records.map(
      (r: { subject: string; action: string; snapshot_id: string | null }) => [
        r.subject,
        r.action,
        r.snapshot_id,
      ],
    );
    expect(actions).toContainEqual(['kiem-toan-1', 'create', entry.id]);
    expect(actions).toContainEqual(['kiem-toan-1', 'download', entry.id]);
    expect(actions).toContainEqual(['kiem-toan-1', 'verify', entry.id]);
    expect(res.json.records[0]).toMatchObject({ source: '127.0.0.1', role: 'auditor' });
    const csv = await call('GET', '/api/v1/audit-log?format=csv', { credential: auditor });
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(csv.bytes.toString('utf8')).toContain(`,kiem-toan-1,auditor,download,${entry.id},127.0.0.1,api`);
    expect((await call('GET', '/api/v1/audit-log', { credential: agent })).status).toBe(403);
  });

  it('the schedule makes the previous month once, also when it was missed, and audits it', async () => {
    const service = server.deps.snapshots;
    if (!service) throw new Error('server has no snapshot service');
    const now = Date.parse('2026-11-03T10:00:00Z');
    const schedule = startSnapshotSchedule(
      service,
      [{ name: 'monthly', every: 'month', lang: 'vi', sites: [], delay: HOUR }],
      { log: server.deps.log, now: () => now, firstDelayMs: 3_600_000 },
    );
    try {
      await schedule.runOnce();
      await schedule.runOnce();
    } finally {
      schedule.stop();
    }
    const { from, to } = previousMonth(now);
    const made = service.list().filter((e) => e.schedule === 'monthly');
    expect(made).toHaveLength(1);
    expect(made[0]).toMatchObject({
      window: { from: iso(from), to: iso(to) },
      requested_by: 'schedule:monthly',
    });
    const log = await service.auditLog.read({ from: Date.now() - HOUR });
    expect(log.filter((r) => r.action === 'schedule_run').map((r) => r.subject)).toEqual([
      'schedule:monthly',
    ]);
  }, 120_000);
});
