/**
 * bench/poller/snmp — the snmp collector against `snmpbulkwalk`, same devices, same parallelism, with
 * a share of slow and dead devices, and everything hatang reads stored through the real server.
 *
 *   node dist/bench/poller/snmp.js            (after `npm run build`; needs snmpsim, snmp, influxdb from setup)
 *
 * DEVICES simulated devices: (100 − BAD_PERCENT) % healthy ones (Debian's recorded Cisco 3750, 59
 * interfaces) served by SIMULATORS snmpsimd processes (`--v2c-arch`, logging off, as in
 * reference/peer-baselines.md); of the rest, half are slow (their own snmpsimd, whose delay variation
 * answers sysDescr after SLOW_MS and blocks that whole process) and half dead (a port nobody listens on).
 * Each round polls every device's ifTable + ifXTable:
 *   - hatang: one scheduler run of the snmp collector (interfaces-only profile, max_concurrent_devices
 *     = PARALLEL, request_timeout 2 s × 2 tries) whose points go to a real server and InfluxDB; the
 *     round then checks every healthy device's snmp_device and interfaces are stored for that run;
 *   - peer:   `snmpbulkwalk -Cr25` of ifTable then ifXTable per healthy device, PARALLEL at once (a
 *     peer tool has no run to cut short: it is given only the devices that answer).
 * Prints healthy devices/s, varbinds read, client CPU and simulator CPU per round (medians over ROUNDS).
 * The work differs: hatang asks for the 16 columns its profile lists (≈ 950 varbinds per device), the
 * peer walks both whole tables (≈ 2,090), so read devices/s next to varbinds/s. On 2 shared cores the
 * simulators, not the clients, are the bottleneck: compare the two side by side only.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Collector } from '../../agent/collector.js';
import { collectors } from '../../agent/collectors/index.js';
import { snmpCollector } from '../../agent/collectors/snmp/index.js';
import { type RunResult, Scheduler } from '../../agent/runtime/scheduler.js';
import { rows, startInfluxd } from '../../test/harness/influxd.js';
import { freeUdpPort } from '../../test/harness/ports.js';
import { agentCredential, startTestServer, testServerConfig } from '../../test/harness/server.js';
import { type Snmpsim, snmpsimExamples, startSnmpsim } from '../../test/harness/snmpsim.js';
import { cpuSeconds, fmt } from '../proc.js';

const DEVICES = Number(process.env.DEVICES ?? 200);
const BAD_PERCENT = Number(process.env.BAD_PERCENT ?? 5);
const PARALLEL = Number(process.env.PARALLEL ?? 16);
const SIMULATORS = Number(process.env.SIMULATORS ?? 4);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SLOW_MS = Number(process.env.SLOW_MS ?? 1500);
const BAD = Math.round((DEVICES * BAD_PERCENT) / 100);
const SLOW = Math.ceil(BAD / 2);
const DEAD = BAD - SLOW;
const HEALTHY = DEVICES - BAD;

const IF_TABLE = '1.3.6.1.2.1.2.2';
const IF_X_TABLE = '1.3.6.1.2.1.31.1.1';

const profile = `description: bench, interfaces only
interfaces:
  descr: 1.3.6.1.2.1.2.2.1.2
  name: 1.3.6.1.2.1.31.1.1.1.1
  alias: 1.3.6.1.2.1.31.1.1.1.18
  admin_status: 1.3.6.1.2.1.2.2.1.7
  oper_status: 1.3.6.1.2.1.2.2.1.8
  speed: 1.3.6.1.2.1.2.2.1.5
  high_speed: 1.3.6.1.2.1.31.1.1.1.15
  in_octets: 1.3.6.1.2.1.2.2.1.10
  out_octets: 1.3.6.1.2.1.2.2.1.16
  hc_in_octets: 1.3.6.1.2.1.31.1.1.1.6
  hc_out_octets: 1.3.6.1.2.1.31.1.1.1.10
  in_errors: 1.3.6.1.2.1.2.2.1.14
  out_errors: 1.3.6.1.2.1.2.2.1.20
  in_discards: 1.3.6.1.2.1.2.2.1.13
  out_discards: 1.3.6.1.2.1.2.2.1.19
  counter_discontinuity_time: 1.3.6.1.2.1.31.1.1.1.19
`;

function walk(port: number, table: string): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(
      'snmpbulkwalk',
      ['-v2c', '-c', 'cisco', '-Cr25', '-On', '-t', '5', '-r', '1', `127.0.0.1:${port}`, table],
      { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout) => (err ? reject(err) : resolve(stdout.split('\n').filter(Boolean).length)),
    );
  });
}

async function peerRound(ports: number[]): Promise<{ seconds: number; oids: number; cpu: number }> {
  const started = performance.now();
  let next = 0;
  let oids = 0;
  const worker = async () => {
    for (let i = next++; i < HEALTHY; i = next++) {
      const port = ports[i % ports.length] as number;
      const a = await walk(port, IF_TABLE);
      const b = await walk(port, IF_X_TABLE);
      oids += a + b;
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { seconds, oids, cpu: childrenCpuSeconds() };
}

/** CPU seconds of this process's waited-for children (cutime + cstime in /proc/self/stat). */
function childrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

