import { isAbsolute } from 'node:path';

export interface AgentConfigTemplateOptions {
  /** Collector base URLs, tried in order. */
  serverUrls: readonly string[];
  stateDir: string;
  /** Read the token from this file (`${file:...}`) instead of HATANG_ENROLLMENT_TOKEN (Windows). */
  tokenFile?: string;
  /** Write the log to this file too (Windows: a service has no journal). */
  logFile?: string;
}

/** Checks a --server value: an http(s) URL without credentials, returned without a trailing slash. */
export function serverUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(
      `--server: ${JSON.stringify(value)} is not a URL (example: https://hatang.tinh.gov.vn:8443)`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`--server: ${JSON.stringify(value)} must start with https:// or http://`);
  }
  if (url.username || url.password)
    throw new Error(`--server: ${JSON.stringify(value)} must not carry a user or password`);
  return url.href.replace(/\/+$/, '');
}

/** A YAML scalar: plain when that cannot be misread, otherwise double-quoted (JSON is valid YAML). */
function scalar(s: string): string {
  return /^[A-Za-z0-9/_.][A-Za-z0-9/_.:%@+~-]*$/.test(s) ? s : JSON.stringify(s);
}

/**
 * agent.yaml for a freshly installed agency PC, mirroring config/agent.example.yaml: the same
 * sections and defaults, the given server URLs and state dir, the token from the environment file,
 * and the collectors an agency PC runs (host, inventory, antivirus, connectivity).
 */
export function renderAgentConfig(o: AgentConfigTemplateOptions): string {
  if (o.serverUrls.length === 0) throw new Error('--server: at least one collector URL is needed');
  if (!isAbsolute(o.stateDir))
    throw new Error(`--state-dir: ${JSON.stringify(o.stateDir)} is not an absolute path`);
  return `# hatang agent configuration, written by \`hatang agent install\` (from config/agent.example.yaml).
# Edit freely: the installer never overwrites this file. Check it with
#   hatang agent --check --config <this file>
# Every key is checked at start; problems are listed with file:line:col.

agent:
  state_dir: ${scalar(o.stateDir)} # credential (0600), send queue, collector state
  # hostname: pc-kt-07             # default: the OS hostname
  log_level: info

server:
  urls:                            # tried in order; the next one is used when one fails
${o.serverUrls.map((u) => `    - ${scalar(serverUrl(u))}`).join('\n')}
${tokenLines(o.tokenFile)}
  # ca_file: /etc/hatang/ca.pem    # trust a private CA
  request_timeout: 15s             # a whole request: connect (at most 10s), send, the complete answer

queue:
  max_bytes: 64MiB                 # on-disk queue; when full the oldest points are dropped and counted
  batch_max_points: 1000
  send_interval: 5s
  backoff_max: 5m                  # longest wait between retries while no collector answers
  rejected_max_bytes: 16MiB        # queue/rejected/ (refused and damaged batches) keeps its newest files
  rejected_max_files: 1000

${logLines(o.logFile)}

health_interval: 60s               # agent_health: queue depth, dropped (by reason), refused and damaged points

collectors:
  - type: host                     # CPU, memory, disks, uptime
    interval: 30s
  - type: inventory                # hardware and OS; written on change, re-asserted every 6h
    interval: 15m                  # serial numbers need the agent to run as root (--user root)
  - type: antivirus                # ClamAV / Defender state and signature age
    interval: 15m
  - type: connectivity             # ICMP to the default gateway (add datacenter: <address>, dns: ...)
    interval: 60s
`;
}

function tokenLines(tokenFile: string | undefined): string {
  if (tokenFile !== undefined) {
    return `  # Needed only for the first start: the agent enrolls and stores its own credential. The token
  # file is readable by SYSTEM and Administrators only.
  enrollment_token: ${scalar(`\${file:${tokenFile}}`)}`;
  }
  return `  # Needed only for the first start: the agent enrolls, stores its own credential and never needs
  # the token again. The service reads it from its environment file (agent.env, mode 0600); \`:-\`
  # lets the variable be unset once enrolled.
  enrollment_token: \${HATANG_ENROLLMENT_TOKEN:-}`;
}

function logLines(logFile: string | undefined): string {
  // A Windows service's stderr is NSSM's service-output.log: the agent's own file is enough there.
  return `log:                               # JSON lines; under systemd stderr goes to the journal
  stderr: ${logFile === undefined ? '"on"' : '"off"'}
  ${logFile === undefined ? '# file: /var/log/hatang/agent.log' : `file: ${scalar(logFile)}`}
  max_bytes: 10MiB                 # the file is rotated past this size
  keep: 3                          # agent.log.1 … agent.log.3${
    logFile === undefined
      ? ''
      : `
  # event_log: "on"                # also warnings and errors to the Application event log (source hatang-agent)`
  }`;
}
