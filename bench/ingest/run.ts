/**
 * bench/ingest — the collector path against InfluxDB's own /write, in the same run.
 *
 *   node dist/bench/ingest/run.js            (after `npm run build`; needs influxd from setup.sh)
 *
 * 1. direct:     the points, as line protocol, POSTed straight to influxd /write (batches of 5,000,
 *                4 writers) — the ceiling on this machine.
 * 2. saturation: the same number of points through a real `hatang server` process, posted as agents
 *                would (JSON, gzip, bearer credential) by many concurrent simulated agents.
 * 3. agent load: 20,000 agents × 50 points every 60 s ≈ 333 batches/s, open loop for DURATION_S,
 *                with request latency percentiles.
 * 4. recovery:   the same agent load while InfluxDB is stopped for OUTAGE_S (default 60; `--outage 10`
 *                for a quick run) and started again: how long the spool takes to empty once InfluxDB
 *                is back, and the drain's points/s next to direct /write, while the load goes on;
 *                then direct /write once more, for a machine whose load moves. `--recovery-only`
 *                runs phases 1 and 4 alone.
 * Prints points/s for each, the ratio, and the server's RSS and CPU.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Influxd } from '../../lib/services/influxd.js';
import { freeTcpPort, waitFor } from '../../lib/services/ports.js';
import { projectRoot } from '../../lib/version.js';
import { issueCredential } from '../../server/credentials.js';
import { serverProcessYaml } from '../../test/harness/server.js';
import { cpuSeconds, fmt, percentile, rssBytes } from '../proc.js';

const POINTS = Number(process.env.POINTS ?? 400_000);
const AGENT_BATCH = Number(process.env.AGENT_BATCH ?? 500);
const SMALL_BATCH = 50;
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const DURATION_S = Number(process.env.DURATION_S ?? 20);
const RATE = Number(process.env.RATE ?? 20_000 / 60);
/** Seconds InfluxDB is down in the recovery phase: OUTAGE_S=… or `--outage …`; 0 skips the phase. */
const OUTAGE_S = Number(argValue('--outage') ?? process.env.OUTAGE_S ?? 60);
/** `--recovery-only`: direct /write and the recovery phase only (shorter runs to repeat on a busy machine). */
const RECOVERY_ONLY = process.argv.includes('--recovery-only');
const SIGNING_KEY = 'bench-signing-key-0123456789abcdef0123456789';
/** Distinct agents (hence series): the load scenario is a fleet of 20,000. */
const AGENTS = Number(process.env.AGENTS ?? 20_000);
/** The one site of serverProcessYaml. */
const SITE = 'so-tttt';

interface P {
  host: string;
  agent: string;
  time: number;
  fields: {
    cpu_load_percent: number;
    load1: number;
    mem_used_percent: number;
    mem_total_bytes: number;
    mem_used_bytes: number;
    uptime_s: number;
  };
}

/** Realistic host points from AGENTS agents, 6 fields, distinct timestamps so nothing overwrites. */
function makePoints(n: number, offset: number): P[] {
  const base = Date.now() - 24 * 3_600_000;
  return Array.from({ length: n }, (_, i) => {
    const k = i + offset;
    return {
      host: `pc-${k % AGENTS}`,
      agent: `pc-${k % AGENTS}-a1b2c3`,
      time: base + k,
      fields: {
        cpu_load_percent: ((k * 7) % 100) + 0.5,
        load1: (k % 13) / 4,
        mem_used_percent: ((k * 3) % 100) + 0.25,
        mem_total_bytes: 8_589_934_592,
        mem_used_bytes: 4_000_000_000 + k,
        uptime_s: 86_400 + k,
      },
    };
  });
}

function line(p: P, site: string): string {
  const f = p.fields;
  return `host,agent_id=${p.agent},hostname=${p.host},site_id=${site} cpu_load_percent=${f.cpu_load_percent},load1=${f.load1},mem_used_percent=${f.mem_used_percent},mem_total_bytes=${f.mem_total_bytes}i,mem_used_bytes=${f.mem_used_bytes}i,uptime_s=${f.uptime_s}i ${p.time}`;
}

