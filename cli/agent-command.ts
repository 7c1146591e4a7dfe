import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadAgentConfig } from '../agent/config.js';
import { createAgentLogger } from '../agent/log.js';
import { runAgent } from '../agent/main.js';
import { renewalDueAt } from '../agent/runtime/credential.js';
import { readEnrollment } from '../agent/runtime/enroll.js';
import {
  type AgentStatus,
  type Enrollment,
  readJson,
  stateFiles,
  zeroCounters,
} from '../agent/runtime/state.js';
import { UsageError } from '../lib/config.js';
import { configEnv, findConfig, sayWhichConfig, systemConfigDir } from './config-path.js';

const options = {
  config: { type: 'string', short: 'c' },
  once: { type: 'boolean' },
  check: { type: 'boolean' },
  // Windows service only: the MSI puts SERVER and TOKENFILE here (the service's NSSM parameters).
  server: { type: 'string' },
  'token-file': { type: 'string' },
} as const;

export async function agentCommand(argv: string[]): Promise<number> {
  if (argv[0] === 'install') return (await import('../agent/install/index.js')).installCommand(argv.slice(1));
  const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true });
  const [sub] = positionals;
  if (sub !== undefined && sub !== 'status')
    throw new UsageError(`hatang agent: unknown subcommand "${sub}"`);
  const seeded = await seedConfig(
    values.config ?? join(systemConfigDir(), 'agent.yaml'),
    values.server,
    values['token-file'],
  );
  if (seeded !== 0) return seeded;
  const found = findConfig('agent', values.config);
  const env = configEnv(found.file);
  const config = loadAgentConfig(found.file, { env: env.env });
  if (sub === 'status') return printStatus(config.agent.state_dir, found.file);
  if (values.check) {
    console.log(`${found.file}: ok`);
    return 0;
  }
  sayWhichConfig(found, env.file);
  const log = createAgentLogger(config.agent.log_level, config.log);
  const stop = new AbortController();
  const onSignal = (signal: string) => {
    log.info({ signal }, 'signal received');
    stop.abort();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  return runAgent(config, log, { once: values.once === true, signal: stop.signal });
}

/**
 * The Windows service's first start after `msiexec /i … SERVER=… TOKENFILE=…`: the MSI writes those
 * into the service's parameters (a registry value, which Windows Installer writes reliably, where a
 * custom action running the exe did not under Wine), and the agent, as LocalSystem, does the
 * install step itself (agent.yaml and the token file) when agent.yaml does not exist yet. Empty
 * values (an upgrade without SERVER) and an existing agent.yaml leave everything as it is.
 */
async function seedConfig(configPath: string, server?: string, tokenFile?: string): Promise<number> {
  if (!server && !tokenFile) return 0;
  if (process.platform !== 'win32')
    throw new UsageError(
      'hatang agent: --server and --token-file go to `hatang agent install` (on Windows they also seed a missing agent.yaml at start)',
    );
  if (existsSync(configPath)) return 0;
  const { installCommand } = await import('../agent/install/index.js');
  return installCommand([
    '--config',
    configPath,
    ...(server ? ['--server', server] : []),
    ...(tokenFile ? ['--token-file', tokenFile] : []),
  ]);
}

async function printStatus(stateDir: string, configFile: string): Promise<number> {
  console.log(`config:      ${configFile}`);
  const files = stateFiles(stateDir);
  const status = await readJson<AgentStatus>(files.status);
  let enrollment: Enrollment | undefined;
  let enrollmentProblem = '';
  try {
    enrollment = await readEnrollment(stateDir);
  } catch (err) {
    enrollmentProblem = (err as Error).message;
  }
  let running = false;
  if (status) {
    try {
      process.kill(status.pid, 0);
      running = true;
    } catch {}
  }
  for (const line of statusLines({
    status,
    enrollment,
    enrollmentProblem,
    running,
    statusFile: files.status,
  }))
    console.log(line);
  return enrollment || status ? 0 : 1;
}

/** What `hatang agent status` prints, from the status file the running agent writes. */
export function statusLines(o: {
  status: AgentStatus | undefined;
  enrollment: Enrollment | undefined;
  enrollmentProblem?: string;
  running: boolean;
  statusFile: string;
}): string[] {
  const { status, enrollment } = o;
  // Not enrolled: why, from the agent's last attempt (the server's refusal, a network error).
  const why =
    o.enrollmentProblem ||
    (status?.last_error ? `${status.last_error.message} (at ${status.last_error.at})` : '');
  const lines = [
    enrollment
      ? `enrolled:    yes, agent ${enrollment.agent_id} at site ${enrollment.site_id} (${enrollment.server}, ${enrollment.enrolled_at})`
      : `enrolled:    no${why ? `: ${why}` : ''}`,
  ];
  if (enrollment) {
    const renewFrom = renewalDueAt(enrollment);
    lines.push(
      `credential:  role ${enrollment.role ?? 'unknown'}, ${
        enrollment.expires_at
          ? `expires ${enrollment.expires_at}, renewal due from ${new Date(renewFrom ?? 0).toISOString()}`
          : 'never expires'
      }${enrollment.renewed_at ? `; last renewed ${enrollment.renewed_at}` : ''}`,
    );
  }
  if (!status) {
    lines.push(`status:      none yet (${o.statusFile} missing: the agent has not run)`);
    return lines;
  }
  const c = { ...zeroCounters(), ...status.counters };
  // An older agent counted only full-queue drops, without a reason.
  if (status.counters.dropped_queue_full_points === undefined) c.dropped_queue_full_points = c.dropped_points;
  lines.push(
    `process:     ${o.running ? `running, pid ${status.pid}` : 'not running'}; status written ${status.updated_at}`,
    ...(status.last_error && enrollment
      ? [`last error:  ${status.last_error.at} ${status.last_error.message}`]
      : []),
    `last send:   ${status.last_send_at ?? 'never'}${status.last_send_error ? `; last error: ${status.last_send_error}` : ''}`,
    `queue:       ${status.queue.batches} batches, ${status.queue.points} points, ${status.queue.bytes} bytes${
      status.reserve_points
        ? `; ${status.reserve_points} agent_health/collector_run points held in memory`
        : ''
    }`,
    `dropped:     ${c.dropped_points} points (queue full ${c.dropped_queue_full_points}, disk full ${c.dropped_disk_full_points})`,
    `rejected:    ${c.rejected_points} points refused by the server; ${c.corrupt_queue_files} damaged queue files (${c.corrupt_queue_points} points), kept in queue/rejected/`,
  );
  if (status.last_write_error) lines.push(`disk:        cannot write the queue: ${status.last_write_error}`);
  lines.push('collectors:');
  for (const [name, r] of Object.entries(status.collectors)) {
    lines.push(
      `  ${name.padEnd(14)} ${r.success ? 'ok    ' : 'FAILED'} ${r.last_run_at} ${String(r.duration_ms).padStart(6)} ms ${String(r.points).padStart(5)} points${r.error ? `  ${r.error}` : ''}`,
    );
  }
  return lines;
}
