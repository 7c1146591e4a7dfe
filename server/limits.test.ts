import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendStreaming } from '../test/harness/http.js';
import { rows, startInfluxd } from '../test/harness/influxd.js';
import { waitFor } from '../test/harness/ports.js';
import { agentCredential, startTestServer, testServerConfig } from '../test/harness/server.js';
import { hashToken } from './credentials.js';

let influxd: Awaited<ReturnType<typeof startInfluxd>>;
let server: Awaited<ReturnType<typeof startTestServer>>;
let credential: string;
const metricsToken = 'metrics-token-0123456789abcdef';

beforeAll(async () => {
  influxd = await startInfluxd();
  server = await startTestServer(
    testServerConfig(influxd.url, {
      listen: { host: '127.0.0.1', port: 0, metrics_token_sha256: hashToken(metricsToken) },
    }),
  );
  credential = await agentCredential('pc-limits-000000', 'so-tttt');
});

afterAll(async () => {
  await server?.dispose();
  await influxd?.dispose();
});

const send = (
  path: string,
  headers: Record<string, string | number>,
  chunks: Iterable<Uint8Array | string>,
  method = 'POST',
) => sendStreaming(`${server.url}${path}`, { method, headers, chunks });

function* repeat(chunk: string, times: number) {
  for (let i = 0; i < times; i++) yield chunk;
}

const json = { 'content-type': 'application/json' };

