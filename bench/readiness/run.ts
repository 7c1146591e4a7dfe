/**
 * bench/readiness — GET /api/v1/readiness over 30 days of the demo data center's data.
 *
 *   node dist/bench/readiness/run.js      (after `npm run build`; needs influxd from setup.sh)
 *
 * Seeds a fresh influxd with DAYS (30) days of what the poller writes for the demo data center
 * (config/datacenter.demo.yaml) at its cadence (CADENCE_S, 60 s): two UPSes (`ups`), two inlet
 * probes (`environment`), the core switch's INTERFACES (63, as the demo's recorded Cisco has) in
 * `snmp_interface`, `snmp_device` and `snmp_entity`. The points go straight to influxd /write:
 * ingest refuses points older than 7 days. Then an in-process `hatang server` with the demo
 * declaration answers GET /api/v1/readiness RUNS times; prints min / median / max and the answer.
 * A figure, not an assertion: run it on a quiet machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Influxd } from '../../lib/services/influxd.js';
import { freeTcpPort } from '../../lib/services/ports.js';
import { projectRoot } from '../../lib/version.js';
import { serverConfigSchema } from '../../server/config.js';
import { issueCredential } from '../../server/credentials.js';
import { startServer } from '../../server/main.js';
import { fmt, percentile } from '../proc.js';

const DAYS = Number(process.env.DAYS ?? 30);
const CADENCE_S = Number(process.env.CADENCE_S ?? 60);
const INTERFACES = Number(process.env.INTERFACES ?? 63);
const RUNS = Number(process.env.RUNS ?? 10);
const SIGNING_KEY = 'bench-signing-key-0123456789abcdef0123456789';
/** The demo declaration's hatang site: its points carry site_id=demo. */
const SITE = 'demo';

const escTag = (v: string) => v.replace(/[ ,=]/g, '\\$&');

function* lines(now: number): Generator<string> {
  const steps = Math.floor((DAYS * 86_400) / CADENCE_S);
  const ifNames = Array.from({ length: INTERFACES }, (_, i) =>
    i === 0 ? 'Fa3/0/3' : i === 1 ? 'Fa3/0/7' : `Fa3/0/${i + 10}`,
  );
  for (let k = 0; k < steps; k++) {
    const t = (now - (steps - k) * CADENCE_S * 1000) * 1e6;
    const tag = (device: string) => `device=${device},site_id=${SITE},agent_id=poller-bench`;
    for (const [device, w] of [
      ['ups-dc-a', 3000 + (k % 50) * 10],
      ['ups-dc-b', 2900 + (k % 70) * 10],
    ] as const) {
      yield `ups,${tag(device)} battery_status=2i,on_battery=false,minutes_remaining=40i,load_percent=35i,output_power_w=${w}i,output_source=3i ${t}`;
      yield `snmp_device,${tag(device)} up=true ${t}`;
    }
    for (const [sensor, base] of [
      ['Probe 1 - rack A3 inlet', 22],
      ['Probe 2 - rack B1 exhaust', 30],
    ] as const) {
      const temp = base + Math.sin(k / 200) * 3;
      const rh = 45 + Math.cos(k / 300) * 8;
      yield `environment,${tag('env-dc-1')},sensor=${escTag(sensor)},zone=server-room-1 temperature_c=${temp.toFixed(2)},humidity_percent=${rh.toFixed(1)},dew_point_c=${(temp - (100 - rh) / 5).toFixed(2)} ${t}`;
    }
    yield `snmp_device,${tag('core-sw-1')} up=true ${t}`;
    yield `snmp_device,${tag('env-dc-1')} up=true ${t}`;
    for (const [i, name] of ifNames.entries()) {
      yield `snmp_interface,${tag('core-sw-1')},if_index=${i + 1},if_name=${name} oper_up=${i % 3 !== 2},admin_up=true,in_octets=${k * 1000}i ${t}`;
    }
    if (k % 60 === 0) {
      for (const [i, cls] of [
        [1, 'chassis'],
        [2, 'powerSupply'],
        [3, 'powerSupply'],
      ] as const) {
        yield `snmp_entity,${tag('core-sw-1')},ent_index=${i},class=${cls} name="${cls} ${i}" ${t}`;
      }
    }
  }
}

