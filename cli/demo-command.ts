import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Influxd, rows } from '../lib/services/influxd.js';
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

/**
 * `hatang demo`: the whole path on one machine, on loopback — a local InfluxDB with its data under
 * .data/, the collector server and an agent reporting to it — then a summary of what landed.
 * `--once` runs the agent once, prints the summary and stops everything (for scripts and CI).
 */
export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { once: { type: 'boolean' } } });
  const root = projectRoot();
  const data = process.env.HATANG_DEMO_DIR ?? join(root, '.data');
  const demoDir = join(data, 'demo');
  const logs = join(data, 'logs');
  mkdirSync(demoDir, { recursive: true, mode: 0o700 });
  mkdirSync(logs, { recursive: true });
  const secrets = demoSecrets(join(demoDir, 'secrets.json'));
  const serverYaml = join(demoDir, 'server.yaml');
  const agentYaml = join(demoDir, 'agent.yaml');
  writeFileSync(serverYaml, serverConfig(data, secrets, join(root, 'config', 'datacenter.demo.yaml')));
  const env = {
    ...process.env,
    HATANG_DEMO_SIGNING_KEY: secrets.signing_key,
    HATANG_DEMO_TOKEN: secrets.poller_token,
  };

  const started: { name: string; stop: () => Promise<void> }[] = [];
  const stopAll = async () => {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
  };
  const influxd = new Influxd({
    dir: join(data, 'influxdb'),
    httpPort: INFLUX_PORT,
    rpcPort: INFLUX_RPC_PORT,
  });
  try {
    if (await influxd.ping()) {
      console.log(`influxdb   already answering on ${influxd.url}; using it`);
    } else {
      await influxd.start();
      started.push({ name: 'influxd', stop: () => influxd.stop() });
      console.log(`influxdb   ${influxd.url} (pid ${influxd.pid}, data in .data/influxdb)`);
    }
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
    writeFileSync(agentYaml, agentConfig(data, root, snmpConfig(snmpd, snmpsim.port, Object.keys(devices))));

    const cli = join(root, 'dist', 'cli', 'hatang.js');
    const server = startChild(
      'server',
      [cli, 'server', '--config', serverYaml],
      env,
      join(logs, 'server.log'),
    );
    started.push({ name: 'server', stop: () => stopChild(server) });
    await waitHttp(`http://127.0.0.1:${SERVER_PORT}/healthz`, server, 20_000);
    console.log(
      `server     http://127.0.0.1:${SERVER_PORT} (pid ${server.pid}; /healthz, /metrics; log .data/logs/server.log)`,
    );

    if (values.once) {
      const agent = startChild(
        'agent',
        [cli, 'agent', '--config', agentYaml, '--once'],
        env,
        join(logs, 'agent.log'),
      );
      const code = await new Promise<number>((resolve) => agent.once('exit', (c) => resolve(c ?? 1)));
      console.log(`agent      ran once, exit code ${code} (log .data/logs/agent.log)`);
      const landed = await summary(influxd);
      const rated = await readinessSummary(serverYaml, env);
      return code === 0 && landed > 0 && rated ? 0 : 1;
    }

    const agent = startChild('agent', [cli, 'agent', '--config', agentYaml], env, join(logs, 'agent.log'));
    started.push({ name: 'agent', stop: () => stopChild(agent) });
    console.log(`agent      pid ${agent.pid}, state in .data/agent, log .data/logs/agent.log`);
    console.log(`configs    ${serverYaml}\n           ${agentYaml}`);
    console.log(`look       node dist/cli/hatang.js agent status --config ${agentYaml}`);
    console.log(`           influx -port ${INFLUX_PORT} -database hatang -execute 'SHOW MEASUREMENTS'`);
    console.log('stop       Ctrl-C\n');
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    process.once('SIGTERM', () => stop.abort());
    for (const child of [server, agent]) child.once('exit', () => stop.abort());
    await sleep(15_000, stop.signal);
    while (!stop.signal.aborted) {
      await summary(influxd).catch((err) => console.error(`summary: ${(err as Error).message}`));
      await readinessSummary(serverYaml, env);
      await sleep(30_000, stop.signal);
    }
    return 0;
  } finally {
    await stopAll();
  }
}

interface DemoSecrets {
  signing_key: string;
  /** The agency PCs' enrollment token (role agent). */
  token: string;
  /** The poller enrollment token the demo's one agent uses: it pings the endpoints and polls SNMP. */
  poller_token: string;
}

function demoSecrets(file: string): DemoSecrets {
  const kept: Partial<DemoSecrets> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const fresh = () => randomBytes(24).toString('base64url');
  const secrets: DemoSecrets = {
    signing_key: kept.signing_key ?? randomBytes(36).toString('base64url'),
    token: kept.token ?? fresh(),
    poller_token: kept.poller_token ?? fresh(),
  };
  writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
  return secrets;
}

function serverConfig(data: string, secrets: DemoSecrets, datacenter: string): string {
  return `# Written by \`hatang demo\`; see config/server.example.yaml for every option.
instance: demo
listen: { host: 127.0.0.1, port: ${SERVER_PORT} }
auth:
  signing_key: \${HATANG_DEMO_SIGNING_KEY}
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

function agentConfig(data: string, root: string, snmp: string): string {
  // Everything the demo pings or resolves is on loopback: the 166 endpoints have 127.1.x.y addresses.
  return `# Written by \`hatang demo\`; see config/agent.example.yaml and each collector's example.yaml.
agent: { state_dir: "${join(data, 'agent')}" }
server:
  urls: ["http://127.0.0.1:${SERVER_PORT}"]
  enrollment_token: \${HATANG_DEMO_TOKEN}
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

function startChild(name: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): ChildProcess {
  const log = openSync(logFile, 'w');
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', log, log] });
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

async function waitHttp(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`${url}: the process exited with ${child.exitCode} before answering`);
    const ok = await fetch(url, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.status < 500,
      () => false,
    );
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`${url}: no answer within ${timeoutMs} ms`);
}

/** Prints points per measurement in the last hour; returns the total. */
async function summary(influxd: Influxd): Promise<number> {
  const measurements = rows((await influxd.query('SHOW MEASUREMENTS'))[0]).map((r) => String(r.name));
  let total = 0;
  const lines: string[] = [];
  for (const m of measurements) {
    const series = await influxd.query(
      `SELECT count(*) FROM "${m.replace(/"/g, '')}" WHERE time > now() - 1h`,
    );
    const first = rows(series[0])[0] ?? {};
    const n = Math.max(
      0,
      ...Object.entries(first)
        .filter(([k]) => k !== 'time')
        .map(([, v]) => Number(v)),
    );
    total += n;
    lines.push(`  ${m.padEnd(20)} ${String(n).padStart(7)} points in the last hour`);
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
async function readinessSummary(serverYaml: string, env: NodeJS.ProcessEnv): Promise<boolean> {
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
    console.log(
      `           full scorecard: node dist/cli/hatang.js readiness --config ${serverYaml} --lang vi`,
    );
    return true;
  } catch (err) {
    console.error(`readiness: ${(err as Error).message}`);
    return false;
  }
}
