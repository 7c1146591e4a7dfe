import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { StartError, UsageError } from '../lib/config.js';
import { Influxd, rows } from '../lib/services/influxd.js';
import { tcpPortFree, tcpPortHolder } from '../lib/services/port-holder.js';
import { startSnmpd } from '../lib/services/snmpd.js';
import { snmpsimExamples, startSnmpsim } from '../lib/services/snmpsim.js';
import { sleep } from '../lib/sleep.js';
import { projectRoot } from '../lib/version.js';
import { loadServerConfig } from '../server/config.js';
import { hashToken } from '../server/credentials.js';

// Fixed, documented ports; the environment may move them (the demo's own test runs it on free ports).
const INFLUX_PORT = Number(process.env.HATANG_DEMO_INFLUX_PORT ?? 8086);
const INFLUX_RPC_PORT = Number(process.env.HATANG_DEMO_INFLUX_RPC_PORT ?? 8088);
const SERVER_PORT = Number(process.env.HATANG_DEMO_SERVER_PORT ?? 8080);

export const demoUsage = `usage: hatang demo [--once [--keep]]

The whole path on this machine, on loopback: a local InfluxDB, the collector server, SNMP devices
(snmpd and recorded devices replayed by snmpsimd) and one agent in the poller role with every
collector; then, every 30 s, what landed in InfluxDB and the demo data center's TIA-942 readiness,
and what to look at next. Ctrl-C stops everything it started.

  --once    run the agent once, print what landed and what to look at next, then stop everything
  --keep    with --once: leave InfluxDB and the server running to look at (their PIDs are printed)

environment:
  HATANG_DEMO_DIR              data, logs and generated configs   [<project>/.data]
  HATANG_DEMO_INFLUX_PORT      InfluxDB's HTTP port               [8086]
  HATANG_DEMO_INFLUX_RPC_PORT  InfluxDB's backup/RPC port         [8088]
  HATANG_DEMO_SERVER_PORT      the collector server's port        [8080]

A port already taken (another demo, a system InfluxDB, anything) stops the demo before it starts
anything, naming the port and the process holding it: it never uses an InfluxDB it did not start.`;

/** The TCP ports the demo listens on, with the variable that moves each. */
function demoPorts(): { port: number; what: string; env: string }[] {
  return [
    { port: INFLUX_PORT, what: 'InfluxDB HTTP', env: 'HATANG_DEMO_INFLUX_PORT' },
    { port: INFLUX_RPC_PORT, what: 'InfluxDB RPC', env: 'HATANG_DEMO_INFLUX_RPC_PORT' },
    { port: SERVER_PORT, what: 'server', env: 'HATANG_DEMO_SERVER_PORT' },
  ];
}

/** Every demo port something else holds, each named with its holder; empty when all are free. */
async function takenPorts(): Promise<string[]> {
  const taken: string[] = [];
  for (const p of demoPorts()) {
    if (await tcpPortFree(p.port)) continue;
    const holder = tcpPortHolder(p.port);
    taken.push(
      `port ${p.port} (${p.what}, ${p.env}) is taken by ${holder ? `pid ${holder.pid}: ${holder.command}` : 'another process'}`,
    );
  }
  return taken;
}

/**
 * `hatang demo`: the whole path on one machine, on loopback — a local InfluxDB with its data under
 * .data/, the collector server and an agent reporting to it — then a summary of what landed and
 * what to look at next. `--once` runs the agent once and stops everything (`--keep`: InfluxDB and
 * the server stay up to be looked at).
 */
