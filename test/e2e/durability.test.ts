/**
 * Issue 9, server side: the edges where acknowledged data could be lost or the spool wedged — a full
 * disk under the spool, writes over InfluxDB's body limit, InfluxDB's partial writes, a segment moved
 * aside by hand, SIGTERM with keep-alive clients. Every test counts the points the server
 * acknowledged (202) against the points InfluxDB holds: equal, or the difference is exactly what the
 * server reported as refused (dead letters).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../server/config.js';
import { startServer } from '../../server/main.js';
import { fillDisk, mountTmpfs } from '../harness/disk.js';
import type { HatangProcess } from '../harness/hatang.js';
import { rows, startInfluxd } from '../harness/influxd.js';
import { waitFor } from '../harness/ports.js';
import { agentCredential, serverProcess, testServerConfig } from '../harness/server.js';

let influxd: Awaited<ReturnType<typeof startInfluxd>>;
const cleanup: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  influxd = await startInfluxd();
});
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  await influxd.start();
});
afterAll(async () => {
  await influxd?.dispose();
});

interface Health {
  status: string;
  reasons: string[];
  spool: {
    points: number;
    replaying: boolean;
    full: { reason: string } | null;
    replay: { state: string };
    dead_letters: { points: number; set_aside_points: number; dropped_points: number };
    missing_points: number;
  };
}

async function health(url: string): Promise<{ code: number; body: Health }> {
  const res = await fetch(`${url}/healthz`);
  return { code: res.status, body: (await res.json()) as Health };
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}

const drained = (url: string) =>
  waitFor(
    'the spool to drain',
    async () => {
      const h = (await health(url)).body;
      return h.spool.points === 0 && !h.spool.replaying;
    },
    { timeoutMs: 40_000 },
  );

/** Log lines of an in-process server, to count how often a state is logged. */
function capturedLog() {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
  return { logger, count: (msg: string) => lines.filter((l) => l.includes(`"msg":"${msg}`)).length, lines };
}

/** An in-process server (real influxd behind it) whose log the test reads; disposed after the test. */
async function server(config: ServerConfig) {
  const log = capturedLog();
  const s = await startServer(config, log.logger);
  cleanup.push(async () => {
    await s.close();
    rmSync(config.spool.dir, { recursive: true, force: true });
  });
  return { url: s.url, log };
}

