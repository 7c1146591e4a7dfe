import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient } from './http.js';
import { hostile } from './test-collector.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function serve(listener: RequestListener): Promise<string> {
  const server = createServer(listener);
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/enroll`;
}

const client = (totalMs = 1_000) => {
  const c = new HttpClient(undefined, { connectMs: 500, totalMs });
  closers.push(async () => c.close());
  return c;
};

describe('HttpClient against a hostile server', () => {
  it('cuts off an endless answer at maxBytes and reports it as oversize, without reading it', async () => {
    const url = await serve((req, res) => hostile.huge(req, res));
    const rssBefore = process.memoryUsage.rss();
    const started = Date.now();
    const res = await client(10_000).postJson(url, {}, { maxBytes: 64 * 1024 });
    expect(res).toMatchObject({ status: 201, body: undefined, oversize: 64 * 1024 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(process.memoryUsage.rss() - rssBefore).toBeLessThan(100 * 1024 ** 2);
  });

  it('refuses an answer whose content-length is over maxBytes before reading any of it', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json', 'content-length': 600 * 1024 ** 2 });
      res.write('{"message":"');
    });
    const res = await client().postJson(url, {}, { maxBytes: 16 * 1024 });
    expect(res).toMatchObject({ status: 400, oversize: 16 * 1024 });
  });

  it('gives up on a server dripping one byte a second at the total deadline', async () => {
    const url = await serve((req, res) => hostile.drip(req, res));
    const started = Date.now();
    await expect(client(1_500).postJson(url, {})).rejects.toThrow(
      `post ${url}: no complete answer within 1500 ms`,
    );
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(1_400);
    expect(took).toBeLessThan(4_000);
  });

  it('gives up on a server that never sends headers', async () => {
    const url = await serve(() => undefined);
    await expect(client(800).postJson(url, {})).rejects.toThrow('no complete answer within 800 ms');
  });

  it('rejects, naming the URL, when the server hangs up mid-answer', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json', 'content-length': 100 });
      res.write('{"agent_id":');
      setTimeout(() => res.socket?.destroy(), 50);
    });
    await expect(client().postJson(url, {})).rejects.toThrow(`post ${url}:`);
  });

  it('stops at once when its signal aborts', async () => {
    const url = await serve((req, res) => hostile.drip(req, res));
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    await expect(client(10_000).postJson(url, {}, { signal: ac.signal })).rejects.toThrow('aborted');
  });

  it('reads a normal JSON answer, and keeps a non-JSON one as text with its content-type', async () => {
    const url = await serve((req, res) =>
      req.headers.authorization === 'Bearer json'
        ? res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":3}')
        : hostile.html(req, res),
    );
    expect(await client().postJson(url, {}, { bearer: 'json' })).toMatchObject({
      status: 202,
      body: { accepted: 3 },
    });
    const html = await client().postJson(url, {});
    expect(html.contentType).toBe('text/html');
    expect(String(html.body)).toContain('<html>');
  });
});
