#!/usr/bin/env node
import { createLogger } from '../lib/log.js';
import { hatangVersion } from '../lib/version.js';
import { exitWith } from './exit.js';

const usage = `hatang ${hatangVersion()} — infrastructure inventory and monitoring

usage:
  hatang server [--config server.yaml] [--check]
  hatang agent  [--config agent.yaml] [--once] [--check]
  hatang agent status [--config agent.yaml]
  hatang agent install --server <url> --token-file <file> [--config /etc/hatang/agent.yaml] [--user hatang]
                                   systemd unit, config and token file in one step (agent/install/README.md)
  hatang token new                 print a new enrollment token and the hash for server.yaml
  hatang token hash <token>        print the sha256 of an existing token
  hatang token issue --role auditor|admin|poller --subject <name> [--site <id>] [--expires 30d] [--config server.yaml]
  hatang endpoints import <file.csv> [--out config/endpoints.yaml [--force]]
                                   turn an operator's spreadsheet into the endpoint registry
                                   (an existing --out: lists the changes, replaced only with --force)
  hatang endpoints check [config/endpoints.yaml]
  hatang assets import <file.csv> [--out config/assets.yaml] [--site id] [--config server.yaml]
                                   turn an agency's machine list into the asset register (snapshot denominators)
  hatang assets check <config/assets.yaml|file.csv> [--config server.yaml]
  hatang readiness [--config server.yaml] [--datacenter file] [--site id] [--json] [--lang vi|en]
                                   TIA-942 readiness self-assessment (not a certification), evaluated now
  hatang snapshot verify <bundle.zip> [--public-key <file>]... [--json]
                                   check a compliance snapshot's signature and files offline
                                   (exit 0 valid, 1 invalid, 2 usage, 3 unreadable; --help for more)
  hatang snapshot create --from <date> --to <date> [--scope <site>]... [--lang vi|en] [--out file.zip]
                                   make, sign and keep a compliance snapshot with the server's config
  hatang snapshot list | keys list|rotate | audit-log [--format csv]   kept snapshots, signing keys, audit log
  hatang config schema agent|server|datacenter [--out file]
                                   JSON Schema of a config file, for editors
  hatang demo [--once] [--keep]    local InfluxDB, server and agent on loopback (hatang demo --help)
  hatang dashboards build|check [--lang vi|en|all] [--out dashboards/build]   Grafana dashboards, alerts, provisioning

Without --config, agent.yaml / server.yaml is looked for in ./config/ (a checkout of the project),
then in /etc/hatang/ where the packages and systemd units put it ($HATANG_CONFIG_DIR instead, when set);
a \${NAME} the shell does not set is read from the EnvironmentFile beside it (server.env, agent.env).
Configs are YAML, validated at start; every problem is listed with file:line:col.`;

type Command = (argv: string[]) => Promise<number>;

/** Subcommands, a plain map: adding one is one line. Each module is loaded only when used. */
const commands: Record<string, Command> = {
  server: async (argv) => (await import('./server-command.js')).serverCommand(argv),
  agent: async (argv) => (await import('./agent-command.js')).agentCommand(argv),
  token: async (argv) => (await import('./token-command.js')).tokenCommand(argv),
  demo: async (argv) => (await import('./demo-command.js')).demoCommand(argv),
  dashboards: async (argv) => (await import('../dashboards/cli.js')).dashboardsCommand(argv),
  endpoints: async (argv) => (await import('../lib/endpoints/cli.js')).endpointsCommand(argv),
  assets: async (argv) => (await import('../lib/assets/cli.js')).assetsCommand(argv),
  config: async (argv) => (await import('./config-command.js')).configCommand(argv),
  readiness: async (argv) => (await import('./readiness-command.js')).readinessCommand(argv),
  snapshot: async (argv) => (await import('./snapshot-command.js')).snapshotCommand(argv),
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage);
    return name ? 0 : 2;
  }
  if (name === '--version') {
    console.log(hatangVersion());
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`hatang: unknown command "${name}"\n\n${usage}`);
    return 2;
  }
  return command(rest);
}

exitWith('hatang', usage, main(process.argv.slice(2)), (err) =>
  createLogger('hatang').fatal({ err }, 'hatang failed'),
);