/** Posts batches of numbered points and remembers which were acknowledged. */
async function simulatedAgent(url: string, name: string, point: (seq: number) => Record<string, unknown>) {
  const credential = await agentCredential(`${name}-000000`, 'so-tttt');
  let seq = 0;
  const acked: number[] = [];
  return {
    acked,
    async post(n: number): Promise<number> {
      const first = seq;
      const points = Array.from({ length: n }, () => point(seq++));
      const res = await fetch(`${url}/api/v1/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
        body: JSON.stringify({ batch_id: `${name}-${first}`, points }),
      });
      await res.arrayBuffer();
      if (res.status === 202) for (let i = first; i < seq; i++) acked.push(i);
      return res.status;
    },
  };
}

const base = Date.now() - 3_600_000;
const hostPoint = (host: string) => (seq: number) => ({
  measurement: 'host',
  tags: { hostname: host },
  fields: { uptime_s: seq, cpu_load_percent: 1.5 },
  time: base + seq,
});

async function stored(field: string, measurement: string, host: string, db = 'hatang'): Promise<number[]> {
  const series = await influxd.query(
    `SELECT ${field} FROM ${measurement} WHERE hostname = '${host}' ORDER BY time ASC`,
    db,
  );
  return rows(series[0]).map((r) => Number(r[field]));
}

/** A tmpfs of `size`, unmounted after the test; undefined when mount fails. */
function smallTmpfs(size: string): string | undefined {
  const m = mountTmpfs(size);
  if (m) cleanup.push(() => m.unmount());
  return m?.dir;
}

describe('a spool whose disk fills up', () => {
  it('answers 503 (never 202 for a short write), reports the disk full until space returns, then stores every acknowledged point', async (ctx) => {
    const disk = smallTmpfs('1m');
    if (!disk) {
      ctx.skip('cannot mount a tmpfs (needs root): the full-disk test did not run');
      return;
    }
    const config = testServerConfig(influxd.url);
    rmSync(config.spool.dir, { recursive: true, force: true });
    const { url, log } = await server({ ...config, spool: { ...config.spool, dir: join(disk, 'spool') } });
    const agent = await simulatedAgent(url, 'diskfull-a', hostPoint('diskfull-a'));
    await influxd.stop();
    for (let i = 0; i < 5; i++) expect(await agent.post(50)).toBe(202);

    const filler = fillDisk(disk, 12 * 1024);
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push(await agent.post(50));
    expect(statuses).toContain(503);
    const during = await health(url);
    expect(during.code).toBe(503);
    expect(during.body.status).toBe('unavailable');
    expect(during.body.spool.full?.reason).toBe('disk_full');
    expect(await metric(url, 'hatang_spool_full_total')).toBeGreaterThan(0);
    expect(await metric(url, 'hatang_spool_disk_full')).toBe(1);
    expect(log.count("spool's disk is full")).toBe(1);
    // Each refused batch is counted, not logged: the full disk is one line however long it lasts.
    expect(log.count('request failed')).toBe(0);

    rmSync(filler);
    const after = await health(url);
    expect(after.code).toBe(200);
    expect(after.body.status).toBe('degraded');
    for (let i = 0; i < 5; i++) expect(await agent.post(50)).toBe(202);

    await influxd.start();
    await drained(url);
    // Every acknowledged point is stored; the refused batches are not (the agent keeps those).
    expect(await stored('uptime_s', 'host', 'diskfull-a')).toEqual(agent.acked);
    expect(agent.acked.length).toBeGreaterThanOrEqual(10 * 50);
  });
});

describe('a replayer that cannot write, and a segment moved aside by hand', () => {
  it('shows the stalled replay once in the log and in /healthz and /metrics; a vanished segment is counted as missing once and the rest drains without spinning', async () => {
    const plain = testServerConfig(influxd.url);
    const config = { ...plain, spool: { ...plain.spool, segment_bytes: 8 * 1024 } };
    const { url, log } = await server(config);
    const agent = await simulatedAgent(url, 'aside-a', hostPoint('aside-a'));
    await influxd.stop();
    for (let i = 0; i < 20; i++) expect(await agent.post(20)).toBe(202);
    const segments = readdirSync(config.spool.dir)
      .filter((f) => f.endsWith('.seg'))
      .sort();
    expect(segments.length).toBeGreaterThan(2);
    await waitFor(
      'several failed replay rounds',
      async () => (await metric(url, 'hatang_replay_failures_total')) >= 3,
    );
    const stalled = await health(url);
    expect(stalled.body.spool.replay.state).toBe('stalled');
    expect(stalled.body.reasons.join(' ')).toContain('spool replay makes no progress');
    expect(await metric(url, 'hatang_replay_stalled')).toBe(1);
    expect(log.count('spool replay makes no progress')).toBe(1);
    expect(log.count('influxdb write failed')).toBe(1);
    const aside = mkdtempSync(join(tmpdir(), 'hatang-aside-'));
    cleanup.push(() => rmSync(aside, { recursive: true, force: true }));
    const moved = segments[1] as string;
    execFileSync('mv', [join(config.spool.dir, moved), aside]);

    await influxd.start();
    await drained(url);
    const h = (await health(url)).body;
    const storedSeq = await stored('uptime_s', 'host', 'aside-a');
    expect(storedSeq.length + h.spool.missing_points).toBe(agent.acked.length);
    expect(h.spool.missing_points).toBeGreaterThan(0);
    expect(log.count('spool: a segment vanished')).toBe(1);
    expect(log.count('spool replay progressing again')).toBe(1);
    expect(await metric(url, 'hatang_replay_stalled')).toBe(0);
    expect(log.lines.length).toBeLessThan(40);
  });
});

describe('after an outage', () => {
  it('sends live batches to InfluxDB directly while the spool drains, and stores every acknowledged point', async () => {
    const plain = testServerConfig(influxd.url, { write: { ack_timeout: '5s' } });
    const config = { ...plain, spool: { ...plain.spool, segment_bytes: 16 * 1024 } };
    const { url } = await server(config);
    const agent = await simulatedAgent(url, 'drain-live', hostPoint('drain-live'));
    await influxd.stop();
    for (let i = 0; i < 40; i++) expect(await agent.post(1000)).toBe(202);
    expect((await health(url)).body.spool.points).toBe(40_000);

    await influxd.start();
    await waitFor(
      'the replayer to reach InfluxDB',
      async () => (await metric(url, 'hatang_points_written_total')) > 0,
    );
    const spooled = await metric(url, 'hatang_points_spooled_total');
    for (let i = 0; i < 10; i++) expect(await agent.post(50)).toBe(202);
    // InfluxDB answers: the live batches went to it, not behind the spooled ones still waiting.
    expect((await health(url)).body.spool.points).toBeGreaterThan(0);
    expect(await metric(url, 'hatang_points_spooled_total')).toBe(spooled);
    await drained(url);
    expect(await stored('uptime_s', 'host', 'drain-live')).toEqual(agent.acked);
    expect(agent.acked.length).toBe(40_500);
  });
});

describe('writes over InfluxDB’s body limit', () => {
  it('are split until they fit, and a point too large for InfluxDB is set aside alone', async () => {
    // A second influxd with a 32 KB max-body-size, so a few hundred points pass it.
    const small = await startInfluxd({ maxBodySize: 32_000 });
    cleanup.push(() => small.dispose());
    // write.max_body_bytes stays at its 8 MiB default: above this InfluxDB's limit, so 413s happen.
    const { url, log } = await server(testServerConfig(small.url));
    const inventory = (host: string, big: (seq: number) => boolean) => (seq: number) => ({
      measurement: 'inventory',
      tags: { hostname: host },
      fields: {
        mem_module_count: seq,
        model: big(seq) ? 'm'.repeat(16_000) : `model ${seq}`,
        disks: big(seq) ? 'd'.repeat(16_000) : `disk ${seq}`,
        mem_modules: big(seq) ? 'x'.repeat(16_000) : `dimm ${seq}`,
      },
      time: base + seq,
    });
    const agents = await Promise.all(
      ['big-a', 'big-b', 'big-c'].map((n) =>
        simulatedAgent(
          url,
          n,
          inventory(n, (seq) => n === 'big-b' && seq === 77),
        ),
      ),
    );
    const statuses = await Promise.all(agents.map((a) => a.post(300)));
    expect(statuses).toEqual([202, 202, 202]);
    await drained(url);

    const count = async (host: string) => {
      const series = await small.query(
        `SELECT mem_module_count FROM inventory WHERE hostname = '${host}' ORDER BY time ASC`,
      );
      return rows(series[0]).map((r) => Number(r.mem_module_count));
    };
    expect(await count('big-a')).toEqual(agents[0]?.acked);
    expect(await count('big-c')).toEqual(agents[2]?.acked);
    // The one point over InfluxDB's limit is refused and reported; every other one is stored.
    expect(await count('big-b')).toEqual(agents[1]?.acked.filter((s) => s !== 77));
    const h = (await health(url)).body;
    expect(h.spool.dead_letters.set_aside_points).toBe(1);
    expect(await metric(url, 'hatang_points_refused_total')).toBe(1);
    expect(log.count('influxdb refused a write body as too large')).toBeGreaterThanOrEqual(1);
    expect(log.count('influxdb refused a write body as too large')).toBeLessThanOrEqual(8);
  });
});

describe('InfluxDB’s partial write (points beyond the retention policy)', () => {
  it('keeps only the refused points as dead letters; every point InfluxDB stored is left stored', async () => {
    await influxd.query('CREATE DATABASE rp_short WITH DURATION 1h NAME short', 'rp_short');
    const config = testServerConfig(influxd.url, {
      storage: { kind: 'influxdb-v1', url: influxd.url, database: 'rp_short', timeout: '3s' },
    });
    const { url } = await server(config);
    const now = Date.now();
    // Every 5th point is 2 h old, beyond the 1 h retention policy: InfluxDB drops those, stores the rest.
    const old = (seq: number) => seq % 5 === 3;
    const agent = await simulatedAgent(url, 'rp-a', (seq) => ({
      measurement: 'host',
      tags: { hostname: 'rp-a' },
      fields: { uptime_s: seq },
      time: old(seq) ? now - 2 * 3_600_000 + seq : now - 60_000 + seq,
    }));
    for (let i = 0; i < 4; i++) expect(await agent.post(50)).toBe(202);
    await drained(url);

    const kept = await stored('uptime_s', 'host', 'rp-a', 'rp_short');
    const refused = agent.acked.filter(old);
    expect(kept).toEqual(agent.acked.filter((s) => !old(s)));
    const h = (await health(url)).body;
    expect(h.spool.dead_letters.set_aside_points).toBe(refused.length);
    expect(kept.length + h.spool.dead_letters.set_aside_points).toBe(agent.acked.length);
    expect(await metric(url, 'hatang_points_refused_total')).toBe(refused.length);
    // The dead letters hold exactly the refused points as line protocol, each entry after a
    // `# <InfluxDB's answer>` comment line.
    const deadDir = join(config.spool.dir, 'dead');
    const files = readdirSync(deadDir);
    for (const f of files) expect(f).toMatch(/^\d+-\d+-\d+-\d+p\.lp$/);
    const text = files.map((f) => readFileSync(join(deadDir, f), 'utf8')).join('');
    const whys = text.split('\n').filter((l) => l.startsWith('# '));
    const values = [...text.matchAll(/^host,.* uptime_s=(\d+)i /gm)].map((m) => Number(m[1]));
    expect(values.sort((a, b) => a - b)).toEqual(refused);
    expect(whys.length).toBeGreaterThan(0);
    for (const why of whys) expect(why).toContain('beyond retention policy');
  });
});