export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      once: { type: 'boolean' },
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(demoUsage);
    return 0;
  }
  if (values.keep && !values.once)
    throw new UsageError('hatang demo: --keep goes with --once (Ctrl-C stops a running demo)');
  const keep = values.keep === true;
  // Nothing is started while a port is taken: the demo would talk to someone else's service.
  const taken = await takenPorts();
  if (taken.length > 0) {
    console.error(
      `hatang demo: not started:\n  ${taken.join('\n  ')}\nstop that process, or move the demo with HATANG_DEMO_INFLUX_PORT, HATANG_DEMO_INFLUX_RPC_PORT, HATANG_DEMO_SERVER_PORT (hatang demo --help)`,
    );
    return 1;
  }
  const root = projectRoot();
  const data = process.env.HATANG_DEMO_DIR ?? join(root, '.data');
  const demoDir = join(data, 'demo');
  const logs = join(data, 'logs');
  mkdirSync(demoDir, { recursive: true, mode: 0o700 });
  mkdirSync(logs, { recursive: true });
  const secrets = demoSecrets(demoDir);
  const serverYaml = join(demoDir, 'server.yaml');
  const agentYaml = join(demoDir, 'agent.yaml');
  writeFileSync(serverYaml, serverConfig(data, secrets, join(root, 'config', 'datacenter.demo.yaml')));
  const env = { ...process.env };
  const cli = join(root, 'dist', 'cli', 'hatang.js');
  const shown = shownPath();
  const hatang = `node ${shown(cli)}`;
  // Counted from here: an earlier run's points in the same .data/influxdb are not this run's.
  const since = Date.now();

  const started: { name: string; stop: () => Promise<void> }[] = [];
  const stopAll = async () => {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
  };
  const influxd = new Influxd({
    dir: join(data, 'influxdb'),
    httpPort: INFLUX_PORT,
    rpcPort: INFLUX_RPC_PORT,
    ...(keep ? { detachedLog: join(logs, 'influxd.log') } : {}),
  });
  try {
    await influxd.start();
    started.push({ name: 'influxd', stop: () => influxd.stop() });
    // The port was free a moment ago; still, what answers must be the influxd started here.
    const holder = tcpPortHolder(INFLUX_PORT);
    if (holder && holder.pid !== influxd.pid) {
      throw new StartError(
        `port ${INFLUX_PORT}: answered by pid ${holder.pid} (${holder.command}), not by the influxd this demo started (pid ${influxd.pid})`,
      );
    }
    console.log(`influxdb   ${influxd.url} (pid ${influxd.pid}, data in ${shown(join(data, 'influxdb'))})`);
    // Network devices for the poller, on loopback: a real snmpd (this machine's interfaces, SNMPv3)
    // and recorded devices replayed by snmpsimd — a Cisco switch, an HP device, two UPSes (one on
    // battery), a temperature/humidity sensor, rack R12's two PDUs (feeds A and B) and a NetBotz with
    // a dry leak rope, a smoke relay and door switches.
    const snmpd = await startSnmpd();
    started.push({ name: 'snmpd', stop: () => snmpd.stop() });
    const testdata = join(root, 'agent', 'collectors', 'snmp', 'testdata');
    const readinessTestdata = join(root, 'server', 'readiness', 'testdata');
    const devices = {
      'core-sw-1': `${snmpsimExamples}/cisco_16_switch.snmprec.gz`,
      'dist-sw-hp': `${snmpsimExamples}/hp_perf.snmprec.gz`,
      'ups-dc-a': join(testdata, 'ups-mains.snmprec'),
      'ups-dc-b': join(testdata, 'ups-battery.snmprec'),
      'env-dc-1': join(testdata, 'sensor-th.snmprec'),
      // Data-center gear speaking vendor MIBs (recordings written from PowerNet-MIB), matched by sysObjectID.
      'ups-dc-apc': join(testdata, 'apc-smart-ups.snmprec'),
      'pdu-r12-a': join(testdata, 'apc-rack-pdu.snmprec'),
      'envmon-dc-2': join(testdata, 'apc-env-monitor.snmprec'),
      // Rack R12's feed-B PDU and a NetBotz with a dry leak rope (the readiness test's recordings):
      // with pdu-r12-a they give the demo data center live E6 and M4 evidence.
      'pdu-r12-b': join(readinessTestdata, 'pdu-r12-b.snmprec'),
      'netbotz-r7': join(readinessTestdata, 'netbotz-dry.snmprec'),
    };
    const snmpsim = await startSnmpsim({ recordings: devices });
    started.push({ name: 'snmpsimd', stop: () => snmpsim.stop() });
    console.log(
      `snmp       snmpd on udp 127.0.0.1:${snmpd.port} (v3), snmpsimd on udp 127.0.0.1:${snmpsim.port}: ${Object.keys(devices).join(', ')}`,
    );
    writeFileSync(
      agentYaml,
      agentConfig(data, root, demoDir, snmpConfig(snmpd, snmpsim.port, Object.keys(devices))),
    );

    const serverLog = join(logs, 'server.log');
    const server = startChild('server', [cli, 'server', '--config', serverYaml], env, serverLog, keep);
    started.push({ name: 'server', stop: () => stopChild(server) });
    await waitHttp(`http://127.0.0.1:${SERVER_PORT}/healthz`, server, serverLog, 20_000);
    console.log(
      `server     http://127.0.0.1:${SERVER_PORT} (pid ${server.pid}; /healthz, /metrics; log ${shown(serverLog)})`,
    );
    const look: LookOptions = {
      hatang,
      serverYaml: shown(serverYaml),
      agentYaml: shown(agentYaml),
      dashboards: shown(join(root, 'dashboards', 'build')),
    };

    if (values.once) {
      const agentLog = join(logs, 'agent.log');
      const agent = startChild('agent', [cli, 'agent', '--config', agentYaml, '--once'], env, agentLog);
      const code = await new Promise<number>((resolve) => agent.once('exit', (c) => resolve(c ?? 1)));
      console.log(`agent      ran once, exit code ${code} (log ${shown(agentLog)})`);
      const landed = await summary(influxd, since);
      const rated = await readinessSummary(serverYaml, env, hatang, shown(serverYaml));
      if (keep) {
        // Both outlive this process; whoever looks stops them with the printed kill.
        const pids = [server.pid, influxd.detach()].filter((p) => p !== undefined);
        server.unref();
        // InfluxDB and the server stay; the SNMP devices (and anything else started) stop now.
        const kept = new Set(['influxd', 'server']);
        const rest = started.filter((s) => !kept.has(s.name));
        started.length = 0;
        for (const s of rest.reverse()) await s.stop().catch(() => undefined);
        console.log(
          `\nkept       InfluxDB (pid ${pids[1]}, ${influxd.url}) and the server (pid ${pids[0]}, http://127.0.0.1:${SERVER_PORT}) are still running; the SNMP devices are stopped\nstop       kill ${pids.join(' ')}`,
        );
        console.log(lookAround({ ...look, running: true }));
        // fetch keeps idle connections to the kept InfluxDB and server open (influxd never closes
        // them), which would keep this process alive; nothing else is left to do, so leave.
        const exitCode = code === 0 && landed > 0 && rated ? 0 : 1;
        setImmediate(() => process.exit(exitCode));
        return exitCode;
      } else {
        console.log(
          `\nstopping   InfluxDB, the server and the SNMP devices now; the data stays in ${shown(join(data, 'influxdb'))}.\n           To look around with them running: hatang demo --once --keep (or hatang demo, until Ctrl-C)`,
        );
        console.log(lookAround({ ...look, running: false }));
      }
      return code === 0 && landed > 0 && rated ? 0 : 1;
    }

    const agentLog = join(logs, 'agent.log');
    const agent = startChild('agent', [cli, 'agent', '--config', agentYaml], env, agentLog);
    started.push({ name: 'agent', stop: () => stopChild(agent) });
    console.log(
      `agent      pid ${agent.pid}, state in ${shown(join(data, 'agent'))}, log ${shown(agentLog)}`,
    );
    console.log(`configs    ${shown(serverYaml)}\n           ${shown(agentYaml)}`);
    console.log(lookAround({ ...look, running: true }));
    console.log('stop       Ctrl-C\n');
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    process.once('SIGTERM', () => stop.abort());
    for (const child of [server, agent]) child.once('exit', () => stop.abort());
    await sleep(15_000, stop.signal);
    while (!stop.signal.aborted) {
      await summary(influxd, since).catch((err) => console.error(`summary: ${(err as Error).message}`));
      await readinessSummary(serverYaml, env, hatang, shown(serverYaml));
      await sleep(30_000, stop.signal);
    }
    return 0;
  } finally {
    await stopAll();
  }
}

