/**
 * bench/agent-footprint — what the hatang agent costs an agency PC, beside node_exporter.
 *
 *   node dist/bench/agent-footprint/run.js          (after `npm run build`; DURATION_S=120 by default)
 *   AGENT_NODE_ARGS="--max-semi-space-size=1" node dist/bench/agent-footprint/run.js   (node flags for the
 *     agent: the packaged runtime and bundle run with these instead of the launcher's own flags)
 *   AGENT=checkout node dist/bench/agent-footprint/run.js   (node dist/cli/hatang.js instead of the package)
 *
 * By default the agent measured is the packaged one (agent/package/: the Linux single executable
 * built from the bundle, as the .deb installs it); the sizes of the .deb, the executable, the
 * Windows hatang-agent.exe and the MSI are printed too.
 *
 * Starts a real InfluxDB and `hatang server`, then a real `hatang agent` running the agency-PC
 * collectors registered in agent/collectors/index.ts at their default intervals (host, inventory,
 * antivirus, connectivity to 127.0.0.1 and 127.0.0.2), and side by side
 * `prometheus-node-exporter`, scraped by this script at the agent's host interval (node_exporter is
 * pull-based: it works only when scraped). Once the agent has enrolled, run every collector once and
 * sent everything, it samples both processes for DURATION_S and prints:
 * - RSS at that start and in steady state (median of the second half of the window), in MiB;
 * - CPU: seconds per hour extrapolated from the window and % of one core, for both, counting the
 *   processes each one spawned and waited for (fping, dmidecode…), and hatang/node_exporter ratios;
 * - the agent's start-up CPU (node boot, enrollment, first pass of every collector);
 * then one inventory pass (bench/agent-footprint/inventory-pass.js: wall time, child processes).
 * The 15-minute collectors (inventory, antivirus) run at start, not inside a short window: the
 * hourly figure "with 4 passes" adds four times the start-up CPU, an upper bound.
 *
 * Network: everything on 127.0.0.0/8 (the connectivity collector's gateway probe and DNS are off).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { collectors } from '../../agent/collectors/index.js';
import { buildAgentPackages } from '../../agent/package/build.js';
import type { AgentStatus } from '../../agent/runtime/state.js';
import { Influxd } from '../../lib/influxd.js';
import { parseDuration } from '../../lib/units.js';
import { projectRoot } from '../../lib/version.js';
import { freeTcpPort, waitFor } from '../../test/harness/ports.js';
import { serverProcessYaml } from '../../test/harness/server.js';
import { fmt, rssBytes } from '../proc.js';

const DURATION_S = Math.max(10, Math.min(3_600, Number(process.env.DURATION_S ?? 120)));
/** Extra node flags for the agent, to try memory settings: AGENT_NODE_ARGS="--max-semi-space-size=1". */
const AGENT_NODE_ARGS = (process.env.AGENT_NODE_ARGS ?? '').split(' ').filter(Boolean);
const NODE_EXPORTER = process.env.NODE_EXPORTER ?? '/usr/bin/prometheus-node-exporter';
const SIGNING_KEY = 'bench-signing-key-0123456789abcdef0123456789';
const TOKEN = 'bench-enrollment-token-000000';
const CLK_TCK = 100; // Linux USER_HZ (see bench/proc.ts)
const MiB = 2 ** 20;
/** `packaged` (default): the single executable of agent/package/; `checkout`: node dist/cli/hatang.js. */
const AGENT = process.env.AGENT === 'checkout' ? 'checkout' : 'packaged';
const targets = { rssMiB: 50, cpuPercent: 0.5, inventoryMs: 3_000 };

/** CPU seconds of a process and of the children it has waited for (utime+stime+cutime+cstime). */
function cpuWithChildren(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLK_TCK;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[Math.floor(s.length / 2)] as number);
}

/** The agent's collectors for an agency PC: whichever of these are registered, default intervals. */
function agentCollectors(): Record<string, unknown>[] {
  const wanted: Record<string, Record<string, unknown>> = {
    host: {},
    inventory: {},
    antivirus: {},
    connectivity: {
      gateway: 'off',
      datacenter: '127.0.0.1',
      targets: [{ id: 'loopback2', address: '127.0.0.2' }],
    },
  };
  return Object.entries(wanted)
    .filter(([type]) => type in collectors)
    .map(([type, cfg]) => ({ type, ...cfg }));
}