describe('refused points among hostile strings (newlines, quotes, backslashes in tags and fields)', () => {
  it('isolates exactly the refused points by splitting line protocol records; the rest is stored byte for byte, and the dead letters post back as they are', async () => {
    await influxd.query('CREATE DATABASE rp_hostile WITH DURATION 1h NAME short', 'rp_hostile');
    const config = testServerConfig(influxd.url, {
      storage: { kind: 'influxdb-v1', url: influxd.url, database: 'rp_hostile', timeout: '3s' },
    });
    // InfluxDB down first, so every batch goes through the spool and its replay.
    await influxd.stop();
    const { url } = await server(config);
    const now = Date.now();
    const old = (seq: number) => seq % 7 === 2;
    const collectors = ['say "hi"', 'a\\,b c', 'Hà Nội 🖥️', '\\n', "x\\'y", '"'];
    const errors = [
      'line one\nline two "quoted" \\',
      '" 1\nhost,hostname=x uptime_s=1i 2',
      '\r\n\t',
      'ends with \\',
      'Lỗi: "máy chủ"\n',
      '',
    ];
    const sent = new Map<number, { collector: string; error: string }>();
    const agent = await simulatedAgent(url, 'hostile-a', (seq) => {
      const collector = collectors[seq % collectors.length] as string;
      const error = errors[(seq * 5) % errors.length] as string;
      sent.set(seq, { collector, error });
      return {
        measurement: 'collector_run',
        tags: { hostname: 'hostile-a', collector },
        fields: { points: seq, duration_ms: 1, success: false, error },
        time: old(seq) ? now - 2 * 3_600_000 + seq : now - 60_000 + seq,
      };
    });
    for (let i = 0; i < 6; i++) expect(await agent.post(40)).toBe(202);
    await influxd.start();
    await drained(url);

    const series = await influxd.query(
      "SELECT points, error, collector FROM collector_run WHERE hostname = 'hostile-a' ORDER BY time ASC",
      'rp_hostile',
    );
    const kept = rows(series[0]).map((r) => ({
      seq: Number(r.points),
      error: r.error,
      collector: r.collector,
    }));
    const refused = agent.acked.filter(old);
    expect(refused.length).toBeGreaterThan(20);
    expect(kept.map((k) => k.seq).sort((a, b) => a - b)).toEqual(agent.acked.filter((s) => !old(s)));
    for (const k of kept) expect({ error: k.error, collector: k.collector }).toEqual(sent.get(k.seq));
    const h = (await health(url)).body;
    expect(h.spool.dead_letters.set_aside_points).toBe(refused.length);

    // The dead letters are line protocol with `#` comment lines: InfluxDB takes them as they are.
    await influxd.query('CREATE DATABASE hostile_dead', 'hostile_dead');
    const deadDir = join(config.spool.dir, 'dead');
    for (const f of readdirSync(deadDir)) {
      const res = await fetch(`${influxd.url}/write?db=hostile_dead&precision=ms`, {
        method: 'POST',
        body: readFileSync(join(deadDir, f)),
      });
      expect(`${res.status} ${await res.text()}`).toBe('204 ');
    }
    const back = await influxd.query(
      'SELECT points, error, collector FROM collector_run ORDER BY time ASC',
      'hostile_dead',
    );
    const reposted = rows(back[0]).map((r) => ({
      seq: Number(r.points),
      error: r.error,
      collector: r.collector,
    }));
    expect(reposted.map((r) => r.seq).sort((a, b) => a - b)).toEqual(refused);
    for (const r of reposted) expect({ error: r.error, collector: r.collector }).toEqual(sent.get(r.seq));
  });
});