/** Paths as a newcomer pastes them: relative when under the current directory, else absolute. */
function shownPath(): (path: string) => string {
  const cwd = process.cwd();
  return (path) => {
    const rel = relative(cwd, path);
    return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
  };
}

interface LookOptions {
  /** How to run the CLI from here, e.g. `node dist/cli/hatang.js`. */
  hatang: string;
  serverYaml: string;
  agentYaml: string;
  /** dashboards/build, as shown. */
  dashboards: string;
  /** Whether InfluxDB and the server are up (a running demo, or --once --keep). */
  running?: boolean;
}

/**
 * Where a newcomer looks next: the agent's own view, the API and the auditors' page with an auditor's
 * credential, the stored points, the readiness scorecard and the Grafana dashboards. Every line can be pasted.
 */
export function lookAround(o: LookOptions): string {
  const server = `http://127.0.0.1:${SERVER_PORT}`;
  const lines = ['', 'look next', `  agent       ${o.hatang} agent status --config ${o.agentYaml}`];
  if (o.running) {
    lines.push(
      `  readiness   ${o.hatang} readiness --config ${o.serverYaml} --lang vi`,
      `  server      curl -s ${server}/healthz; curl -s ${server}/metrics | grep ^hatang_`,
      `  API         TOKEN=$(${o.hatang} token issue --role auditor --subject demo-auditor --config ${o.serverYaml})`,
      `              curl -s -H "Authorization: Bearer $TOKEN" '${server}/api/v1/availability?group=level'`,
      `              curl -s -H "Authorization: Bearer $TOKEN" '${server}/api/v1/endpoints'`,
      `  auditors    ${server}/audit/ in a browser: sign in with $TOKEN, make and verify a compliance snapshot`,
      `  InfluxDB    influx -port ${INFLUX_PORT} -database hatang -execute 'SHOW MEASUREMENTS'`,
      `              influx -port ${INFLUX_PORT} -database hatang -execute 'SELECT last(rtt_avg_ms), last(loss_percent) FROM ping GROUP BY target_id LIMIT 5'`,
    );
  }
  lines.push(
    `  dashboards  ${o.dashboards}/vi and ${o.dashboards}/en: Grafana dashboards, alert rules and provisioning;`,
    `              load them as dashboards/README.md says, with an InfluxDB datasource on http://127.0.0.1:${INFLUX_PORT}, database hatang`,
  );
  return lines.join('\n');
}

