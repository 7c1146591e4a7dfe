import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { sign, verify } from 'hono/jwt';
import { pino } from 'pino';
import type { Batch, Point } from '../../protocol/index.js';

/**
 * A small collector for the agent's tests: a real HTTP server on 127.0.0.1 that implements the
 * enroll / renew / ingest contract (HS256 credentials with role and exp), and that a test can turn
 * hostile per route — huge, dripping, HTML or malformed answers — to see what the real agent does.
 */

const KEY = 'test-collector-signing-key-0123456789abcdef';

/** How a route answers; a function takes the request over completely. */
export type Behaviour =
  | 'good'
  | 'down'
  | 'unauthorized'
  | ((req: IncomingMessage, res: ServerResponse, body: Buffer) => void);

export interface TestCollectorOptions {
  /** Credential lifetime in seconds (0: no exp claim, no expires_at — an old server). */
  lifetimeS?: number;
  /** Leave role and expires_at out of the enroll/renew answers, as servers before renewal did. */
  oldAnswer?: boolean;
}

export interface TestCollector {
  url: string;
  /** Every point a 2xx acknowledged, in arrival order. */
  points: Point[];
  /** Requests seen per route, including hostile answers. */
  calls: Record<'enroll' | 'renew' | 'ingest', number>;
  /** Credentials issued, in order. */
  issued: string[];
  enroll: Behaviour;
  renew: Behaviour;
  ingest: Behaviour;
  close(): Promise<void>;
}

export async function startTestCollector(opts: TestCollectorOptions = {}): Promise<TestCollector> {
  const lifetimeS = opts.lifetimeS ?? 3600;
  const sockets = new Set<import('node:net').Socket>();
  const issue = async (agentId: string) => {
    const iat = Math.floor(Date.now() / 1000);
    const credential = await sign(
      {
        iss: 'hatang',
        sub: agentId,
        role: 'agent',
        site: 'so-test',
        iat,
        ...(lifetimeS > 0 ? { exp: iat + lifetimeS } : {}),
        jti: Math.random().toString(36).slice(2),
      },
      KEY,
      'HS256',
    );
    tc.issued.push(credential);
    return {
      agent_id: agentId,
      site_id: 'so-test',
      credential,
      ...(opts.oldAnswer
        ? {}
        : {
            role: 'agent',
            ...(lifetimeS > 0 ? { expires_at: new Date((iat + lifetimeS) * 1000).toISOString() } : {}),
          }),
    };
  };
  const authorized = async (req: IncomingMessage) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token) return false;
    try {
      await verify(token, KEY, 'HS256');
      return true;
    } catch {
      return false;
    }
  };
  const json = (res: ServerResponse, status: number, value: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  };
  const route = async (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const path = req.url ?? '';
    const name =
      path === '/api/v1/enroll'
        ? 'enroll'
        : path === '/api/v1/credential/renew'
          ? 'renew'
          : path === '/api/v1/ingest'
            ? 'ingest'
            : undefined;
    if (!name) return json(res, 404, { code: 'not_found', message: `no route ${path}` });
    tc.calls[name]++;
    const behaviour = tc[name];
    if (typeof behaviour === 'function') return behaviour(req, res, body);
    if (behaviour === 'down') return json(res, 503, { code: 'unavailable', message: 'down for the test' });
    if (behaviour === 'unauthorized') return json(res, 401, { code: 'unauthorized', message: 'refused' });
    if (name === 'enroll') {
      const { hostname } = JSON.parse(body.toString('utf8')) as { hostname: string };
      return json(res, 201, await issue(`${hostname}-abc123`));
    }
    if (!(await authorized(req))) return json(res, 401, { code: 'unauthorized', message: 'bad credential' });
    if (name === 'renew') {
      const sub = JSON.parse(
        Buffer.from((req.headers.authorization ?? '').split('.')[1] ?? '', 'base64url').toString(),
      ).sub as string;
      return json(res, 200, await issue(sub));
    }
    const raw = req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
    const batch = JSON.parse(raw.toString('utf8')) as Batch;
    tc.points.push(...batch.points);
    return json(res, 202, { batch_id: batch.batch_id, accepted: batch.points.length });
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      route(req, res, Buffer.concat(chunks)).catch((err) => {
        if (!res.headersSent) json(res, 500, { message: (err as Error).message });
        else res.destroy();
      });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const tc: TestCollector = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    points: [],
    calls: { enroll: 0, renew: 0, ingest: 0 },
    issued: [],
    enroll: 'good',
    renew: 'good',
    ingest: 'good',
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return tc;
}

/** Hostile answers a broken or malicious server could give to the enroll or renew call. */
export const hostile = {
  /** 201 with an endless body, a megabyte at a time, until the client hangs up (bounded at 600 MB). */
  huge: (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(201, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    let sent = 0;
    const more = () => {
      while (sent < 600 && !res.destroyed) {
        sent++;
        if (!res.write(chunk)) return void res.once('drain', more);
      }
      res.end();
    };
    res.write('{"agent_id":"');
    more();
  },
  /** Headers at once, then one byte a second: only a total deadline ends it. */
  drip: (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(201, { 'content-type': 'application/json' });
    const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write(' ')), 1000);
    res.on('close', () => clearInterval(t));
  },
  emptyObject: (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end('{}');
  },
  html: (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(201, { 'content-type': 'text/html' });
    res.end('<html><body><h1>Welcome to nginx!</h1></body></html>');
  },
  /** A credential with CR/LF in it: stored, it would break every later request's header. */
  crlfCredential: (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        agent_id: 'pc-1-abc123',
        site_id: 'so-test',
        credential: 'eyJhbGciOiJIUzI1NiJ9.e30.sig\r\nX-Injected: 1',
      }),
    );
  },
  wrongTypes: (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ agent_id: 42, site_id: null, credential: ['a'], expires_at: 'soon' }));
  },
} satisfies Record<string, Behaviour>;

/** A pino logger whose lines the test can read. */
export function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines };
}