async function ingest(body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/api/v1/ingest`, {
    method: 'POST',
    headers: { ...json, authorization: `Bearer ${credential}`, ...headers },
    body,
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

const pointsBatch = (id: string, n: number, from: number) => ({
  batch_id: id,
  points: Array.from({ length: n }, (_, i) => ({
    measurement: 'host',
    tags: { hostname: id.split('.')[0] ?? id },
    fields: { uptime_s: from + i },
    time: Date.now() - 120_000 + from + i,
  })),
});

async function metricValue(line: string): Promise<number> {
  const text = await (
    await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })
  ).text();
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found ? Number(found.slice(line.length + 1)) : 0;
}

describe('limits before parsing', () => {
  it('refuses a 1,000 MiB enrollment by its Content-Length before reading it', async () => {
    const res = await send(
      '/api/v1/enroll',
      { ...json, 'content-length': 1000 * 1024 ** 2 },
      repeat('x'.repeat(64 * 1024), 16_000),
    );
    expect(res.status).toBe(413);
    expect(JSON.parse(res.text).message).toBe('body: larger than 4096 bytes');
    // Answered long before the body could have been read: at most a few socket buffers went out.
    expect(res.sent).toBeLessThan(64 * 1024 ** 2);
  });

  it('cuts off a chunked enrollment body (no length declared) as soon as it passes 4 KiB', async () => {
    const res = await send(
      '/api/v1/enroll',
      { ...json, 'transfer-encoding': 'chunked' },
      repeat('{"token":"'.padEnd(1024, 'a'), 64 * 1024),
    );
    expect(res.status).toBe(413);
    expect(JSON.parse(res.text).message).toBe('body: larger than 4096 bytes');
    expect(res.sent).toBeLessThan(64 * 1024 ** 2);
  });

  it('refuses an anonymous ingest of any size before reading its body', async () => {
    const res = await send(
      '/api/v1/ingest',
      { ...json, 'content-length': 1000 * 1024 ** 2 },
      repeat('x'.repeat(64 * 1024), 16_000),
    );
    expect(res.status).toBe(401);
  });

  it('refuses a body on a route that takes none', async () => {
    const res = await send('/healthz', { 'content-length': 5 }, ['hello'], 'GET');
    expect(res.status).toBe(413);
    expect(JSON.parse(res.text).message).toBe('GET /healthz takes no body');
  });

  it.each([
    ['text/plain', 'content-type: must be application/json (UTF-8)'],
    ['application/json; charset=latin1', 'content-type: must be application/json (UTF-8)'],
  ])('refuses content-type %s with 415', async (type, message) => {
    const res = await ingest(JSON.stringify(pointsBatch('ct', 1, 0)), { 'content-type': type });
    expect(res.status).toBe(415);
    expect(JSON.parse(res.text).message).toBe(message);
  });

  it('refuses an enrollment nested deeper than its two levels before parsing it', async () => {
    const res = await send('/api/v1/enroll', json, ['{"token":[[[[1]]]]}']);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({
      code: 'json_too_deep',
      message: 'body: JSON nested deeper than 2 levels (at byte 10)',
    });
  });

  it.each([
    ['nested lists', '['.repeat(16 * 1024 ** 2), 400, 'json_too_deep', /nested deeper than 8 levels/],
    [
      'a list of 16 million numbers',
      `{"batch_id":"b","points":[${'0,'.repeat(8 * 1024 ** 2 - 16)}0]}`,
      413,
      'json_too_many_members',
      /more than 10000 members/,
    ],
    [
      'an object of 200,000 keys',
      `{${Array.from({ length: 200_000 }, (_, i) => `"k${i}":0`).join(',')}}`,
      413,
      'json_too_many_members',
      /more than 10000 members/,
    ],
  ])(
    'refuses a gzip body inflating to %s, quickly, by scanning as it inflates',
    async (_w, text, status, code, message) => {
      const raw = gzipSync(text, { level: 9 });
      const res = await ingest(raw, { 'content-encoding': 'gzip' });
      expect(res.status).toBe(status);
      expect(JSON.parse(res.text)).toMatchObject({ code, message: expect.stringMatching(message) });
    },
  );

  it('keeps answering a legitimate agent while eight 16 MB nesting bombs arrive at once', async () => {
    const bomb = gzipSync('['.repeat(16 * 1024 ** 2), { level: 9 });
    expect(bomb.length).toBeLessThan(20 * 1024);
    const legit = await agentCredential('pc-legit-000000', 'so-tttt');
    const legitStatuses: number[] = [];
    const legitRun = (async () => {
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`${server.url}/api/v1/ingest`, {
          method: 'POST',
          headers: { ...json, authorization: `Bearer ${legit}` },
          body: JSON.stringify(pointsBatch(`legit-bombs.${i}`, 10, i * 10)),
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer();
        legitStatuses.push(res.status);
      }
    })();
    const bombs = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const statuses: number[] = [];
        for (let i = 0; i < 3; i++)
          statuses.push((await ingest(bomb, { 'content-encoding': 'gzip' })).status);
        return statuses;
      }),
    );
    await legitRun;
    // Each bomb was refused (400 too deep, or 503 busy when the decode queue was full), never parsed.
    for (const s of bombs.flat()) expect([400, 503]).toContain(s);
    expect(legitStatuses).toEqual(Array(20).fill(202));
    const [series] = await influxd.query(`SELECT count(uptime_s) FROM host WHERE hostname = 'legit-bombs'`);
    expect(rows(series)[0]).toMatchObject({ count: 200 });
  });
});

describe('error bodies', () => {
  it('stay a few KiB whatever keys the request used, listing 20 problems and the total', async () => {
    const key = (i: number) => `k${i}${'x'.repeat(2000)}`;
    const body = `{"batch_id":"echo","points":[{"measurement":"host","tags":{},"fields":{"uptime_s":1},"time":${Date.now()}}],${Array.from({ length: 500 }, (_, i) => `"${key(i)}":1`).join(',')}}`;
    const raw = gzipSync(body, { level: 9 });
    expect(raw.length).toBeLessThan(16 * 1024);
    const res = await ingest(raw, { 'content-encoding': 'gzip' });
    expect(res.status).toBe(400);
    expect(res.text.length).toBeLessThan(8 * 1024);
    const answer = JSON.parse(res.text) as {
      message: string;
      problems: { path: string; message: string }[];
      problems_total: number;
    };
    expect(answer.problems).toHaveLength(20);
    expect(answer.problems_total).toBe(500);
    expect(answer.problems[0]?.path).toBe(`${key(0).slice(0, 119)}…`);
    expect(answer.message).toMatch(/^batch refused: k0x+…: unknown key; .* \(and 495 more\)$/);
  });

  it('count a refused oversized batch once, never by the length it claimed', async () => {
    const rejectedBefore = await metricValue('hatang_points_rejected_total');
    const requestsBefore = await metricValue(
      'hatang_requests_rejected_total{route="/api/v1/ingest",reason="too_many_points"}',
    );
    const batch = pointsBatch('claims', 6000, 0);
    const res = await ingest(gzipSync(JSON.stringify(batch)), { 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect(await metricValue('hatang_points_rejected_total')).toBe(rejectedBefore);
    expect(
      await metricValue('hatang_requests_rejected_total{route="/api/v1/ingest",reason="too_many_points"}'),
    ).toBe(requestsBefore + 1);
  });
});

describe('/metrics and /healthz', () => {
  it('a flood of /healthz costs InfluxDB at most one ping a second', async () => {
    const storage = server.deps.storage;
    const ping = storage.ping.bind(storage);
    let pings = 0;
    storage.ping = (timeoutMs: number) => {
      pings++;
      return ping(timeoutMs);
    };
    try {
      const started = Date.now();
      const statuses = await Promise.all(
        Array.from({ length: 200 }, () => fetch(`${server.url}/healthz`).then((r) => r.status)),
      );
      const seconds = (Date.now() - started) / 1000;
      expect(statuses).toEqual(Array(200).fill(200));
      expect(pings).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
    } finally {
      storage.ping = ping;
    }
  });

  it('/metrics needs the metrics token when one is configured', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const ok = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('hatang_points_accepted_total');
  });

  it('/healthz names the storage only to a caller with the metrics token', async () => {
    const open = (await (await fetch(`${server.url}/healthz`)).json()) as {
      influxdb: Record<string, unknown>;
    };
    expect(open.influxdb).toEqual({ up: true });
    expect(JSON.stringify(open)).not.toContain(influxd.url.replace('http://', ''));
    const detailed = (await (
      await fetch(`${server.url}/healthz`, { headers: { authorization: `Bearer ${metricsToken}` } })
    ).json()) as { influxdb: { target?: string } };
    expect(detailed.influxdb.target).toContain(influxd.url.replace('http://', ''));
  });
});

describe('one credential', () => {
  it('gets at most limits.in_flight_per_credential (16) ingest requests in progress, then 429', async () => {
    const greedy = await agentCredential('pc-greedy-000000', 'so-tttt');
    const { port } = new URL(server.url);
    // 16 requests whose bodies never finish arriving hold their slots.
    const sockets = Array.from({ length: 16 }, () => {
      const socket = connect(Number(port), '127.0.0.1');
      socket.on('error', () => {});
      socket.write(
        `POST /api/v1/ingest HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${greedy}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"batch_id":`,
      );
      return socket;
    });
    try {
      const post = (credential: string) =>
        fetch(`${server.url}/api/v1/ingest`, {
          method: 'POST',
          headers: { ...json, authorization: `Bearer ${credential}` },
          body: JSON.stringify(pointsBatch('greedy', 1, 0)),
        });
      let refused: Response | undefined;
      await waitFor('the 16 slow requests to hold their slots', async () => {
        refused = await post(greedy);
        return refused.status === 429;
      });
      if (!refused) throw new Error('no answer');
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(((await refused.json()) as { message: string }).message).toBe(
        '16 requests of this credential are already in progress',
      );
      // Every other agent is unaffected.
      expect((await post(credential)).status).toBe(202);
    } finally {
      for (const s of sockets) s.destroy();
    }
    await waitFor(
      'the slots to be released',
      async () =>
        (
          await fetch(`${server.url}/api/v1/ingest`, {
            method: 'POST',
            headers: { ...json, authorization: `Bearer ${greedy}` },
            body: JSON.stringify(pointsBatch('greedy', 1, 1)),
          })
        ).status === 202,
    );
  });
});

describe('slow clients', () => {
  it('cuts off a client dripping its body with 408 after limits.request_timeout', async () => {
    const slow = await startTestServer(testServerConfig(influxd.url, { limits: { request_timeout: '1s' } }));
    try {
      const { port } = new URL(slow.url);
      const socket = connect(Number(port), '127.0.0.1');
      let answer = '';
      socket.on('data', (d) => {
        answer += d;
      });
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.on('error', () => {});
      socket.write(
        'POST /api/v1/enroll HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"to',
      );
      // One more byte a second, far slower than the body needs; bounded by the closing or 10 s.
      const drip = setInterval(() => socket.write('k'), 1_000);
      const deadline = setTimeout(() => socket.destroy(), 10_000);
      await closed;
      clearInterval(drip);
      clearTimeout(deadline);
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      await slow.dispose();
    }
  });
});