interface DemoSecrets {
  signing_key: string;
  /** The agency PCs' enrollment token (role agent). */
  token: string;
  /** The poller enrollment token the demo's one agent uses: it pings the endpoints and polls SNMP. */
  poller_token: string;
}

/**
 * The demo's secrets, kept across runs in secrets.json; the signing key and the poller token are
 * also written alone (0600) so the generated configs read them with `${file:…}` and every printed
 * command (token issue, agent status) works without environment variables.
 */
function demoSecrets(demoDir: string): DemoSecrets {
  const file = join(demoDir, 'secrets.json');
  const kept: Partial<DemoSecrets> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const fresh = () => randomBytes(24).toString('base64url');
  const secrets: DemoSecrets = {
    signing_key: kept.signing_key ?? randomBytes(36).toString('base64url'),
    token: kept.token ?? fresh(),
    poller_token: kept.poller_token ?? fresh(),
  };
  writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
  writeFileSync(join(demoDir, 'signing-key'), secrets.signing_key, { mode: 0o600 });
  writeFileSync(join(demoDir, 'poller-token'), secrets.poller_token, { mode: 0o600 });
  return secrets;
}

function serverConfig(data: string, secrets: DemoSecrets, datacenter: string): string {
  return `# Written by \`hatang demo\`; see config/server.example.yaml for every option.
instance: demo
listen: { host: 127.0.0.1, port: ${SERVER_PORT} }
auth:
  signing_key: \${file:${join(data, 'demo', 'signing-key')}}
  sites:
    - id: demo
      name: "Trung tâm tích hợp dữ liệu (demo)"
      enrollment_token_sha256: ${hashToken(secrets.token)}
      poller_token_sha256: ${hashToken(secrets.poller_token)}
storage: { kind: influxdb-v1, url: "http://127.0.0.1:${INFLUX_PORT}", database: hatang }
spool: { dir: "${join(data, 'server', 'spool')}" }
health_interval: 30s
readiness: { datacenter_file: "${datacenter}", interval: 30s }
`;
}

function snmpConfig(
  snmpd: Awaited<ReturnType<typeof startSnmpd>>,
  simPort: number,
  simulated: string[],
): string {
  // The sensor's recorded sysObjectID matches no profile, so it is named, as an operator would.
  const profile = (name: string) =>
    name.startsWith('env-') ? ', profile: environment-sensor, zone: server-room-1' : '';
  const sim = simulated.map(
    (name) =>
      `      - { name: ${name}, address: 127.0.0.1, port: ${simPort}, credentials: ${name}${profile(name)} }`,
  );
  const creds = simulated.map((name) => `      ${name}: { version: 2c, community: ${name} }`);
  return `  - type: snmp
    interval: 30s
    timeout: 25s
    request_timeout: 2s
    credentials:
      dc-v3:
        version: "3"
        user: ${snmpd.v3.user}
        level: authPriv
        auth_protocol: sha
        auth_key: "${snmpd.v3.authKey}"
        priv_protocol: aes
        priv_key: "${snmpd.v3.privKey}"
${creds.join('\n')}
    devices:
      - { name: dc-linux-1, address: 127.0.0.1, port: ${snmpd.port}, credentials: dc-v3 }
${sim.join('\n')}
`;
}

