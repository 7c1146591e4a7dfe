import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Batch } from '../protocol/index.js';
import { rows, startInfluxd } from '../test/harness/influxd.js';
import { waitFor } from '../test/harness/ports.js';
import {
  agentCredential,
  siteTokens,
  startTestServer,
  testAuthInput,
  testServerConfig,
} from '../test/harness/server.js';

let influxd: Awaited<ReturnType<typeof startInfluxd>>;
let server: Awaited<ReturnType<typeof startTestServer>>;
let token: string;
let revokedToken: string;
const revocationFile = join(mkdtempSync(join(tmpdir(), 'hatang-revoked-')), 'revoked.txt');
let t0 = Date.now() - 60_000;

function hostPoint(
  overrides: Partial<{ tags: Record<string, string>; fields: Record<string, unknown> }> = {},
) {
  return {
    measurement: 'host',
    tags: { hostname: 'pc-kt-07', ...overrides.tags },
    fields: { cpu_load_percent: 12.5, uptime_s: 3600, ...overrides.fields },
    time: t0++,
  };
}

async function post(
  body: unknown,
  init: { auth?: string | null; headers?: Record<string, string>; raw?: string | Buffer } = {},
) {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...init.headers };
  const auth = init.auth === undefined ? token : init.auth;
  if (auth) headers.authorization = `Bearer ${auth}`;
  const res = await fetch(`${server.url}/api/v1/ingest`, {
    method: 'POST',
    headers,
    body: init.raw ?? JSON.stringify(body),
  });
  return {
    status: res.status,
    body: (await res.json()) as { code?: string; message?: string; accepted?: number },
  };
}

/**
 * Posts with node:http and takes the answer as soon as it arrives: on an oversized body the server
 * answers 413 and closes the connection while the client is still sending, which fetch reports only
 * as "other side closed".
 */
function postRaw(raw: string, headers: Record<string, string>) {
  return new Promise<{ status: number; body: { code?: string; message?: string } }>((resolve, reject) => {
    const req = request(`${server.url}/api/v1/ingest`, { method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', (err) => {
      if (!['EPIPE', 'ECONNRESET'].includes((err as NodeJS.ErrnoException).code ?? '')) reject(err);
    });
    req.end(raw);
  });
}

const batch = (points: unknown[], id = `b-${t0}`) => ({ batch_id: id, points }) as Batch;

beforeAll(async () => {
  influxd = await startInfluxd();
  writeFileSync(revocationFile, '# lost machines\n');
  server = await startTestServer(
    testServerConfig(influxd.url, {
      auth: testAuthInput({ revoked_agents: ['pc-lost-000000'], revocation_file: revocationFile }),
    }),
  );
  token = await agentCredential('pc-kt-07-abc123', 'so-tttt');
  revokedToken = await agentCredential('pc-lost-000000', 'so-tttt');
});

afterAll(async () => {
  await server?.dispose();
  await influxd?.dispose();
});

