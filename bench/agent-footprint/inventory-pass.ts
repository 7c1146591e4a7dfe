/**
 * bench/agent-footprint/inventory-pass — what one inventory pass costs an agency PC.
 *
 *   node dist/bench/agent-footprint/inventory-pass.js [--runs N] [--capture FILE]
 *   (after `npm run build`)
 *
 * Runs the real inventory collector (systeminformation, a temporary state dir) N times (default 3)
 * and prints for each pass its wall time and the child processes it spawned:
 * - "seen": descendants of this process observed by a separate watcher polling /proc every ~2 ms
 *   (a lower bound: a process living less than a poll interval can be missed);
 * - "forks": the growth of the kernel's system-wide fork counter (/proc/stat `processes`) over the
 *   pass (an upper bound: other programs on the machine fork too).
 * With --capture FILE it also writes this machine's raw and normalised inventory as a test fixture.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { inventoryCollector, normaliseInventory } from '../../agent/collectors/inventory/index.js';
import { systemInformationSource } from '../../agent/collectors/inventory/source.js';
import { fmt } from '../proc.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const RUNS = Math.min(20, Math.max(1, Number(flag('--runs') ?? 3)));
const CAPTURE = flag('--capture');
/** The watcher gives up on its own after this long, whatever happens to us. */
const WATCH_MAX_MS = 120_000;

function forkCounter(): number {
  const m = /^processes (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}

/**
 * A separate process (so that execSync inside systeminformation, which blocks our event loop, does
 * not blind it) that polls /proc and prints every descendant of `root` it saw, as one JSON line per
 * "dump" request on stdin. Bounded by WATCH_MAX_MS.
 */
const watcherSource = `
const fs = require('node:fs');
const root = Number(process.argv[1]); const me = process.pid; const deadline = Date.now() + ${WATCH_MAX_MS};
let seen = new Map();
function poll() {
  const parent = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\\d+$/.test(d)) continue;
    try { const s = fs.readFileSync('/proc/' + d + '/stat', 'utf8'); const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(d), [Number(rest[1]), s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'))]); } catch {}
  }
  for (const [pid, [ppid, comm]] of parent) {
    if (pid === me || seen.has(pid)) continue;
    let p = ppid; for (let i = 0; i < 16 && p > 1; i++) { if (p === root) { seen.set(pid, comm); break; } p = parent.get(p)?.[0] ?? 0; }
  }
}
const timer = setInterval(() => { poll(); if (Date.now() > deadline) process.exit(0); }, 2);
process.stdin.on('data', (b) => { for (const line of b.toString().split('\\n')) {
  if (line === 'reset') seen = new Map();
  if (line === 'dump') { poll(); process.stdout.write(JSON.stringify([...seen.values()]) + '\\n'); }
}});
process.stdin.on('end', () => { clearInterval(timer); process.exit(0); });
`;

async function main(): Promise<void> {
  const watcher = spawn(process.execPath, ['-e', watcherSource, String(process.pid)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let pending: ((line: string) => void) | undefined;
  let buffer = '';
  watcher.stdout.on('data', (b: Buffer) => {
    buffer += b.toString();
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (pending) pending(line);
      else lines.push(line);
    }
  });
  const request = (what: 'reset' | 'dump') => {
    watcher.stdin.write(`${what}\n`);
    if (what === 'reset') return Promise.resolve('');
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('process watcher: no answer within 5 s')), 5_000);
      pending = (line) => {
        clearTimeout(timer);
        pending = undefined;
        resolve(line);
      };
    });
  };

  const stateDir = mkdtempSync(join(tmpdir(), 'ht-inventory-bench-'));
  const log = pino({ level: 'warn' });
  try {
    console.log(`inventory pass on ${hostname()}, ${RUNS} run(s); state dir ${stateDir}`);
    for (let run = 1; run <= RUNS; run++) {
      await request('reset');
      const forksBefore = forkCounter();
      const started = performance.now();
      const points = await inventoryCollector.collect(inventoryCollector.config.parse({}), {
        signal: AbortSignal.timeout(60_000),
        log,
        now: () => Date.now(),
        hostname: hostname(),
        stateDir,
        memory: new Map(),
      });
      const wallMs = performance.now() - started;
      const forks = forkCounter() - forksBefore;
      const seen = JSON.parse(await request('dump')) as string[];
      const byName = new Map<string, number>();
      for (const comm of seen) byName.set(comm, (byName.get(comm) ?? 0) + 1);
      console.log(
        `run ${run}: wall ${fmt(wallMs, 1)} ms, points ${points.length}, child processes seen ${seen.length}` +
          ` (${[...byName].map(([c, n]) => `${c}×${n}`).join(' ')}), system-wide forks ${forks} (upper bound)`,
      );
    }
    if (CAPTURE) {
      const raw = await systemInformationSource({
        signal: AbortSignal.timeout(60_000),
        callTimeoutMs: 20_000,
      });
      // SMART JSON is large and machine-specific noise for a fixture.
      const diskLayout = raw.diskLayout.map(({ smartData: _smartData, ...d }) => d);
      const capturedRaw = { ...raw, diskLayout };
      writeFileSync(
        CAPTURE,
        `${JSON.stringify(
          {
            about:
              'Captured by hatang from a real machine with bench/agent-footprint/inventory-pass.ts --capture ' +
              '(systeminformation output, smartData dropped, and its normalised inventory). Not hand-written.',
            captured_at: new Date().toISOString(),
            raw: capturedRaw,
            inventory: normaliseInventory(capturedRaw),
          },
          null,
          2,
        )}\n`,
      );
      console.log(`captured this machine's inventory into ${CAPTURE}`);
    }
  } finally {
    watcher.stdin.end();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