function agentConfig(data: string, root: string, demoDir: string, snmp: string): string {
  // Everything the demo pings or resolves is on loopback: the 166 endpoints have 127.1.x.y addresses.
  return `# Written by \`hatang demo\`; see config/agent.example.yaml and each collector's example.yaml.
agent: { state_dir: "${join(data, 'agent')}" }
server:
  urls: ["http://127.0.0.1:${SERVER_PORT}"]
  enrollment_token: \${file:${join(demoDir, 'poller-token')}}
queue: { send_interval: 5s }
health_interval: 30s
collectors:
  - { type: host, interval: 15s }
  - { type: inventory, interval: 5m }
  - { type: antivirus, interval: 5m }
  - type: connectivity
    interval: 30s
    gateway: "off"
    datacenter: 127.0.0.1
    dns: { names: [localhost] }
  - type: ping
    interval: 30s
    timeout: 25s
    endpoints_file: "${join(root, 'config', 'endpoints.yaml')}"
    count: 3
    period: 200ms
    packet_interval: 1ms
${snmp}`;
}

/** A hatang process with its output in `logFile`; `detached` (in its own process group) when it is to outlive the demo. */
function startChild(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
  detached = false,
): ChildProcess {
  const log = openSync(logFile, 'w');
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', log, log], detached });
  closeSync(log);
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal === null && name !== 'agent')
      console.error(`${name} exited with ${code}; see ${logFile}`);
  });
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(killer);
}

/** Polls `url` until it answers; a StartError with the log's last line when the process exits first. */
async function waitHttp(url: string, child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      const last = readFileSync(logFile, 'utf8').trim().split('\n').at(-1) ?? '';
      throw new StartError(
        `${url}: the process exited with ${child.exitCode} before answering: ${last} (${logFile})`,
      );
    }
    const ok = await fetch(url, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.status < 500,
      () => false,
    );
    if (ok) return;
    await sleep(100);
  }
  throw new StartError(`${url}: no answer within ${timeoutMs} ms (see ${logFile})`);
}

/** Prints points per measurement stored since `since` (this run's start); returns the total. */
async function summary(influxd: Influxd, since: number): Promise<number> {
  const measurements = rows((await influxd.query('SHOW MEASUREMENTS'))[0]).map((r) => String(r.name));
  let total = 0;
  const lines: string[] = [];
  for (const m of measurements) {
    const series = await influxd.query(
      `SELECT count(*) FROM "${m.replace(/"/g, '')}" WHERE time >= '${new Date(since).toISOString()}'`,
    );
    const first = rows(series[0])[0] ?? {};
    const n = Math.max(
      0,
      ...Object.entries(first)
        .filter(([k]) => k !== 'time')
        .map(([, v]) => Number(v)),
    );
    total += n;
    lines.push(`  ${m.padEnd(20)} ${String(n).padStart(7)} points since the demo started`);
  }
  console.log(
    `${new Date().toISOString()} InfluxDB database hatang:\n${lines.join('\n') || '  (empty so far)'}`,
  );
  return total;
}

/**
 * The demo data center's TIA-942 readiness (config/datacenter.demo.yaml against what the poller just
 * read), evaluated by the server's own code: overall rating and the first blocking criteria.
 */
async function readinessSummary(
  serverYaml: string,
  env: NodeJS.ProcessEnv,
  hatang: string,
  shownYaml: string,
): Promise<boolean> {
  try {
    const { createReadiness } = await import('../server/readiness/service.js');
    const { loadDatacenter } = await import('../server/readiness/declaration.js');
    const { formatHeadline } = await import('../server/readiness/format.js');
    const { createStorage } = await import('../server/storage/index.js');
    const { pino } = await import('pino');
    const config = loadServerConfig(serverYaml, { env });
    if (!config.readiness) return false;
    const readiness = createReadiness({
      declaration: loadDatacenter(config.readiness.datacenter_file, {
        siteIds: config.auth.sites.map((s) => s.id),
      }),
      storage: createStorage(config.storage, config.write.max_body_bytes),
      staleAfterMs: config.readiness.stale_after,
      log: pino({ level: 'silent' }),
    });
    for (const card of await readiness.evaluate()) process.stdout.write(formatHeadline(card, 'en', 4));
    console.log(`           full scorecard: ${hatang} readiness --config ${shownYaml} --lang vi`);
    return true;
  } catch (err) {
    console.error(`readiness: ${(err as Error).message}`);
    return false;
  }
}
