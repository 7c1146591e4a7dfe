/**
 * bench/poller/snmp — the snmp collector against `snmpbulkwalk`, same devices, same parallelism, same run.
 *
 *   node dist/bench/poller/snmp.js            (after `npm run build`; needs snmpsim and snmp from setup)
 *
 * DEVICES simulated devices (Debian's recorded Cisco 3750, 59 interfaces) are served by SIMULATORS
 * snmpsimd processes (`--v2c-arch`, logging off, as in reference/peer-baselines.md). Each round polls
 * every device's ifTable + ifXTable:
 *   - hatang: one collect() with an interfaces-only profile, max_concurrent_devices = PARALLEL;
 *   - peer:   `snmpbulkwalk -Cr25` of ifTable then ifXTable per device, PARALLEL devices at once.
 * Prints devices/s, varbinds read, client CPU and simulator CPU per round (medians over ROUNDS).
 * The work differs: hatang asks for the 16 columns its profile lists (≈ 950 varbinds per device), the
 * peer walks both whole tables (≈ 2,090), so read devices/s next to varbinds/s.
 * The simulator, not the client, is the bottleneck on 2 cores: compare the two side by side only.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { snmpCollector } from '../../agent/collectors/snmp/index.js';
import { type Snmpsim, snmpsimExamples, startSnmpsim } from '../../test/harness/snmpsim.js';
import { cpuSeconds, fmt } from '../proc.js';

const DEVICES = Number(process.env.DEVICES ?? 40);
const PARALLEL = Number(process.env.PARALLEL ?? 10);
const SIMULATORS = Number(process.env.SIMULATORS ?? 2);
const ROUNDS = Number(process.env.ROUNDS ?? 3);

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
    for (let i = next++; i < DEVICES; i = next++) {
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

async function hatangRound(
  ports: number[],
  profilesDir: string,
  memory: Map<string, unknown>,
): Promise<{ seconds: number; oids: number; cpu: number; ok: number }> {
  const cfg = snmpCollector.config.parse({
    profiles_dir: profilesDir,
    max_concurrent_devices: PARALLEL,
    request_timeout: '5s',
    retries: 1,
    poll_timeout: '60s',
    credentials: { sim: { version: '2c', community: 'cisco' } },
    devices: Array.from({ length: DEVICES }, (_, i) => ({
      name: `sw-${i}`,
      address: '127.0.0.1',
      port: ports[i % ports.length],
      credentials: 'sim',
      profile: 'bench-if',
    })),
  });
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const points = await snmpCollector.collect(cfg, {
    signal: AbortSignal.timeout(600_000),
    log: pino({ level: 'silent' }),
    now: () => Date.now(),
    hostname: 'bench',
    stateDir: tmpdir(),
    memory,
  });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const polls = points.filter((p) => p.measurement === 'snmp_poll');
  return {
    seconds,
    oids: polls.reduce((a, p) => a + Number(p.fields.oids), 0),
    cpu: (cpu.user + cpu.system) / 1e6,
    ok: polls.filter((p) => p.fields.success === true).length,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hatang-bench-snmp-'));
  writeFileSync(join(dir, 'bench-if.yaml'), profile);
  const sims: Snmpsim[] = [];
  try {
    for (let i = 0; i < SIMULATORS; i++) {
      sims.push(
        await startSnmpsim({ recordings: { cisco: `${snmpsimExamples}/cisco_16_switch.snmprec.gz` } }),
      );
    }
    const ports = sims.map((s) => s.port);
    const simCpu = () => sims.reduce((a, s) => a + cpuSeconds(s.pid), 0);
    console.log(
      `snmp poller bench: ${DEVICES} devices (recorded Cisco 3750) on ${SIMULATORS} snmpsimd, parallelism ${PARALLEL}, ${ROUNDS} rounds`,
    );
    const memory = new Map<string, unknown>();
    const rows: Record<'hatang' | 'peer', { dps: number[]; oids: number[]; cpu: number[]; sim: number[] }> = {
      hatang: { dps: [], oids: [], cpu: [], sim: [] },
      peer: { dps: [], oids: [], cpu: [], sim: [] },
    };
    let childCpuBefore = childrenCpuSeconds();
    for (let round = 0; round < ROUNDS; round++) {
      let s0 = simCpu();
      const h = await hatangRound(ports, dir, memory);
      rows.hatang.sim.push(simCpu() - s0);
      if (h.ok !== DEVICES) throw new Error(`hatang round ${round}: only ${h.ok}/${DEVICES} polls succeeded`);
      rows.hatang.dps.push(DEVICES / h.seconds);
      rows.hatang.oids.push(h.oids / DEVICES);
      rows.hatang.cpu.push(h.cpu);
      s0 = simCpu();
      const p = await peerRound(ports);
      rows.peer.sim.push(simCpu() - s0);
      rows.peer.dps.push(DEVICES / p.seconds);
      rows.peer.oids.push(p.oids / DEVICES);
      rows.peer.cpu.push(p.cpu - childCpuBefore);
      childCpuBefore = p.cpu;
    }
    console.log(
      '| client | devices/s (median) | min – max | varbinds/device | varbinds/s | client CPU-s/round | snmpsimd CPU-s/round |',
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const [name, r] of Object.entries(rows)) {
      console.log(
        `| ${name === 'hatang' ? 'hatang snmp collector' : 'snmpbulkwalk -Cr25 ×2 tables'} | ${fmt(median(r.dps), 1)} | ${fmt(Math.min(...r.dps), 1)} – ${fmt(Math.max(...r.dps), 1)} | ${fmt(median(r.oids))} | ${fmt(median(r.dps) * median(r.oids))} | ${fmt(median(r.cpu), 2)} | ${fmt(median(r.sim), 2)} |`,
      );
    }
  } finally {
    for (const s of sims) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
