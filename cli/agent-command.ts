import { parseArgs } from 'node:util';
import { loadAgentConfig } from '../agent/config.js';
import { createAgentLogger } from '../agent/log.js';
import { runAgent } from '../agent/main.js';
import { type AgentStatus, readJson, stateFiles } from '../agent/runtime/state.js';
import { UsageError } from '../lib/config.js';

const options = {
  config: { type: 'string', short: 'c', default: 'config/agent.yaml' },
  once: { type: 'boolean' },
  check: { type: 'boolean' },
} as const;

export async function agentCommand(argv: string[]): Promise<number> {
  if (argv[0] === 'install') return (await import('../agent/install/index.js')).installCommand(argv.slice(1));
  const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true });
  const [sub] = positionals;
  const config = loadAgentConfig(values.config);
  if (sub === 'status') return printStatus(config.agent.state_dir);
  if (sub !== undefined) throw new UsageError(`hatang agent: unknown subcommand "${sub}"`);
  if (values.check) {
    console.log(`${values.config}: ok`);
    return 0;
  }
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

async function printStatus(stateDir: string): Promise<number> {
  const files = stateFiles(stateDir);
  const status = await readJson<AgentStatus>(files.status);
  const enrollment = await readJson<{
    agent_id: string;
    site_id: string;
    server: string;
    enrolled_at: string;
  }>(files.enrollment);
  console.log(
    enrollment
      ? `enrolled:    yes, agent ${enrollment.agent_id} at site ${enrollment.site_id} (${enrollment.server}, ${enrollment.enrolled_at})`
      : 'enrolled:    no',
  );
  if (!status) {
    console.log(`status:      none yet (${files.status} missing: the agent has not run)`);
    return enrollment ? 0 : 1;
  }
  let running = false;
  try {
    process.kill(status.pid, 0);
    running = true;
  } catch {}
  console.log(
    `process:     ${running ? `running, pid ${status.pid}` : 'not running'}; status written ${status.updated_at}`,
  );
  if (status.last_error) console.log(`last error:  ${status.last_error.at} ${status.last_error.message}`);
  console.log(
    `last send:   ${status.last_send_at ?? 'never'}${status.last_send_error ? `; last error: ${status.last_send_error}` : ''}`,
  );
  console.log(
    `queue:       ${status.queue.batches} batches, ${status.queue.points} points, ${status.queue.bytes} bytes; dropped ${status.counters.dropped_points}, rejected ${status.counters.rejected_points}`,
  );
  console.log('collectors:');
  for (const [name, c] of Object.entries(status.collectors)) {
    console.log(
      `  ${name.padEnd(14)} ${c.success ? 'ok    ' : 'FAILED'} ${c.last_run_at} ${String(c.duration_ms).padStart(6)} ms ${String(c.points).padStart(5)} points${c.error ? `  ${c.error}` : ''}`,
    );
  }
  return 0;
}