describe('a server stopped with SIGTERM while keep-alive clients keep sending', () => {
  it('stops taking new requests at once (503, Retry-After, Connection: close), exits well before its grace period, and stores every batch it acknowledged', async () => {
    const server = await serverProcess(influxd.url, { extra: 'shutdown_grace: 30s' });
    cleanup.push(() => rmSync(server.dir, { recursive: true, force: true }));
    let proc: HatangProcess = server.start();
    cleanup.push(() => void proc.stop('SIGKILL'));
    const { url } = server;
    await waitFor('the server to listen', () => health(url).then(() => true));

    const keepAlive = new Agent({ keepAlive: true, maxSockets: 4 });
    cleanup.push(() => keepAlive.destroy());
    const credential = await agentCredential('keepalive-000000', 'so-tttt');
    let seq = 0;
    const acked: number[] = [];
    const afterTerm: { status: number; retryAfter?: string; connection?: string }[] = [];
    let terminated = false;
    const postOnce = () =>
      new Promise<number>((resolve) => {
        const first = seq;
        const points = Array.from({ length: 50 }, () => hostPoint('keepalive')(seq++));
        const body = JSON.stringify({ batch_id: `ka-${first}`, points });
        const req = request(
          `${url}/api/v1/ingest`,
          {
            method: 'POST',
            agent: keepAlive,
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${credential}`,
              'content-length': Buffer.byteLength(body),
            },
          },
          (res) => {
            res.resume();
            res.on('end', () => {
              const status = res.statusCode ?? 0;
              if (status === 202) for (let i = first; i < first + 50; i++) acked.push(i);
              if (terminated) {
                const retryAfter = res.headers['retry-after'];
                const connection = res.headers.connection;
                afterTerm.push({
                  status,
                  ...(retryAfter ? { retryAfter } : {}),
                  ...(connection ? { connection } : {}),
                });
              }
              resolve(status);
            });
          },
        );
        req.on('error', () => resolve(0));
        req.end(body);
      });
    const clients = Array.from({ length: 4 }, async () => {
      // Bounded: each client stops at its first refusal or connection error, or after 2,000 posts.
      for (let i = 0; i < 2_000; i++) if ((await postOnce()) !== 202 && terminated) return;
    });
    await waitFor('some batches acknowledged', () => acked.length >= 400);
    const termAt = performance.now();
    terminated = true;
    proc.child.kill('SIGTERM');
    await Promise.all(clients);
    const code = await proc.exited;
    const exitMs = performance.now() - termAt;
    expect(code).toBe(0);
    expect(exitMs).toBeLessThan(10_000);
    // Answers after SIGTERM: in-flight ones may still be 202; new ones are 503 and close the connection.
    const refusals = afterTerm.filter((a) => a.status === 503);
    for (const r of refusals) {
      expect(r.retryAfter).toBeDefined();
      expect(r.connection).toBe('close');
    }
    // Only requests already in flight at SIGTERM were still served: not a grace period's worth.
    expect(afterTerm.filter((x) => x.status === 202).length).toBeLessThanOrEqual(12);
    // Whatever it spooled on the way out is replayed by the next start.
    proc = server.start();
    await waitFor('the spool to drain', async () => (await health(url)).body.spool.points === 0);
    expect(await stored('uptime_s', 'host', 'keepalive')).toEqual(acked.sort((a, b) => a - b));
    expect(await proc.stop()).toBe(0);
  });

  it('answers a request that arrives on an open connection after shutdown began with 503, Retry-After and Connection: close', async () => {
    const config = testServerConfig(influxd.url);
    const s = await startServer(config, pino({ level: 'silent' }));
    cleanup.push(() => rmSync(config.spool.dir, { recursive: true, force: true }));
    const socket = connect(Number(new URL(s.url).port), '127.0.0.1');
    cleanup.push(() => void socket.destroy());
    await new Promise((resolve) => socket.once('connect', resolve));
    let answer = '';
    socket.on('data', (d) => {
      answer += d;
    });
    const socketClosed = new Promise((resolve) => socket.once('close', resolve));
    // The request's head is under way when the shutdown begins, and complete only after.
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    // A full request on another connection: once it is answered, the server has read the partial head.
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    const closing = s.close();
    socket.write('\r\n');
    await socketClosed;
    await closing;
    expect(answer).toMatch(/^HTTP\/1\.1 503 /);
    expect(answer).toMatch(/\r\nretry-after: \d+\r\n/i);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    expect(answer).toContain('"code":"shutting_down"');
  });
});
