import { describe, expect, it } from 'vitest';
import { renderUnit, stateDirectoryName, type UnitOptions } from './unit.js';

const agencyPc: UnitOptions = {
  nodePath: '/usr/bin/node',
  cliPath: '/opt/hatang/dist/cli/hatang.js',
  configPath: '/etc/hatang/agent.yaml',
  envFile: '/etc/hatang/agent.env',
  stateDir: '/var/lib/hatang-agent',
  workingDirectory: '/opt/hatang',
  user: 'hatang',
  group: 'hatang',
  netRaw: true,
};

describe('renderUnit', () => {
  it('writes the hardened unit of a non-root agent with an ICMP collector, state under /var/lib', () => {
    expect(
      renderUnit(agencyPc),
    ).toBe(`# hatang agent. Written by \`hatang agent install\`; run it again (with --force) rather than edit.
#   config:    /etc/hatang/agent.yaml
#   token:     /etc/hatang/agent.env (HATANG_ENROLLMENT_TOKEN=..., mode 0600; needed until the agent has enrolled)
#   state:     /var/lib/hatang-agent (credential, send queue, collector state)
[Unit]
Description=hatang agent (inventory and monitoring of this machine)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=hatang
Group=hatang
EnvironmentFile=-/etc/hatang/agent.env
WorkingDirectory=/opt/hatang
ExecStart=/usr/bin/node /opt/hatang/dist/cli/hatang.js agent --config /etc/hatang/agent.yaml
# SIGTERM: finish the running collectors, keep the queue on disk.
KillSignal=SIGTERM
TimeoutStopSec=30
Restart=always
RestartSec=10
StateDirectory=hatang-agent
StateDirectoryMode=0700
UMask=0077
NoNewPrivileges=true
ProtectSystem=strict
ProtectHome=true
PrivateTmp=true
# ICMP (fping / ping) for the ping and connectivity collectors: NoNewPrivileges makes the kernel
# ignore fping's own file capability, so the service grants CAP_NET_RAW, and nothing else.
AmbientCapabilities=CAP_NET_RAW
CapabilityBoundingSet=CAP_NET_RAW

[Install]
WantedBy=multi-user.target
`);
  });

  it('writes a root unit with ReadWritePaths and no capability lines when the state dir is outside /var/lib', () => {
    const unit = renderUnit({
      ...agencyPc,
      user: 'root',
      group: 'root',
      stateDir: '/srv/hatang/state',
      nodePath: '/usr/local/bin/node',
      netRaw: true,
    });
    expect(
      unit,
    ).toBe(`# hatang agent. Written by \`hatang agent install\`; run it again (with --force) rather than edit.
#   config:    /etc/hatang/agent.yaml
#   token:     /etc/hatang/agent.env (HATANG_ENROLLMENT_TOKEN=..., mode 0600; needed until the agent has enrolled)
#   state:     /srv/hatang/state (credential, send queue, collector state)
[Unit]
Description=hatang agent (inventory and monitoring of this machine)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=root
Group=root
EnvironmentFile=-/etc/hatang/agent.env
WorkingDirectory=/opt/hatang
ExecStart=/usr/local/bin/node /opt/hatang/dist/cli/hatang.js agent --config /etc/hatang/agent.yaml
# SIGTERM: finish the running collectors, keep the queue on disk.
KillSignal=SIGTERM
TimeoutStopSec=30
Restart=always
RestartSec=10
ReadWritePaths=/srv/hatang/state
UMask=0077
NoNewPrivileges=true
ProtectSystem=strict
ProtectHome=true
PrivateTmp=true

[Install]
WantedBy=multi-user.target
`);
  });

  it('drops every capability of a non-root agent without an ICMP collector', () => {
    const unit = renderUnit({ ...agencyPc, netRaw: false });
    expect(unit).toContain('\nCapabilityBoundingSet=\n');
    expect(unit).not.toContain('AmbientCapabilities');
  });

  it('escapes % and $ so systemd reads the path as written', () => {
    const unit = renderUnit({ ...agencyPc, configPath: '/etc/hatang/50%$x.yaml' });
    expect(unit).toContain(
      'ExecStart=/usr/bin/node /opt/hatang/dist/cli/hatang.js agent --config /etc/hatang/50%%$$x.yaml\n',
    );
  });

  it('refuses a relative path, a path with a space and a bad user name, naming the option', () => {
    expect(() => renderUnit({ ...agencyPc, configPath: 'agent.yaml' })).toThrow(
      '--config: "agent.yaml" is not an absolute path',
    );
    expect(() => renderUnit({ ...agencyPc, stateDir: '/var/lib/my state' })).toThrow(
      '--state-dir: "/var/lib/my state" contains whitespace, a quote, a backslash or a control character',
    );
    expect(() => renderUnit({ ...agencyPc, user: 'Hatang Agent' })).toThrow(
      '--user: "Hatang Agent" is not a user name',
    );
  });
});

describe('stateDirectoryName', () => {
  it('gives the part under /var/lib, and nothing for other places or parent references', () => {
    expect(stateDirectoryName('/var/lib/hatang-agent')).toBe('hatang-agent');
    expect(stateDirectoryName('/var/lib/hatang/agent/')).toBe('hatang/agent');
    expect(stateDirectoryName('/var/lib')).toBeUndefined();
    expect(stateDirectoryName('/var/lib/../tmp')).toBeUndefined();
    expect(stateDirectoryName('/srv/hatang')).toBeUndefined();
  });
});
