import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AgentStatus } from '../../agent/runtime/state.js';
import { readJson } from '../../agent/runtime/state.js';
import { type HatangProcess, spawnHatang } from '../harness/hatang.js';
import { rows, startInfluxd } from '../harness/influxd.js';
import { freeTcpPort, waitFor } from '../harness/ports.js';
import {
  agentCredential,
  serverProcess as harnessServerProcess,
  siteTokens,
  startTestServer,
  testServerConfig,
} from '../harness/server.js';

let influxd: Awaited<ReturnType<typeof startInfluxd>>;
const cleanup: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  influxd = await startInfluxd();
});
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  await influxd.start(); // every test starts with InfluxDB up, whatever the last one did
});
afterAll(async () => {
  await influxd?.dispose();
});

/** A simulated agent posting numbered host points: field uptime_s carries the sequence number. */
async function simulatedAgent(url: string, name: string) {
  const credential = await agentCredential(`${name}-000000`, 'so-tttt');
  let seq = 0;
  const base = Date.now() - 3_600_000;
  return {
    get sent() {
      return seq;
    },
    async post(points: number): Promise<number> {
      const batch = {
        batch_id: `${name}-${seq}`,
        points: Array.from({ length: points }, () => ({
          measurement: 'host',
          tags: { hostname: name },
          fields: { uptime_s: seq, cpu_load_percent: 1.5 },
          time: base + 1000 * seq++,
        })),
      };
      const res = await fetch(`${url}/api/v1/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
        body: JSON.stringify(batch),
      });
      await res.arrayBuffer();
      return res.status;
    },
  };
}

async function storedSequence(hostname: string): Promise<number[]> {
  const series = await influxd.query(
    `SELECT uptime_s FROM host WHERE hostname = '${hostname}' ORDER BY time ASC`,
  );
  return rows(series[0]).map((r) => Number(r.uptime_s));
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

async function health(url: string) {
  return (await (await fetch(`${url}/healthz`)).json()) as {
    status: string;
    spool: { points: number; replaying: boolean };
  };
}

/**
 * A `hatang server` run as its own process (so a test can kill it) on a free port with its own temp
 * dir; `start()` spawns it (again), each start stopped by PID after the test.
 */
async function serverProcess(extra: { storageExtra?: string; spoolExtra?: string } = {}) {
  const server = await harnessServerProcess(influxd.url, extra);
  cleanup.push(() => rmSync(server.dir, { recursive: true, force: true }));
  const start = (): HatangProcess => {
    const p = server.start();
    cleanup.push(() => void p.stop('SIGKILL'));
    return p;
  };
  return { url: server.url, start };
}

describe('when InfluxDB goes away', () => {
  it('keeps answering 202, spools, and after InfluxDB returns every point is stored once, in order', async () => {
    const server = await startTestServer(testServerConfig(influxd.url));
    cleanup.push(() => server.dispose());
    const agents = await Promise.all(
      ['outage-a', 'outage-b', 'outage-c'].map((n) => simulatedAgent(server.url, n)),
    );
    const round = (batches: number, size: number) =>
      Promise.all(
        agents.map(async (a) => {
          const statuses: number[] = [];
          for (let i = 0; i < batches; i++) statuses.push(await a.post(size));
          return statuses;
        }),
      );

    expect((await round(5, 20)).flat()).toEqual(Array(15).fill(202));
    await influxd.stop();
    expect((await round(20, 50)).flat()).toEqual(Array(60).fill(202));
    const during = await health(server.url);
    expect(during.status).toBe('degraded');
    expect(during.spool.points).toBeGreaterThanOrEqual(3 * 20 * 50);

    await influxd.start();
    expect((await round(5, 20)).flat()).toEqual(Array(15).fill(202));
    await waitFor('the spool to drain', async () => {
      const h = await health(server.url);
      return h.spool.points === 0 && !h.spool.replaying;
    });
    for (const a of agents) expect(a.sent).toBe(5 * 20 + 20 * 50 + 5 * 20);
    for (const name of ['outage-a', 'outage-b', 'outage-c']) {
      expect(await storedSequence(name)).toEqual(range(1200));
    }
  });
});

describe('when InfluxDB hangs', () => {
  it('answers within its ack timeout from the spool, and stores everything once InfluxDB wakes', async () => {
    const server = await startTestServer(testServerConfig(influxd.url, { write: { ack_timeout: '100ms' } }));
    cleanup.push(() => server.dispose());
    cleanup.push(() => influxd.resume());
    const agent = await simulatedAgent(server.url, 'hung-a');
    expect(await agent.post(10)).toBe(202);
    influxd.pause();
    const started = performance.now();
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push(await agent.post(10));
    const perRequest = (performance.now() - started) / 10;
    expect(statuses).toEqual(Array(10).fill(202));
    // Each answer waited at most the ack timeout plus an fsync, never the 3 s write timeout.
    expect(perRequest).toBeLessThan(1_000);
    // At most write.concurrency (2) batches still try the hung InfluxDB (and may land there later);
    // every other one goes straight to the spool.
    expect((await health(server.url)).spool.points).toBeGreaterThanOrEqual(80);
    influxd.resume();
    await waitFor('the spool to drain', async () => {
      const h = await health(server.url);
      return h.spool.points === 0 && !h.spool.replaying;
    });
    expect(await storedSequence('hung-a')).toEqual(range(110));
  });
});

describe('a server killed with a full spool', () => {
  it('loses nothing: the restarted server replays every point it had acknowledged', async () => {
    const { url, start } = await serverProcess({
      storageExtra: 'timeout: 2s',
      spoolExtra: 'segment_bytes: 64KiB',
    });
    await influxd.stop();
    let server: HatangProcess = start();
    await waitFor('the server to listen', () => health(url).then(() => true));
    const agent = await simulatedAgent(url, 'restart-a');
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push(await agent.post(25));
    expect(statuses).toEqual(Array(40).fill(202));
    expect((await health(url)).spool.points).toBe(1000);

    server.child.kill('SIGKILL');
    await server.exited;
    server = start();
    await waitFor('the restarted server to listen', () => health(url).then(() => true));
    expect((await health(url)).spool.points).toBe(1000);

    await influxd.start();
    await waitFor('the spool to drain', async () => (await health(url)).spool.points === 0);
    expect(await storedSequence('restart-a')).toEqual(range(1000));
    expect(await server.stop()).toBe(0);
  });
});

describe('a server stopped with SIGTERM while batches are arriving', () => {
  it('finishes the requests it took: every batch it answered 202 is stored, and it exits 0', async () => {
    const { url, start } = await serverProcess();
    const server = start();
    await waitFor('the server to listen', () => health(url).then(() => true));
    const agents = await Promise.all(Array.from({ length: 20 }, (_, i) => simulatedAgent(url, `drain-${i}`)));
    const posts = agents.map((a) => a.post(500).catch(() => 0));
    // SIGTERM as soon as the first batch is answered, the others still on their way (a fixed wait
    // could fall before any request reached a server slowed by a busy machine).
    const firstAnswered = new Promise<void>((resolve) => {
      for (const p of posts) void p.then((s) => s === 202 && resolve());
    });
    await Promise.race([firstAnswered, Promise.all(posts)]);
    server.child.kill('SIGTERM');
    const statuses = await Promise.all(posts);
    expect(await server.exited).toBe(0);
    const answered = statuses.map((s, i) => [s, `drain-${i}`] as const).filter(([s]) => s === 202);
    expect(answered.length).toBeGreaterThan(0);
    // Whatever the server spooled on its way out is replayed by the next start.
    const again = start();
    await waitFor('the spool to drain', async () => (await health(url)).spool.points === 0);
    for (const [, name] of answered) expect(await storedSequence(name)).toEqual(range(500));
    expect(await again.stop()).toBe(0);
  });
});

describe('an agent whose collector is down', () => {
  it('queues every run on disk and delivers all of it once the collector is back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hatang-agent-down-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const port = await freeTcpPort();
    const stateDir = join(dir, 'state');
    const config = join(dir, 'agent.yaml');
    writeFileSync(
      config,
      `agent: { state_dir: "${stateDir}", hostname: pc-offline }
server:
  urls: ["http://127.0.0.1:${port}"]
  enrollment_token: \${TOKEN}
queue: { send_interval: 300ms, backoff_max: 1s }
health_interval: 1s
collectors:
  - { type: host, interval: 1s }
`,
    );
    const agent = spawnHatang(['agent', '--config', config], { TOKEN: siteTokens['so-tttt'] });
    cleanup.push(() => void agent.stop('SIGKILL'));
    const status = () => readJson<AgentStatus>(join(stateDir, 'status.json'));
    await waitFor(
      'the agent to queue several runs',
      async () => ((await status())?.queue.batches ?? 0) >= 4,
      { timeoutMs: 30_000 },
    );
    const serverUp = Date.now();
    const server = await startTestServer(
      testServerConfig(influxd.url, { listen: { host: '127.0.0.1', port } }),
    );
    cleanup.push(() => server.dispose());
    await waitFor('the queue to empty', async () => (await status())?.queue.batches === 0, {
      timeoutMs: 30_000,
    });
    expect(await agent.stop()).toBe(0);
    expect((await status())?.queue.batches).toBe(0);

    const q = async (sql: string) => rows((await influxd.query(sql))[0]);
    const runs = await q(`SELECT points FROM collector_run WHERE hostname = 'pc-offline'`);
    const produced = runs.reduce((n, r) => n + Number(r.points), 0);
    const hosts = await q(`SELECT uptime_s FROM host WHERE hostname = 'pc-offline'`);
    const disks = await q(`SELECT used_bytes FROM host_disk WHERE hostname = 'pc-offline'`);
    const nics = await q(`SELECT rx_bytes FROM host_net WHERE hostname = 'pc-offline'`);
    expect(hosts.length).toBe(runs.length);
    expect(hosts.length + disks.length + nics.length).toBe(produced);
    // Runs made while nothing listened are there too, not only the later ones.
    expect(Number(hosts[0]?.time)).toBeLessThan(serverUp);
    expect(runs.filter((r) => Number(r.time) < serverUp).length).toBeGreaterThanOrEqual(3);
  });
});