async function seed(influx: Influxd, now: number): Promise<number> {
  let batch: string[] = [];
  let total = 0;
  const send = async () => {
    const res = await fetch(`${influx.url}/write?db=hatang&precision=ns`, {
      method: 'POST',
      body: batch.join('\n'),
    });
    if (res.status !== 204)
      throw new Error(`seed: influxd /write answered ${res.status}: ${await res.text()}`);
    total += batch.length;
    batch = [];
  };
  for (const line of lines(now)) {
    batch.push(line);
    if (batch.length >= 20_000) await send();
  }
  if (batch.length > 0) await send();
  return total;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'hatang-bench-readiness-'));
  const influx = new Influxd({
    dir: join(dir, 'influx'),
    httpPort: await freeTcpPort(),
    rpcPort: await freeTcpPort(),
  });
  await influx.start();
  try {
    await fetch(`${influx.url}/query?q=${encodeURIComponent('CREATE DATABASE hatang')}`, { method: 'POST' });
    const now = Date.now();
    const t0 = performance.now();
    const points = await seed(influx, now);
    const seedS = (performance.now() - t0) / 1000;
    console.log(
      `seeded ${fmt(points)} points (${DAYS} d at ${CADENCE_S} s, ${INTERFACES} interfaces) in ${fmt(seedS, 1)} s`,
    );
    const server = await startServer(
      serverConfigSchema.parse({
        instance: 'bench',
        listen: { host: '127.0.0.1', port: 0 },
        auth: {
          signing_key: SIGNING_KEY,
          sites: [{ id: SITE, name: 'demo', enrollment_token_sha256: 'a'.repeat(64) }],
        },
        storage: { kind: 'influxdb-v1', url: influx.url, database: 'hatang', timeout: '30s' },
        spool: { dir: join(dir, 'spool') },
        readiness: {
          datacenter_file: join(projectRoot(), 'config', 'datacenter.demo.yaml'),
          interval: '1h',
          stale_after: '10m',
        },
      }),
      pino({ level: 'silent' }),
    );
    try {
      const token = issueCredential({ role: 'auditor', subject: 'bench' }, SIGNING_KEY, 3_600_000).credential;
      const times: number[] = [];
      let first = 0;
      let last: { sites: { overall_rating: number; criteria: unknown[] }[] } | undefined;
      for (let i = 0; i < RUNS; i++) {
        const start = performance.now();
        const res = await fetch(`${server.url}/api/v1/readiness`, {
          headers: { authorization: `Bearer ${token}` },
        });
        last = (await res.json()) as typeof last;
        times.push(performance.now() - start);
        if (i === 0) first = times[0] as number;
        if (res.status !== 200) throw new Error(`readiness answered ${res.status}: ${JSON.stringify(last)}`);
      }
      times.sort((a, b) => a - b);
      console.log(
        `GET /api/v1/readiness over ${DAYS} d: ${RUNS} runs, min ${fmt(times[0] ?? 0)} ms, median ${fmt(percentile(times, 50))} ms, max ${fmt(times.at(-1) ?? 0)} ms (first, cold: ${fmt(first)} ms)`,
      );
      // Where the time goes: each evidence query once, timed on its own (after the runs, warm).
      const storage = server.deps.storage;
      const timed: [number, string][] = [];
      const probe = {
        ...storage,
        describe: storage.describe,
        write: storage.write.bind(storage),
        ping: storage.ping.bind(storage),
        prepare: storage.prepare.bind(storage),
        async query(q: string, signal?: AbortSignal) {
          const start = performance.now();
          const out = await storage.query(q, signal);
          timed.push([performance.now() - start, q]);
          return out;
        },
      };
      const { queryEvidence } = await import('../../server/readiness/evidence.js');
      const { loadDatacenter } = await import('../../server/readiness/declaration.js');
      const site = loadDatacenter(join(projectRoot(), 'config', 'datacenter.demo.yaml')).sites[0];
      if (process.env.BREAKDOWN && site) {
        await queryEvidence(probe, { site, now: Date.now() });
        for (const [ms, q] of timed.sort((a, b) => b[0] - a[0]).slice(0, 8))
          console.log(`  ${fmt(ms)} ms  ${q.slice(0, 150)}`);
      }
      console.log(
        `answer: ${last?.sites.length} site, ${last?.sites[0]?.criteria.length} criteria, overall Rated-${last?.sites[0]?.overall_rating}`,
      );
    } finally {
      await server.close();
    }
  } finally {
    await influx.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
