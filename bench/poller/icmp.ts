/**
 * bench/poller/icmp — what the ping collector's sweep costs, against plain fping, in the same run.
 *
 *   node dist/bench/poller/icmp.js [--count N] [--targets N]     (after `npm run build`)
 *
 * Two target sets: the demo registry (config/endpoints.yaml, used only if every address is in
 * 127.0.0.0/8, else 166 loopback addresses 127.1.0.x) and --targets (default 5,000) loopback
 * addresses 127.2.x.y. Each set is swept with --count echoes (default 3) per target, -p 20 ms,
 * -i 1 ms, -t 500 ms:
 * 1. engine: the collector's path (probeChunked → fping engine, chunks of 500, parse, summarize);
 * 2. fping:  one plain `fping -C N -q` over all the targets.
 * It prints wall time, CPU seconds (this process plus its children) and the ratio engine/fping.
 * The -i pacing bounds both: 5,000 × 3 echoes at 1 ms apart take at least 15 s.
 */
import { readFileSync } from 'node:fs';
import type { ProbeOptions } from '../../agent/collectors/ping/engine.js';
import { fpingEngine } from '../../agent/collectors/ping/fping.js';
import { probeChunked } from '../../agent/collectors/ping/index.js';
import { runProcess } from '../../agent/collectors/ping/run-process.js';
import { summarize } from '../../agent/collectors/ping/stats.js';
import { loadEndpoints } from '../../lib/endpoints/index.js';
import { fmt } from '../proc.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const COUNT = Math.min(10, Math.max(1, Number(flag('--count') ?? 3)));
const TARGETS = Math.min(20_000, Math.max(1, Number(flag('--targets') ?? 5_000)));
const FPING = '/usr/bin/fping';
const options: ProbeOptions = { count: COUNT, periodMs: 20, packetIntervalMs: 1, timeoutMs: 500 };

/** CPU seconds of this process and of its children that have been waited for (/proc/self/stat). */
function cpuWithChildren(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  return ((f[11] ?? 0) + (f[12] ?? 0) + (f[13] ?? 0) + (f[14] ?? 0)) / 100;
}

function demoTargets(): { addresses: string[]; from: string } {
  try {
    const addresses = loadEndpoints('config/endpoints.yaml').map((e) => e.address);
    if (addresses.length > 0 && addresses.every((a) => a.startsWith('127.'))) {
      return { addresses, from: 'config/endpoints.yaml' };
    }
  } catch {
    // no registry: use loopback stand-ins
  }
  return {
    addresses: Array.from({ length: 166 }, (_v, i) => `127.1.0.${i + 1}`),
    from: '166 loopback stand-ins',
  };
}

const loopback = (n: number) =>
  Array.from({ length: n }, (_v, i) => `127.2.${Math.floor(i / 250)}.${(i % 250) + 1}`);

interface Run {
  wallS: number;
  cpuS: number;
  up: number;
}

async function measure(work: () => Promise<number>): Promise<Run> {
  const cpu0 = cpuWithChildren();
  const t0 = performance.now();
  const up = await work();
  return { wallS: (performance.now() - t0) / 1000, cpuS: cpuWithChildren() - cpu0, up };
}

async function viaEngine(addresses: string[]): Promise<number> {
  const signal = AbortSignal.timeout(120_000);
  const results = await probeChunked(
    fpingEngine(FPING),
    addresses,
    options,
    { chunkSize: 500, spreadMs: 0 },
    signal,
  );
  let up = 0;
  for (const r of results.values()) if (summarize(r.sent, r.rttsMs, { received: r.received }).up) up++;
  return up;
}

async function viaFping(addresses: string[]): Promise<number> {
  const args = ['-C', String(COUNT), '-q', '-p', '20', '-i', '1', '-t', '500'];
  const r = await runProcess(FPING, args, {
    input: `${addresses.join('\n')}\n`,
    timeoutMs: 120_000,
    signal: AbortSignal.timeout(120_000),
  });
  return r.stderr
    .toString('utf8')
    .split('\n')
    .filter((l) => /\s:\s.*\d/.test(l)).length;
}

const demo = demoTargets();
const sets: [string, string[]][] = [
  [`demo (${demo.from})`, demo.addresses],
  [`${fmt(TARGETS)} loopback`, loopback(TARGETS)],
];
console.log(`ICMP sweep, ${COUNT} echoes per target, -p 20 ms -i 1 ms -t 500 ms`);
console.log('set                                   targets   path    wall s   cpu s   up');
for (const [name, addresses] of sets) {
  const engine = await measure(() => viaEngine(addresses));
  const plain = await measure(() => viaFping(addresses));
  for (const [path, r] of [
    ['engine', engine],
    ['fping', plain],
  ] as const) {
    console.log(
      `${name.padEnd(38)}${fmt(addresses.length).padStart(7)}   ${path.padEnd(6)}${fmt(r.wallS, 2).padStart(8)}${fmt(r.cpuS, 2).padStart(8)}${fmt(r.up).padStart(7)}`,
    );
  }
  console.log(
    `${''.padEnd(38)}ratio engine/fping: wall ${fmt(engine.wallS / plain.wallS, 2)}×, cpu ${fmt(engine.cpuS / Math.max(plain.cpuS, 0.01), 2)}×`,
  );
}
