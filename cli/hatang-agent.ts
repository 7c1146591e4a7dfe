#!/usr/bin/env node
/**
 * hatang-agent: the agent alone, the entry point of the packaged agent (agent/package/). The same
 * commands as `hatang agent …`, without the server, dashboards or demo, so the bundle carries only
 * the agent's code and dependencies.
 */
import { hatangVersion } from '../lib/version.js';
import { agentCommand } from './agent-command.js';
import { configCandidates } from './config-path.js';
import { exitWith } from './exit.js';

const usage = `hatang-agent ${hatangVersion()} — the hatang agent

usage:
  hatang-agent [--config <agent.yaml>] [--once] [--check]
                         (default config: /etc/hatang/agent.yaml; Windows: %ProgramData%\\hatang\\agent.yaml;
                          $HATANG_CONFIG_DIR/agent.yaml when that is set)
                         Windows service: [--server <url> --token-file <file>] write a missing agent.yaml
                         and the token first (the MSI passes SERVER and TOKENFILE so)
  hatang-agent status [--config <agent.yaml>]
  hatang-agent install --server <url> --token-file <file> [--config <agent.yaml>]
  hatang-agent --version`;

async function main(args: string[]): Promise<number> {
  // `hatang-agent agent …` is accepted too: the systemd unit runs the bundle as `hatang … agent` runs the CLI.
  const argv = args[0] === 'agent' ? args.slice(1) : args;
  const [first] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    console.log(usage);
    return 0;
  }
  if (first === '--version') {
    console.log(hatangVersion());
    return 0;
  }
  const hasConfig = argv.some((a) => a === '--config' || a === '-c' || a.startsWith('--config='));
  return agentCommand(first === 'install' || hasConfig ? argv : [...argv, '--config', defaultConfigPath()]);
}

/**
 * Where the packages put agent.yaml: /etc/hatang on Linux, %ProgramData%\hatang on Windows, or
 * $HATANG_CONFIG_DIR when set. The packaged agent never looks in the current directory.
 */
export function defaultConfigPath(): string {
  return configCandidates('agent', { local: false })[0] as string;
}

exitWith('hatang-agent', usage, main(process.argv.slice(2)));
