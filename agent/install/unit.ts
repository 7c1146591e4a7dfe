import { isAbsolute } from 'node:path';

/** Everything the systemd unit of the agent depends on; all paths absolute. */
export interface UnitOptions {
  /** The node binary, e.g. process.execPath (/usr/bin/node). */
  nodePath: string;
  /**
   * The built CLI, <project>/dist/cli/hatang.js; absent when `nodePath` is the packaged agent
   * (a single executable or the .deb's launcher script, agent/package/), which runs the agent given
   * only `--config`.
   */
  cliPath?: string | undefined;
  configPath: string;
  envFile: string;
  stateDir: string;
  /** Where relative paths in agent.yaml resolve (the project root, as when run by hand). */
  workingDirectory: string;
  user: string;
  group: string;
  /**
   * Give a non-root agent CAP_NET_RAW, for an ICMP collector (ping, connectivity); ignored for root.
   * NoNewPrivileges makes the kernel ignore fping's own file capability (setcap cap_net_raw), so the
   * capability has to come from the unit instead.
   */
  netRaw: boolean;
}

export const unitName = 'hatang-agent.service';

/** A path as a unit file takes it: absolute, no whitespace, quotes or control characters; `%` escaped. */
export function unitPath(what: string, path: string): string {
  if (!isAbsolute(path)) throw new Error(`${what}: ${JSON.stringify(path)} is not an absolute path`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\s"'\\\x00-\x1f\x7f]/.test(path)) {
    throw new Error(
      `${what}: ${JSON.stringify(path)} contains whitespace, a quote, a backslash or a control character`,
    );
  }
  // `%` starts a specifier in every unit setting; `$` expands a variable in Exec lines.
  return path.replaceAll('%', '%%').replaceAll('$', '$$$$');
}

/**
 * The directory under /var/lib that systemd's StateDirectory= can manage for `stateDir` (created and
 * chowned to the service user at each start), or undefined when the state dir lives elsewhere.
 */
export function stateDirectoryName(stateDir: string): string | undefined {
  const m = /^\/var\/lib\/([^/].*?)\/?$/.exec(stateDir);
  return m?.[1]?.split('/').includes('..') ? undefined : m?.[1];
}

/**
 * The text of hatang-agent.service. Pure: the same options always give the same bytes, so a second
 * install can tell "unchanged" from "edited by someone".
 *
 * @example
 * renderUnit({ nodePath: '/usr/bin/node', cliPath: '/opt/hatang/dist/cli/hatang.js',
 *   configPath: '/etc/hatang/agent.yaml', envFile: '/etc/hatang/agent.env',
 *   stateDir: '/var/lib/hatang-agent', workingDirectory: '/opt/hatang',
 *   user: 'hatang', group: 'hatang', netRaw: true });
 */
export function renderUnit(o: UnitOptions): string {
  const node = unitPath('node path', o.nodePath);
  const command = o.cliPath === undefined ? node : `${node} ${unitPath('hatang CLI path', o.cliPath)} agent`;
  const config = unitPath('--config', o.configPath);
  const envFile = unitPath('--env-file', o.envFile);
  const stateDir = unitPath('--state-dir', o.stateDir);
  const workDir = unitPath('working directory', o.workingDirectory);
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(o.user))
    throw new Error(`--user: ${JSON.stringify(o.user)} is not a user name`);
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(o.group))
    throw new Error(`group: ${JSON.stringify(o.group)} is not a group name`);
  const managed = stateDirectoryName(o.stateDir);
  const lines = [
    '# hatang agent. Written by `hatang agent install`; run it again (with --force) rather than edit.',
    `#   config:    ${config}`,
    `#   token:     ${envFile} (HATANG_ENROLLMENT_TOKEN=..., mode 0600; needed until the agent has enrolled)`,
    `#   state:     ${stateDir} (credential, send queue, collector state)`,
    '[Unit]',
    'Description=hatang agent (inventory and monitoring of this machine)',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `User=${o.user}`,
    `Group=${o.group}`,
    // "-": the file may be absent once the agent has enrolled and the token was removed.
    `EnvironmentFile=-${envFile}`,
    `WorkingDirectory=${workDir}`,
    `ExecStart=${command} --config ${config}`,
    '# SIGTERM: finish the running collectors, keep the queue on disk.',
    'KillSignal=SIGTERM',
    'TimeoutStopSec=30',
    'Restart=always',
    'RestartSec=10',
    ...(managed
      ? [`StateDirectory=${managed.replaceAll('%', '%%')}`, 'StateDirectoryMode=0700']
      : [`ReadWritePaths=${stateDir}`]),
    'UMask=0077',
    'NoNewPrivileges=true',
    'ProtectSystem=strict',
    'ProtectHome=true',
    'PrivateTmp=true',
    // root keeps its capabilities: full inventory (dmidecode serials) and SMART need them.
    ...(o.user === 'root'
      ? []
      : o.netRaw
        ? [
            '# ICMP (fping / ping) for the ping and connectivity collectors: NoNewPrivileges makes the kernel',
            "# ignore fping's own file capability, so the service grants CAP_NET_RAW, and nothing else.",
            'AmbientCapabilities=CAP_NET_RAW',
            'CapabilityBoundingSet=CAP_NET_RAW',
          ]
        : ['CapabilityBoundingSet=']),
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ];
  return lines.join('\n');
}