interface Bench {
  healthyPorts: number[];
  slowPort: number;
  deadPorts: number[];
  profilesDir: string;
  stateDir: string;
  influxd: Awaited<ReturnType<typeof startInfluxd>>;
  serverUrl: string;
  credential: string;
}

/** The device list: HEALTHY on the healthy simulators, then SLOW on the slow one, then DEAD. */
function benchDevices(b: Bench) {
  const device = (name: string, port: number, credentials: string) => ({
    name,
    address: '127.0.0.1',
    port,
    credentials,
    profile: 'bench-if',
  });
  return [
    ...Array.from({ length: HEALTHY }, (_, i) =>
      device(`sw-${i}`, b.healthyPorts[i % b.healthyPorts.length] as number, 'sim'),
    ),
    ...Array.from({ length: SLOW }, (_, i) => device(`slow-${i}`, b.slowPort, 'slow')),
    ...Array.from({ length: DEAD }, (_, i) => device(`dead-${i}`, b.deadPorts[i] as number, 'sim')),
  ];
}

async function hatangRound(
  scheduler: Scheduler,
  b: Bench,
  delivered: RunResult[],
): Promise<{
  seconds: number;
  oids: number;
  cpu: number;
  stored: number;
  interfaces: number;
  error: string;
  failedHealthy: string[];
}> {
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const [result] = await scheduler.runOnce(new AbortController().signal);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const r = result as RunResult;
  const polls = delivered.at(-1)?.points.filter((p) => p.measurement === 'snmp_poll') ?? [];
  // What InfluxDB holds for this run: every healthy device up, with its interfaces. The server answers
  // once points are spooled and writes them on its own, so poll (bounded) until this run's are there.
  const at = `time = ${r.startedAt}ms`;
  const count = async (q: string) => Number(rows((await b.influxd.query(q))[0])[0]?.count ?? 0);
  const deadline = Date.now() + 60_000;
  let up = 0;
  let ifs = 0;
  for (;;) {
    up = await count(`SELECT count(up) FROM snmp_device WHERE up = true AND ${at} AND device =~ /^sw-/`);
    ifs = await count(`SELECT count(oper_status) FROM snmp_interface WHERE ${at} AND device =~ /^sw-/`);
    if (up >= HEALTHY || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return {
    seconds,
    oids: polls.reduce((a, p) => a + Number(p.fields.oids), 0),
    cpu: (cpu.user + cpu.system) / 1e6,
    stored: up,
    interfaces: ifs,
    error: r.error,
    // A healthy device the poller reported failed (a starved simulator answering too late), named.
    failedHealthy: polls
      .filter((p) => p.fields.success === false && String(p.tags.device).startsWith('sw-'))
      .map((p) => `${p.tags.device}: ${p.fields.error}`),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hatang-bench-snmp-'));
  writeFileSync(join(dir, 'bench-if.yaml'), profile);
  // A slow device: the recorded switch's system group, sysDescr answered after SLOW_MS.
  const slowRecording = join(dir, 'slow.snmprec');
  writeFileSync(
    slowRecording,
    `1.3.6.1.2.1.1.1.0|4:delay|value=slow bench device,wait=${SLOW_MS}\n1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.9.1.516\n1.3.6.1.2.1.1.3.0|67|100\n1.3.6.1.2.1.1.5.0|4|slow\n1.3.6.1.6.3.10.2.1.1.0|4x|800007c703aabbccdd\n`,
  );
  const sims: Snmpsim[] = [];
  const influxd = await startInfluxd();
  const server = await startTestServer(testServerConfig(influxd.url));
  try {
    for (let i = 0; i < SIMULATORS; i++) {
      sims.push(
        await startSnmpsim({ recordings: { cisco: `${snmpsimExamples}/cisco_16_switch.snmprec.gz` } }),
      );
    }
    const slowSim = await startSnmpsim({ recordings: { slow: slowRecording } });
    const deadPorts: number[] = [];
    for (let i = 0; i < DEAD; i++) deadPorts.push(await freeUdpPort());
    const b: Bench = {
      healthyPorts: sims.map((s) => s.port),
      slowPort: slowSim.port,
      deadPorts,
      profilesDir: dir,
      stateDir: join(dir, 'state'),
      influxd,
      serverUrl: server.url,
      credential: await agentCredential('poller-bench', 'so-tttt'),
    };
    sims.push(slowSim);
    const cfg = snmpCollector.config.parse({
      profiles_dir: dir,
      max_concurrent_devices: PARALLEL,
      request_timeout: '2s', // the collector's default
      retries: 1,
      poll_timeout: '60s',
      credentials: {
        sim: { version: '2c', community: 'cisco' },
        slow: { version: '2c', community: 'slow' },
      },
      devices: benchDevices(b),
    });
    const delivered: RunResult[] = [];
    let batch = 0;
    const scheduler = new Scheduler({
      // A generous run timeout: on a loaded machine the simulators, not the poller, set the pace.
      entries: [{ type: 'snmp', name: 'bench', interval: 320_000, timeout: 300_000, ...cfg }],
      registry: collectors as Record<string, Collector>,
      hostname: 'bench',
      stateDir: b.stateDir,
      log: pino({ level: 'error' }, pino.destination(2)),
      async deliver(r) {
        delivered.push(r);
        // 1,000 points a batch, as the agent's queue sends them (the server takes 1 MiB bodies).
        for (let i = 0; i < r.points.length; i += 1000) {
          const res = await fetch(`${b.serverUrl}/api/v1/ingest`, {
            method: 'POST',
            headers: { authorization: `Bearer ${b.credential}`, 'content-type': 'application/json' },
            body: JSON.stringify({ batch_id: `bench-${batch++}`, points: r.points.slice(i, i + 1000) }),
          });
          if (res.status >= 300) throw new Error(`ingest: ${res.status} ${await res.text()}`);
        }
      },
    });
    const ports = b.healthyPorts;
    const simCpu = () => sims.reduce((a, s) => a + cpuSeconds(s.pid), 0);
    console.log(
      `snmp poller bench: ${DEVICES} devices (${HEALTHY} healthy recorded Cisco 3750 on ${SIMULATORS} snmpsimd, ${SLOW} slow answering after ${SLOW_MS} ms on their own snmpsimd, ${DEAD} dead), parallelism ${PARALLEL}, ${ROUNDS} rounds`,
    );
    const rowsOut: Record<
      'hatang' | 'peer',
      { dps: number[]; oids: number[]; cpu: number[]; sim: number[] }
    > = {
      hatang: { dps: [], oids: [], cpu: [], sim: [] },
      peer: { dps: [], oids: [], cpu: [], sim: [] },
    };
    let childCpuBefore = childrenCpuSeconds();
    for (let round = 0; round < ROUNDS; round++) {
      let s0 = simCpu();
      const h = await hatangRound(scheduler, b, delivered);
      rowsOut.hatang.sim.push(simCpu() - s0);
      console.log(
        `  round ${round + 1}: hatang ${fmt(h.seconds, 1)} s, stored ${h.stored}/${HEALTHY} healthy devices and ${h.interfaces} of their interfaces; run: ${h.error || 'ok'}`,
      );
      if (h.stored !== HEALTHY) {
        throw new Error(
          `hatang round ${round}: only ${h.stored}/${HEALTHY} healthy devices stored; failed polls: ${h.failedHealthy.join('; ') || 'none'}`,
        );
      }
      rowsOut.hatang.dps.push(HEALTHY / h.seconds);
      rowsOut.hatang.oids.push(h.oids / HEALTHY);
      rowsOut.hatang.cpu.push(h.cpu);
      s0 = simCpu();
      const p = await peerRound(ports);
      rowsOut.peer.sim.push(simCpu() - s0);
      rowsOut.peer.dps.push(HEALTHY / p.seconds);
      rowsOut.peer.oids.push(p.oids / HEALTHY);
      rowsOut.peer.cpu.push(p.cpu - childCpuBefore);
      childCpuBefore = p.cpu;
    }
    console.log(
      '| client | healthy devices/s (median) | min – max | varbinds/device | varbinds/s | client CPU-s/round | snmpsimd CPU-s/round |',
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const [name, r] of Object.entries(rowsOut)) {
      console.log(
        `| ${name === 'hatang' ? 'hatang snmp collector (all devices, stored via server)' : 'snmpbulkwalk -Cr25 ×2 tables (healthy only)'} | ${fmt(median(r.dps), 1)} | ${fmt(Math.min(...r.dps), 1)} – ${fmt(Math.max(...r.dps), 1)} | ${fmt(median(r.oids))} | ${fmt(median(r.dps) * median(r.oids))} | ${fmt(median(r.cpu), 2)} | ${fmt(median(r.sim), 2)} |`,
      );
    }
  } finally {
    for (const s of sims) await s.stop();
    await server.dispose();
    await influxd.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