/** Stops a child we started: SIGTERM, SIGKILL after 15 s. */
async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(killer);
}

function alive(child: ChildProcess, what: string, tail: () => string): void {
  if (child.exitCode !== null || child.signalCode !== null) {
    throw new Error(`${what} exited with ${child.signalCode ?? child.exitCode}: ${tail().slice(-800)}`);
  }
}

async function main(): Promise<void> {
  const cli = join(projectRoot(), 'dist', 'cli', 'hatang.js');
  if (!existsSync(cli)) throw new Error(`${cli} missing: run \`npm run build\` first`);
  if (!existsSync(NODE_EXPORTER))
    throw new Error(`${NODE_EXPORTER} missing: apt-get install prometheus-node-exporter`);
  const dir = mkdtempSync(join(tmpdir(), 'ht-bench-footprint-'));
  const influxd = new Influxd({
    dir: join(dir, 'influxdb'),
    httpPort: await freeTcpPort(),
    rpcPort: await freeTcpPort(),
  });
  let server: ChildProcess | undefined;
  let agent: ChildProcess | undefined;
  let exporter: ChildProcess | undefined;
  try {
    await influxd.start();
    await fetch(`${influxd.url}/query?q=${encodeURIComponent('CREATE DATABASE hatang')}`, { method: 'POST' });

    const port = await freeTcpPort();
    const serverConfig = join(dir, 'server.yaml');
    writeFileSync(
      serverConfig,
      serverProcessYaml({
        port,
        influxUrl: influxd.url,
        spoolDir: join(dir, 'spool'),
        siteToken: TOKEN,
        extra: 'log_level: warn',
      }),
    );
    server = spawn(process.execPath, [cli, 'server', '--config', serverConfig], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, SIGNING_KEY },
    });
    const serverUrl = `http://127.0.0.1:${port}`;
    await waitFor('hatang server', () => fetch(`${serverUrl}/healthz`).then((r) => r.ok));

    const entries = agentCollectors();
    const hostInterval = parseDuration(collectors.host.defaultInterval);
    const stateDir = join(dir, 'agent-state');
    const agentConfig = join(dir, 'agent.yaml');
    writeFileSync(
      agentConfig,
      JSON.stringify({
        agent: { state_dir: stateDir, log_level: 'warn' },
        server: { urls: [serverUrl], enrollment_token: TOKEN },
        collectors: entries,
      }),
    );

    const exporterPort = await freeTcpPort();
    let exporterLog = '';
    exporter = spawn(NODE_EXPORTER, [`--web.listen-address=127.0.0.1:${exporterPort}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    exporter.stderr?.on('data', (d: Buffer) => {
      exporterLog = (exporterLog + d.toString()).slice(-4_000);
    });
    const metricsUrl = `http://127.0.0.1:${exporterPort}/metrics`;
    const scrape = async () => {
      const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(10_000) });
      const body = await res.text();
      if (!res.ok) throw new Error(`node_exporter /metrics answered ${res.status}`);
      return body.length;
    };
    await waitFor('node_exporter', async () => (await scrape()) > 0);

    let agentLog = '';
    const pkgs = AGENT === 'packaged' ? await buildAgentPackages({ log: (l) => console.log(l) }) : undefined;
    if (pkgs) {
      const mib = (f: string) => `${fmt(statSync(f).size / MiB, 1)} MiB`;
      console.log(
        `packages (agent ${pkgs.version}, Node ${pkgs.nodeVersion}): .deb ${mib(pkgs.deb)} (node runtime ${mib(join(dirname(pkgs.linuxBinary), 'node'))}, bundle ${mib(pkgs.bundle)}); ` +
          `Windows: .msi ${mib(pkgs.msi)} (hatang-agent.exe ${mib(pkgs.windowsExe)}, nssm.exe ${mib(pkgs.nssm)})`,
      );
    }
    const agentStarted = performance.now();
    // With AGENT_NODE_ARGS the packaged runtime and bundle run with those flags instead of the
    // launcher's own (V8 flags such as --lite-mode are refused in NODE_OPTIONS).
    const packagedCommand: [string, string[]] | undefined = pkgs && [
      AGENT_NODE_ARGS.length > 0 ? join(dirname(pkgs.linuxBinary), 'node') : pkgs.linuxBinary,
      AGENT_NODE_ARGS.length > 0
        ? [...AGENT_NODE_ARGS, join(dirname(pkgs.linuxBinary), 'hatang-agent.cjs'), '--config', agentConfig]
        : ['--config', agentConfig],
    ];
    agent = packagedCommand
      ? spawn(packagedCommand[0], packagedCommand[1], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, [...AGENT_NODE_ARGS, cli, 'agent', '--config', agentConfig], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
    console.log(
      `agent: ${packagedCommand ? [packagedCommand[0], ...packagedCommand[1]].join(' ') : `node ${cli} agent`}`,
    );
    for (const s of [agent.stdout, agent.stderr]) {
      s?.on('data', (d: Buffer) => {
        agentLog = (agentLog + d.toString()).slice(-4_000);
      });
    }
    const agentPid = agent.pid as number;
    const exporterPid = exporter.pid as number;
    const statusFile = join(stateDir, 'status.json');
    // Ready: enrolled, every collector has run once and the queue is empty (all sent).
    await waitFor(
      'the agent to enroll, run every collector and send',
      () => {
        alive(agent as ChildProcess, 'hatang agent', () => agentLog);
        if (!existsSync(statusFile)) return false;
        const s = JSON.parse(readFileSync(statusFile, 'utf8')) as AgentStatus;
        return (
          s.agent_id !== undefined &&
          entries.every((e) => s.collectors[e.type as string]) &&
          s.queue.batches === 0 &&
          s.last_send_at !== undefined
        );
      },
      { timeoutMs: 180_000, everyMs: 100 },
    );
    const readyS = (performance.now() - agentStarted) / 1000;
    const startupCpu = cpuWithChildren(agentPid);
    const status = JSON.parse(readFileSync(statusFile, 'utf8')) as AgentStatus;

    // The window.
    const rss = { agent: [] as number[], exporter: [] as number[] };
    const rssStart = { agent: rssBytes(agentPid), exporter: rssBytes(exporterPid) };
    const cpu0 = { agent: cpuWithChildren(agentPid), exporter: cpuWithChildren(exporterPid) };
    const t0 = performance.now();
    const end = t0 + DURATION_S * 1000;
    let scrapes = 0;
    let nextScrape = t0;
    if (AGENT_NODE_ARGS.length > 0) console.log(`agent node flags: ${AGENT_NODE_ARGS.join(' ')}`);
    console.log(
      `agent ready after ${fmt(readyS, 1)} s (collectors: ${entries.map((e) => e.type).join(', ')}); measuring for ${DURATION_S} s…`,
    );
    for (let i = 0; i < DURATION_S * 2 + 10 && performance.now() < end; i++) {
      alive(agent, 'hatang agent', () => agentLog);
      alive(exporter, 'node_exporter', () => exporterLog);
      if (performance.now() >= nextScrape) {
        await scrape();
        scrapes++;
        nextScrape += hostInterval;
      }
      rss.agent.push(rssBytes(agentPid));
      rss.exporter.push(rssBytes(exporterPid));
      await new Promise((r) => setTimeout(r, Math.max(0, Math.min(1_000, end - performance.now()))));
    }
    const windowS = (performance.now() - t0) / 1000;
    const cpu = {
      agent: cpuWithChildren(agentPid) - cpu0.agent,
      exporter: cpuWithChildren(exporterPid) - cpu0.exporter,
    };
    const half = (xs: number[]) => xs.slice(Math.floor(xs.length / 2));
    const steady = { agent: median(half(rss.agent)), exporter: median(half(rss.exporter)) };
    const peak = { agent: Math.max(...rss.agent), exporter: Math.max(...rss.exporter) };

    await stop(agent);
    await stop(exporter);
    const stored = await influxd.query('SELECT count(uptime_s) FROM host');
    const hostPoints = Number(stored[0]?.values[0]?.[1] ?? 0);

    const perHour = (s: number) => (s / windowS) * 3600;
    const pct = (s: number) => (s / windowS) * 100;
    const row = (name: string, a: string, b: string, ratio: string) =>
      console.log(`${name.padEnd(34)}${a.padStart(14)}${b.padStart(16)}${ratio.padStart(10)}`);
    const ok = (good: boolean) => (good ? 'ok' : 'OVER TARGET');

    console.log(
      `\nwindow ${fmt(windowS, 1)} s; host interval ${hostInterval / 1000} s; node_exporter scraped ${scrapes}×; ` +
        `host points stored from the agent: ${hostPoints}\n`,
    );
    row('', 'hatang agent', 'node_exporter', 'ratio');
    row(
      'RSS at start, MiB',
      fmt(rssStart.agent / MiB, 1),
      fmt(rssStart.exporter / MiB, 1),
      fmt(rssStart.agent / rssStart.exporter, 2),
    );
    row(
      'RSS steady (median 2nd half), MiB',
      fmt(steady.agent / MiB, 1),
      fmt(steady.exporter / MiB, 1),
      fmt(steady.agent / steady.exporter, 2),
    );
    row(
      'RSS peak in window, MiB',
      fmt(peak.agent / MiB, 1),
      fmt(peak.exporter / MiB, 1),
      fmt(peak.agent / peak.exporter, 2),
    );
    row('CPU in window, s', fmt(cpu.agent, 2), fmt(cpu.exporter, 2), fmt(cpu.agent / cpu.exporter, 2));
    row(
      'CPU s/hour (extrapolated)',
      fmt(perHour(cpu.agent), 1),
      fmt(perHour(cpu.exporter), 1),
      fmt(cpu.agent / cpu.exporter, 2),
    );
    row(
      'CPU % of one core',
      fmt(pct(cpu.agent), 3),
      fmt(pct(cpu.exporter), 3),
      fmt(cpu.agent / cpu.exporter, 2),
    );
    console.log(
      `\nagent start-up (node boot, enrollment, first pass of every collector): ${fmt(startupCpu, 2)} CPU-s in ${fmt(readyS, 1)} s`,
    );
    const withPasses = perHour(cpu.agent) + 4 * startupCpu;
    console.log(
      `agent CPU per hour with 4 passes of the 15-minute collectors (upper bound): ${fmt(withPasses, 1)} s = ${fmt((withPasses / 3600) * 100, 3)} % of one core`,
    );
    console.log(
      `first run per collector: ${Object.entries(status.collectors)
        .map(([n, c]) => `${n} ${c.duration_ms} ms${c.success ? '' : ' (FAILED)'}`)
        .join(', ')}`,
    );
    console.log(
      `\ntargets: RSS < ${targets.rssMiB} MiB: ${ok(steady.agent / MiB < targets.rssMiB && peak.agent / MiB < targets.rssMiB)}` +
        ` (steady ${fmt(steady.agent / MiB, 1)}, peak ${fmt(peak.agent / MiB, 1)});` +
        ` CPU < ${targets.cpuPercent} % of one core: ${ok(pct(cpu.agent) < targets.cpuPercent)} (window ${fmt(pct(cpu.agent), 3)} %)`,
    );

    // One inventory pass, measured by the inventory collector's own script.
    const passScript = join(projectRoot(), 'dist', 'bench', 'agent-footprint', 'inventory-pass.js');
    if ('inventory' in collectors && existsSync(passScript)) {
      console.log('\ninventory pass (bench/agent-footprint/inventory-pass.js --runs 1):');
      const pass = spawn(process.execPath, [passScript, '--runs', '1'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      pass.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
      });
      const killer = setTimeout(() => pass.kill('SIGKILL'), 120_000);
      const code = await new Promise((r) => pass.once('exit', r));
      clearTimeout(killer);
      process.stdout.write(out.replace(/^/gm, '  '));
      const wall = /wall ([\d,.]+) ms/.exec(out);
      if (code !== 0 || !wall) throw new Error(`inventory-pass exited with ${code}`);
      const wallMs = Number(wall[1]?.replaceAll(',', ''));
      console.log(
        `target: inventory pass < ${targets.inventoryMs / 1000} s: ${ok(wallMs < targets.inventoryMs)} (${fmt(wallMs)} ms)`,
      );
    } else {
      console.log(
        '\ninventory pass: skipped (no inventory collector or no dist/bench/agent-footprint/inventory-pass.js)',
      );
    }
  } finally {
    await stop(agent);
    await stop(exporter);
    await stop(server);
    await influxd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
