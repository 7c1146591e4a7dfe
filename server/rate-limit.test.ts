import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd } from '../test/harness/influxd.js';
import { siteTokens, startTestServer, testServerConfig } from '../test/harness/server.js';
import { ApiError } from './errors.js';
import { createWorkGate } from './limits.js';
import { createRateLimiter, sourceKey } from './rate-limit.js';

function refusal(f: () => void): string {
  try {
    f();
  } catch (err) {
    if (err instanceof ApiError)
      return `${err.status} ${err.message} (Retry-After ${err.headers['Retry-After']})`;
    throw err;
  }
  return 'allowed';
}

describe('createRateLimiter', () => {
  it('allows a burst, refuses the next with Retry-After, and refills at its rate', () => {
    let t = 0;
    const limiter = createRateLimiter({ burst: 3, per_minute: 6, now: () => t });
    for (let i = 0; i < 3; i++) expect(refusal(() => limiter.take('a', 'from a'))).toBe('allowed');
    expect(refusal(() => limiter.take('a', 'from a'))).toBe(
      '429 from a: too many, retry in 10 s (Retry-After 10)',
    );
    expect(refusal(() => limiter.take('b', 'from b'))).toBe('allowed');
    t = 10_000;
    expect(refusal(() => limiter.take('a', 'from a'))).toBe('allowed');
    expect(refusal(() => limiter.take('a', 'from a'))).toMatch(/^429/);
  });

  it('remembers at most maxKeys keys however many addresses call', () => {
    let t = 0;
    const limiter = createRateLimiter({ burst: 2, per_minute: 1, maxKeys: 100, now: () => t++ });
    for (let i = 0; i < 10_000; i++) limiter.take(`10.0.${i >> 8}.${i & 255}`, 'x');
    expect(limiter.size).toBeLessThanOrEqual(100);
  });
});

describe('sourceKey', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
  ])('keys %s as %s', (address, key) => {
    expect(sourceKey(address)).toBe(key);
  });
});

describe('createWorkGate', () => {
  it('runs `concurrency` jobs, queues `queue` more and refuses the rest with 503 and Retry-After', async () => {
    const gate = createWorkGate({ concurrency: 1, queue: 1 });
    const releases: (() => void)[] = [];
    const job = () => new Promise<string>((resolve) => releases.push(() => resolve('done')));
    const first = gate.run(job);
    const second = gate.run(job);
    await expect(gate.run(job)).rejects.toMatchObject({
      status: 503,
      code: 'busy',
      headers: { 'Retry-After': '1' },
    });
    expect([gate.running, gate.waiting]).toEqual([1, 1]);
    releases.shift()?.();
    expect(await first).toBe('done');
    await new Promise((r) => setImmediate(r));
    releases.shift()?.();
    expect(await second).toBe('done');
    expect([gate.running, gate.waiting]).toEqual([0, 0]);
  });

  it('refuses to queue past queueBytes however short the queue', async () => {
    const gate = createWorkGate({ concurrency: 1, queue: 100, queueBytes: 1000 });
    let release = () => {};
    const running = gate.run(() => new Promise<void>((resolve) => (release = resolve)), 10_000);
    const queued = gate.run(async () => 'small', 600);
    await expect(gate.run(async () => 'big', 600)).rejects.toMatchObject({ status: 503, code: 'busy' });
    release();
    await running;
    expect(await queued).toBe('small');
  });
});

describe('enrollment rate limits against the real server', () => {
  let influxd: Awaited<ReturnType<typeof startInfluxd>>;
  beforeAll(async () => {
    influxd = await startInfluxd();
  });
  afterAll(async () => {
    await influxd?.dispose();
  });

  async function enroll(url: string, token: string, i: number) {
    const res = await fetch(`${url}/api/v1/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, hostname: `pc-${i}`, machine_id: `machine-id-${i}` }),
    });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
  }

  it('refuses a source past its burst with 429 and Retry-After, counting refused tokens too', async () => {
    const server = await startTestServer(
      testServerConfig(influxd.url, { limits: { enroll_per_source: { burst: 3, per_minute: 1 } } }),
    );
    try {
      expect((await enroll(server.url, 'not-a-real-token-0123456789', 0)).status).toBe(401);
      expect((await enroll(server.url, siteTokens['so-tttt'], 1)).status).toBe(201);
      expect((await enroll(server.url, siteTokens['huyen-a'], 2)).status).toBe(201);
      const refused = await enroll(server.url, siteTokens['so-tttt'], 3);
      expect(refused).toMatchObject({
        status: 429,
        retryAfter: '60',
        body: { code: 'rate_limited', message: 'enrollments from 127.0.0.1: too many, retry in 60 s' },
      });
    } finally {
      await server.dispose();
    }
  });

  it('refuses a site token past its burst from any address, other sites unaffected', async () => {
    const server = await startTestServer(
      testServerConfig(influxd.url, { limits: { enroll_per_token: { burst: 2, per_minute: 2 } } }),
    );
    try {
      expect((await enroll(server.url, siteTokens['so-tttt'], 1)).status).toBe(201);
      expect((await enroll(server.url, siteTokens['so-tttt'], 2)).status).toBe(201);
      expect(await enroll(server.url, siteTokens['so-tttt'], 3)).toMatchObject({
        status: 429,
        retryAfter: '30',
        body: { message: 'enrollments with the agent token of site "so-tttt": too many, retry in 30 s' },
      });
      expect((await enroll(server.url, siteTokens['huyen-a'], 4)).status).toBe(201);
    } finally {
      await server.dispose();
    }
  });

  it('lets a site enroll 200 machines at once from one address with the defaults', async () => {
    const server = await startTestServer(testServerConfig(influxd.url));
    try {
      const statuses = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          enroll(server.url, siteTokens['so-tttt'], i).then((r) => r.status),
        ),
      );
      expect(statuses).toEqual(Array(200).fill(201));
    } finally {
      await server.dispose();
    }
  });
});
