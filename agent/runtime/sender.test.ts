import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient } from './http.js';
import { DiskQueue } from './queue.js';
import { Sender } from './sender.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A collector that answers every ingest with `status` and the given headers and JSON body. */
async function collector(status: number, headers: Record<string, string>, body: unknown) {
  let calls = 0;
  const server = createServer((req, res) => {
    calls++;
    req.resume();
    req.on('end', () =>
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body)),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls: () => calls };
}

async function sender(url: string, backoffMaxMs: number) {
  const dir = mkdtempSync(join(tmpdir(), 'hatang-sender-'));
  closers.push(() => rmSync(dir, { recursive: true, force: true }));
  const queue = await DiskQueue.open(dir, 1_000_000);
  await queue.push({
    batch_id: 'b1',
    points: [{ measurement: 'host', tags: { hostname: 'pc' }, fields: { uptime_s: 1 }, time: Date.now() }],
  });
  const http = new HttpClient(undefined, { connectMs: 500, totalMs: 2_000 });
  closers.push(() => http.close());
  const events = { rejected: 0 };
  const s = new Sender({
    queue,
    http,
    urls: [url],
    credential: () => 'a.b.c',
    batchMaxPoints: 100,
    backoffMaxMs,
    log: pino({ level: 'silent' }),
    onRejected: (n) => {
      events.rejected += n;
    },
    onSent: () => {},
    onError: () => {},
    onUnauthorized: () => {},
  });
  return { s, queue, events };
}

describe('Sender', () => {
  it('waits as long as a 429 Retry-After asks, keeping the batch', async () => {
    const c = await collector(429, { 'retry-after': '40' }, { code: 'series_limit', message: 'wait' });
    const { s, queue } = await sender(c.url, 300_000);
    expect(await s.flush()).toBe(false);
    expect(queue.batches).toBe(1);
    expect(s.nextDelay()).toBeGreaterThanOrEqual(40_000);
    // Asked once: the next failure backs off on its own schedule again.
    expect(s.nextDelay()).toBeLessThan(40_000);
  });

  it('never waits longer than queue.backoff_max, whatever the server asks', async () => {
    const c = await collector(429, { 'retry-after': '3600' }, { code: 'series_limit', message: 'wait' });
    const { s } = await sender(c.url, 10_000);
    await s.flush();
    expect(s.nextDelay()).toBeLessThanOrEqual(10_000);
    expect(s.nextDelay()).toBeGreaterThanOrEqual(250);
  });

  it('sets aside a batch refused as forbidden_measurement instead of retrying it forever', async () => {
    const c = await collector(
      403,
      {},
      { code: 'forbidden_measurement', message: 'role "agent" may not write "ping"' },
    );
    const { s, queue, events } = await sender(c.url, 10_000);
    expect(await s.flush()).toBe(true);
    expect(queue.batches).toBe(0);
    expect(events.rejected).toBe(1);
    expect(c.calls()).toBe(1);
  });

  it('keeps a batch refused because the agent is revoked (403 revoked), to deliver once it is not', async () => {
    const c = await collector(403, {}, { code: 'revoked', message: 'agent "pc" is revoked' });
    const { s, queue, events } = await sender(c.url, 10_000);
    expect(await s.flush()).toBe(false);
    expect(queue.batches).toBe(1);
    expect(events.rejected).toBe(0);
  });
});