describe('POST /api/v1/ingest', () => {
  it('stores a valid batch with agent_id and site_id stamped from the credential', async () => {
    const res = await post(batch([hostPoint(), hostPoint({ fields: { cpu_load_percent: 50 } })]));
    expect(res).toMatchObject({ status: 202, body: { accepted: 2 } });
    const [series] = await influxd.query(
      `SELECT cpu_load_percent, uptime_s, agent_id, site_id FROM host WHERE hostname = 'pc-kt-07'`,
    );
    const got = rows(series);
    expect(got).toHaveLength(2);
    expect(got[0]).toMatchObject({
      cpu_load_percent: 12.5,
      uptime_s: 3600,
      agent_id: 'pc-kt-07-abc123',
      site_id: 'so-tttt',
    });
    expect(got[1]).toMatchObject({ cpu_load_percent: 50 });
    // uptime_s is declared integer: InfluxDB must hold it as one.
    const [types] = await influxd.query('SHOW FIELD KEYS FROM host');
    expect(rows(types)).toContainEqual({ fieldKey: 'uptime_s', fieldType: 'integer' });
  });

  it('accepts a gzip body', async () => {
    const raw = gzipSync(JSON.stringify(batch([hostPoint({ tags: { hostname: 'gz-host' } })])));
    const res = await post(null, { raw, headers: { 'content-encoding': 'gzip' } });
    expect(res.status).toBe(202);
    expect(
      rows((await influxd.query(`SELECT count(uptime_s) FROM host WHERE hostname = 'gz-host'`))[0])[0],
    ).toMatchObject({
      count: 1,
    });
  });

  const cases: [
    string,
    () => Promise<{ status: number; body: { code?: string; message?: string } }>,
    number,
    RegExp,
  ][] = [
    ['no credential', () => post(batch([hostPoint()]), { auth: null }), 401, /Bearer credential is required/],
    [
      'a forged credential',
      () => post(batch([hostPoint()]), { auth: 'x.y.z' }),
      401,
      /credential is not valid/,
    ],
    [
      'an enrollment token instead of a credential',
      () => post(batch([hostPoint()]), { auth: siteTokens['so-tttt'] }),
      401,
      /credential is not valid/,
    ],
    [
      'a revoked agent',
      () => post(batch([hostPoint()]), { auth: revokedToken }),
      403,
      /agent "pc-lost-000000" is revoked/,
    ],
    [
      'malformed JSON',
      () => post(null, { raw: '{"batch_id": "x", "points": [' }),
      400,
      /body: malformed JSON/,
    ],
    [
      'invalid UTF-8',
      () => post(null, { raw: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }),
      400,
      /body: not valid UTF-8/,
    ],
    [
      'NaN written as a bare word',
      () =>
        post(null, {
          raw: '{"batch_id":"n","points":[{"measurement":"host","tags":{},"fields":{"cpu_load_percent":NaN},"time":1700000000000}]}',
        }),
      400,
      /malformed JSON/,
    ],
    [
      'Infinity written as 1e999',
      () =>
        post(null, {
          raw: '{"batch_id":"n","points":[{"measurement":"host","tags":{},"fields":{"cpu_load_percent":1e999},"time":1700000000000}]}',
        }),
      400,
      /points\[0\]\.fields\.cpu_load_percent: must be a finite number/,
    ],
    [
      'an unknown measurement',
      () => post(batch([hostPoint(), { ...hostPoint(), measurement: 'hacked' }])),
      400,
      /points\[1\]\.measurement: unknown measurement "hacked"/,
    ],
    [
      'a wrong field type',
      () => post(batch([hostPoint({ fields: { uptime_s: 'long' } })])),
      400,
      /points\[0\]\.fields\.uptime_s: expected integer, got string "long"/,
    ],
    [
      'a float where an integer is declared',
      () => post(batch([hostPoint({ fields: { uptime_s: 1.5 } })])),
      400,
      /points\[0\]\.fields\.uptime_s: expected integer, got float 1\.5/,
    ],
    [
      'an unknown field',
      () => post(batch([hostPoint({ fields: { bogus: 1 } })])),
      400,
      /points\[0\]\.fields\.bogus: unknown field for host/,
    ],
    [
      'a site_id tag in the body',
      () => post(batch([hostPoint({ tags: { site_id: 'other' } })])),
      400,
      /points\[0\]\.tags\.site_id: is set by the server from the credential/,
    ],
    [
      'too many points',
      () => post(batch(Array.from({ length: 5001 }, () => hostPoint()))),
      413,
      /points: 5001 points in one batch, the limit is 5000/,
    ],
    [
      'an oversized body',
      () =>
        postRaw(`{"batch_id":"big","points":[],"pad":"${'x'.repeat(1024 * 1024 + 10)}"}`, {
          authorization: `Bearer ${token}`,
        }),
      413,
      /body: larger than 1048576 bytes/,
    ],
    [
      'a gzip bomb',
      () =>
        post(null, {
          raw: gzipSync(`{"batch_id":"bomb"${' '.repeat(17 * 1024 * 1024)}}`),
          headers: { 'content-encoding': 'gzip' },
        }),
      413,
      /decompresses to more than/,
    ],
    [
      'a time before 2000',
      () => post(batch([{ ...hostPoint(), time: 1000 }])),
      400,
      /points\[0\]\.time: is before the year 2000/,
    ],
    [
      'a newline in a tag value',
      () => post(batch([hostPoint({ tags: { hostname: 'a\nhost,site_id=other x=1' } })])),
      400,
      /points\[0\]\.tags\.hostname: must not contain control characters/,
    ],
    [
      'a tag value ending in a backslash',
      () => post(batch([hostPoint({ tags: { hostname: 'pc\\' } })])),
      400,
      /points\[0\]\.tags\.hostname: must not end with a backslash/,
    ],
  ];

  for (const [what, send, status, message] of cases) {
    it(`answers ${status} naming the problem for ${what}, and stores nothing of it`, async () => {
      const before = rows((await influxd.query('SELECT count(uptime_s) FROM host'))[0])[0]?.count;
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.body.message).toMatch(message);
      expect(res.body.code).toBeTruthy();
      const after = rows((await influxd.query('SELECT count(uptime_s) FROM host'))[0])[0]?.count;
      expect(after).toBe(before);
    });
  }

  it('refuses an agent added to the revocation file while the server runs', async () => {
    const stolen = await agentCredential('pc-stolen-111111', 'huyen-a');
    expect((await post(batch([hostPoint()]), { auth: stolen })).status).toBe(202);
    writeFileSync(revocationFile, '# lost machines\npc-stolen-111111  # reported 2026-11-20\n');
    await waitFor(
      'the revocation file to be re-read',
      async () => (await post(batch([hostPoint()]), { auth: stolen })).status === 403,
      {
        timeoutMs: 10_000,
        everyMs: 200,
      },
    );
    expect((await post(batch([hostPoint()]), { auth: stolen })).body.message).toBe(
      'agent "pc-stolen-111111" is revoked',
    );
    expect((await post(batch([hostPoint()]))).status).toBe(202);
  });

  it('stores line-protocol injection attempts literally and never as a tag or point of their own', async () => {
    const nasty = ['a,site_id=other x=1', 'q"uote', 'back\\slash', 'sp ace=eq', "it's"];
    const points = nasty.map((hostname, i) => ({
      measurement: 'collector_run',
      tags: { hostname, collector: `c${i}` },
      fields: {
        success: true,
        duration_ms: 1,
        points: 1,
        error: `${hostname}\n\ninjected x=1 1\ttab "q" \\`,
      },
      time: t0++,
    }));
    const res = await post(batch(points));
    expect(res.status).toBe(202);
    const got = rows(
      (await influxd.query('SELECT hostname, site_id, agent_id, "error" FROM collector_run'))[0],
    );
    expect(got.map((r) => r.hostname).sort()).toEqual([...nasty].sort());
    for (const r of got) {
      expect(r.site_id).toBe('so-tttt');
      expect(r.error).toBe(`${r.hostname}\n\ninjected x=1 1\ttab "q" \\`);
    }
    expect(rows((await influxd.query('SHOW MEASUREMENTS'))[0]).map((r) => r.name)).not.toContain('injected');
    expect(rows((await influxd.query('SHOW TAG VALUES FROM collector_run WITH KEY = site_id'))[0])).toEqual([
      { key: 'site_id', value: 'so-tttt' },
    ]);
  });
});