function wire(p: P) {
  return { measurement: 'host', tags: { hostname: p.host }, fields: p.fields, time: p.time };
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function post(url: string, body: Buffer, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-length': String(body.length) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function runPool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i === -1 ? undefined : process.argv[i + 1];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function count(influxd: Influxd, db: string, site: string): Promise<number> {
  const s = await influxd.query(`SELECT count(uptime_s) FROM host WHERE site_id = '${site}'`, db);
  return Number(s[0]?.values[0]?.[1] ?? 0);
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'hatang-bench-ingest-'));
  const influxd = new Influxd({
    dir: join(dir, 'influxdb'),
    httpPort: await freeTcpPort(),
    rpcPort: await freeTcpPort(),
  });
  await influxd.start();
  let server: ReturnType<typeof spawn> | undefined;
  try {
    await fetch(
      `${influxd.url}/query?q=${encodeURIComponent('CREATE DATABASE direct; CREATE DATABASE hatang')}`,
      { method: 'POST' },
    );
    console.log(
      `bench/ingest: ${fmt(POINTS)} points per phase, host measurement (6 fields, 3 tags, ${fmt(AGENTS)} agents)\n`,
    );

    // 1. direct /write
    const direct = makePoints(POINTS, 0);
    const bodies: Buffer[] = [];
    for (let i = 0; i < direct.length; i += 5000)
      bodies.push(
        Buffer.from(
          direct
            .slice(i, i + 5000)
            .map((p) => line(p, 'direct'))
            .join('\n'),
        ),
      );
    /** Posts the direct bodies into a fresh database `db`: points/s and influxd's CPU-s. */
    const directWrite = async (db: string) => {
      await fetch(`${influxd.url}/query?q=${encodeURIComponent(`CREATE DATABASE ${db}`)}`, {
        method: 'POST',
      });
      const pid = influxd.pid as number;
      const cpu0 = cpuSeconds(pid);
      const t0 = performance.now();
      await runPool(bodies, 4, async (b) => {
        const s = await post(`${influxd.url}/write?db=${db}&precision=ms`, b, {
          'content-type': 'text/plain',
        });
        if (s !== 204) throw new Error(`direct write answered ${s}`);
      });
      const secs = (performance.now() - t0) / 1000;
      if ((await count(influxd, db, 'direct')) !== POINTS)
        throw new Error(`direct (${db}): not every point stored`);
      return { secs, rate: POINTS / secs, influxCpu: cpuSeconds(pid) - cpu0 };
    };
    const first = await directWrite('direct');
    const directS = first.secs;
    const directInfluxCpu = first.influxCpu;
    const directRate = first.rate;
    const influxPid = influxd.pid as number;

    // 2. the collector server as a real process
    const port = await freeTcpPort();
    const token = 'bench-enrollment-token-000000';
    const config = join(dir, 'server.yaml');
    writeFileSync(
      config,
      serverProcessYaml({
        port,
        influxUrl: influxd.url,
        spoolDir: join(dir, 'spool'),
        siteToken: token,
        // BENCH_WRITE: the server's `write:` section as YAML flow, e.g. '{ concurrency: 1, linger: 5ms }'.
        // One bench credential sends for the whole simulated fleet: it may have as many requests in
        // flight as the fleet (in the field each agent has its own and sends one at a time), and the
        // new-series allowance still checks every point (its cost is measured) but never refuses.
        extra: `log_level: warn
limits: { in_flight_per_credential: 10000 }
ingest: { new_series_per_site_per_hour: 10000000, new_series_per_agent_per_hour: 10000000 }
${process.env.BENCH_WRITE ? `write: ${process.env.BENCH_WRITE}` : ''}`,
      }),
    );
    // BENCH_SERVER_NODE lets a profiler wrap the server (e.g. a script running node --cpu-prof).
    server = spawn(
      process.env.BENCH_SERVER_NODE ?? process.execPath,
      [join(projectRoot(), 'dist/cli/hatang.js'), 'server', '--config', config],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, SIGNING_KEY },
      },
    );
    const url = `http://127.0.0.1:${port}`;
    await waitFor('hatang server', () => fetch(`${url}/healthz`).then((r) => r.ok));
    const serverPid = server.pid as number;
    const { credential } = issueCredential(
      { role: 'poller', subject: 'bench-agent', siteId: SITE },
      SIGNING_KEY,
      86_400_000,
    );
    const headers = {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
      authorization: `Bearer ${credential}`,
    };
    const rssStart = rssBytes(serverPid);

    const saturate = async (batch: number, offset: number) => {
      const pts = makePoints(POINTS, offset);
      const reqs: Buffer[] = [];
      for (let i = 0; i < pts.length; i += batch) {
        reqs.push(
          gzipSync(
            JSON.stringify({ batch_id: `s${offset}-${i}`, points: pts.slice(i, i + batch).map(wire) }),
          ),
        );
      }
      const before = await count(influxd, 'hatang', SITE);
      const c0 = { server: cpuSeconds(serverPid), influx: cpuSeconds(influxPid) };
      const start = performance.now();
      await runPool(reqs, CONCURRENCY, async (b) => {
        const s = await post(`${url}/api/v1/ingest`, b, headers);
        if (s !== 202) throw new Error(`ingest answered ${s}`);
      });
      const acceptedSecs = (performance.now() - start) / 1000;
      // Slow InfluxDB writes are spooled and replayed: the clock stops when everything is stored.
      await waitFor(
        'the spool to drain',
        async () => {
          const h = (await (await fetch(`${url}/healthz`)).json()) as {
            spool: { points: number; replaying: boolean };
          };
          return h.spool.points === 0 && !h.spool.replaying;
        },
        { timeoutMs: 300_000, everyMs: 20 },
      );
      const secs = (performance.now() - start) / 1000;
      const stored = (await count(influxd, 'hatang', SITE)) - before;
      if (stored !== POINTS) throw new Error(`saturation: ${stored} of ${POINTS} points stored`);
      return {
        rate: POINTS / secs,
        acceptedRate: POINTS / acceptedSecs,
        secs,
        serverCpu: cpuSeconds(serverPid) - c0.server,
        influxCpu: cpuSeconds(influxPid) - c0.influx,
        requests: reqs.length,
      };
    };

    /**
     * Agents posting SMALL_BATCH-point batches at RATE batches/s, open loop (a slow answer does not
     * slow the senders), until `stop()` says so; points never overwrite one another.
     */
    const openLoop = async (offset: number, stop: (elapsedS: number) => boolean) => {
      const perBatch = makePoints(SMALL_BATCH, offset).map(wire);
      const latencies: number[] = [];
      let failures = 0;
      let accepted = 0;
      const refusals = new Map<string, number>();
      const refused = (why: string) => {
        failures++;
        refusals.set(why, (refusals.get(why) ?? 0) + 1);
      };
      const start = performance.now();
      const inflight: Promise<void>[] = [];
      for (let i = 0; !stop((performance.now() - start) / 1000); i++) {
        const due = start + (i * 1000) / RATE;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        const body = gzipSync(
          JSON.stringify({
            batch_id: `l${offset}-${i}`,
            points: perBatch.map((p, j) => ({ ...p, time: p.time + i * 100 + j })),
          }),
        );
        const sent = performance.now();
        inflight.push(
          post(`${url}/api/v1/ingest`, body, headers).then(
            (s) => {
              if (s !== 202) refused(String(s));
              else accepted += SMALL_BATCH;
              latencies.push(performance.now() - sent);
            },
            (err: NodeJS.ErrnoException) => refused(err.code ?? err.message),
          ),
        );
      }
      await Promise.all(inflight);
      latencies.sort((a, b) => a - b);
      const why = [...refusals].map(([k, n]) => `${k}: ${n}`).join(', ');
      return { latencies, failures, why, accepted, secs: (performance.now() - start) / 1000 };
    };

    if (!RECOVERY_ONLY) {
      const big = await saturate(AGENT_BATCH, 10_000_000);
      const small = await saturate(SMALL_BATCH, 20_000_000);

      // 3. open-loop agent load
      const c0 = cpuSeconds(serverPid);
      const load = await openLoop(30_000_000, (s) => s >= DURATION_S);
      const { latencies, failures } = load;
      const loadS = load.secs;
      const loadCpu = cpuSeconds(serverPid) - c0;
      const rssEnd = rssBytes(serverPid);

      console.log('phase                                   points/s   wall s   server CPU-s   influxd CPU-s');
      console.log(
        `direct /write (5,000/POST, 4 writers)  ${fmt(directRate).padStart(9)}  ${fmt(directS, 2).padStart(7)}              -   ${fmt(directInfluxCpu, 1).padStart(13)}`,
      );
      console.log(
        `hatang, ${AGENT_BATCH}-point batches, ${CONCURRENCY} agents ${fmt(big.rate).padStart(9)}  ${fmt(big.secs, 2).padStart(7)}   ${fmt(big.serverCpu, 1).padStart(12)}   ${fmt(big.influxCpu, 1).padStart(13)}`,
      );
      console.log(
        `hatang, ${SMALL_BATCH}-point batches, ${CONCURRENCY} agents  ${fmt(small.rate).padStart(9)}  ${fmt(small.secs, 2).padStart(7)}   ${fmt(small.serverCpu, 1).padStart(12)}   ${fmt(small.influxCpu, 1).padStart(13)}`,
      );
      console.log(
        `(accepted, i.e. answered 202: ${fmt(big.acceptedRate)} and ${fmt(small.acceptedRate)} points/s; the table counts until stored)`,
      );
      console.log(
        `\nratio hatang/direct: ${fmt((big.rate / directRate) * 100, 1)} % with ${AGENT_BATCH}-point batches, ${fmt((small.rate / directRate) * 100, 1)} % with ${SMALL_BATCH}-point batches`,
      );
      console.log(
        `\nagent load: ${fmt(RATE, 1)} batches/s × ${SMALL_BATCH} points (20,000 agents every 60 s) for ${fmt(loadS, 1)} s: ` +
          `${latencies.length} answered, ${failures} failed`,
      );
      console.log(
        `latency ms: p50 ${fmt(percentile(latencies, 50), 1)}  p90 ${fmt(percentile(latencies, 90), 1)}  p99 ${fmt(percentile(latencies, 99), 1)}  max ${fmt(latencies.at(-1) ?? 0, 1)}`,
      );
      console.log(`server CPU under agent load: ${fmt((loadCpu / loadS) * 100, 1)} % of one core`);
      console.log(
        `server RSS: ${fmt(rssStart / 2 ** 20, 1)} MiB at start, ${fmt(rssEnd / 2 ** 20, 1)} MiB at end`,
      );
    } else {
      console.log(
        `direct /write (5,000/POST, 4 writers): ${fmt(directRate)} points/s (--recovery-only: phases 2 and 3 skipped)`,
      );
    }

    // 4. recovery: an InfluxDB outage under the agent load, then the drain
    if (OUTAGE_S > 0) {
      const health = async () =>
        (await (await fetch(`${url}/healthz`)).json()) as { spool: { points: number; replaying: boolean } };
      const counter = async (name: string) => {
        const text = await (await fetch(`${url}/metrics`)).text();
        return Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
      };
      const spooledTotal = () => counter('hatang_points_spooled_total');
      /** The server's own ingest latency histogram (cumulative buckets), to tell it from the client's lag. */
      const serverLatency = async () => {
        const text = await (await fetch(`${url}/metrics`)).text();
        const buckets = [...text.matchAll(/^hatang_ingest_request_seconds_bucket\{le="([^"]+)"\} (\d+)/gm)];
        return buckets.map((m) => ({ le: m[1] as string, n: Number(m[2]) }));
      };
      const quantile = (
        a: { le: string; n: number }[],
        b: { le: string; n: number }[],
        q: number,
      ): string => {
        const total = (b.at(-1)?.n ?? 0) - (a.at(-1)?.n ?? 0);
        const hit = b.find((x, i) => x.n - (a[i]?.n ?? 0) >= q * total);
        return hit ? `≤ ${hit.le} s` : '?';
      };
      const spoolEmpty = async () => {
        const h = await health();
        return h.spool.points === 0 && !h.spool.replaying;
      };
      const before = await count(influxd, 'hatang', SITE);
      let done = false;
      const outage = {
        spooledAtReturn: 0,
        spooledDuringDrain: 0,
        drainS: 0,
        serverLatency: '',
        actualS: 0,
        writtenDuringDrain: 0,
      };
      const driver = (async () => {
        await sleep(2_000);
        const down = performance.now();
        await influxd.stop();
        await sleep(OUTAGE_S * 1000);
        // influxd reads its WAL back at start: on a busy machine that takes a while, and counts as outage.
        await influxd.start(600_000);
        const back = performance.now();
        outage.actualS = (back - down) / 1000;
        const spooled0 = await spooledTotal();
        const latency0 = await serverLatency();
        const written0 = await counter('hatang_points_written_total');
        outage.spooledAtReturn = (await health()).spool.points;
        await waitFor('the spool to empty', spoolEmpty, { timeoutMs: 1_800_000, everyMs: 50 });
        outage.drainS = (performance.now() - back) / 1000;
        outage.spooledDuringDrain = (await spooledTotal()) - spooled0;
        const latency1 = await serverLatency();
        outage.writtenDuringDrain = (await counter('hatang_points_written_total')) - written0;
        outage.serverLatency = `p50 ${quantile(latency0, latency1, 0.5)}, p99 ${quantile(latency0, latency1, 0.99)}`;
      })().then(
        () => {
          done = true;
        },
        (err: unknown) => {
          // Kept until the load stops, then thrown, so the server and influxd are still cleaned up.
          done = true;
          return err;
        },
      );
      const live = await openLoop(40_000_000, (s) => done || s > OUTAGE_S + 1_800);
      const failed = await driver;
      if (failed) throw failed;
      // Batches answered just before the load stopped may sit in the spool a moment longer.
      await waitFor('the spool to empty', spoolEmpty, { timeoutMs: 600_000, everyMs: 50 });
      const stored = (await count(influxd, 'hatang', SITE)) - before;
      // The machine's load moves: direct /write again, right after the drain, into a fresh database
      // as the first time, and the drain set against both.
      const again = await directWrite('direct_after');
      const drained = outage.spooledAtReturn + outage.spooledDuringDrain;
      const drainRate = drained / outage.drainS;
      console.log(
        `\nrecovery: InfluxDB stopped for ${OUTAGE_S} s (${fmt(outage.actualS, 1)} s until it answered again) under the agent load (${fmt(RATE * SMALL_BATCH)} points/s offered)`,
      );
      console.log(
        `spool at InfluxDB's return: ${fmt(outage.spooledAtReturn)} points; ${fmt(outage.spooledDuringDrain)} more spooled while draining`,
      );
      console.log(
        `time to empty the spool: ${fmt(outage.drainS, 1)} s; drain ${fmt(drainRate)} points/s = ${fmt((drainRate / directRate) * 100, 1)} % of direct /write (${fmt(directRate)} points/s)`,
      );
      const written = outage.writtenDuringDrain / outage.drainS;
      console.log(
        `InfluxDB took ${fmt(written)} points/s in all while the spool drained (spool and live) = ${fmt((written / directRate) * 100, 1)} % of direct /write`,
      );
      const both = (directRate + again.rate) / 2;
      console.log(
        `direct /write again after the drain: ${fmt(again.rate)} points/s; drain = ${fmt((drainRate / again.rate) * 100, 1)} % of it, ${fmt((drainRate / both) * 100, 1)} % of the two runs' mean (${fmt(both)})`,
      );
      console.log(
        `live load meanwhile: ${live.latencies.length} answered, ${live.failures} not 202${live.why ? ` (${live.why})` : ''}; latency p50 ${fmt(percentile(live.latencies, 50), 1)} ms, p99 ${fmt(percentile(live.latencies, 99), 1)} ms as the bench's client saw it; the server's own, while draining: ${outage.serverLatency}`,
      );
      console.log(
        `acknowledged ${fmt(live.accepted)} points, stored ${fmt(stored)}${stored === live.accepted ? ' (equal)' : ' (DIFFERENT)'}`,
      );
      if (stored !== live.accepted) process.exitCode = 1;
    }
  } finally {
    server?.kill('SIGTERM');
    await new Promise((r) => (server && server.exitCode === null ? server.once('exit', r) : r(undefined)));
    await influxd.stop();
    agent.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
