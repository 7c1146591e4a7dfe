/** Where the .deb puts things, and its control file and maintainer scripts (pure, tested as text). */
export const debPaths = {
  /** Relative to the package root: the Node runtime, the bundled agent and the script running both. */
  node: 'usr/lib/hatang-agent/node',
  bundle: 'usr/lib/hatang-agent/hatang-agent.cjs',
  launcher: 'usr/lib/hatang-agent/hatang-agent',
  unit: 'lib/systemd/system/hatang-agent.service',
  config: '/etc/hatang/agent.yaml',
  envFile: '/etc/hatang/agent.env',
  stateDir: '/var/lib/hatang-agent',
  user: 'hatang',
} as const;

/** DEBIAN/control of hatang-agent. */
export function debControl(o: { version: string; installedSizeKiB: number }): string {
  if (!/^[0-9][A-Za-z0-9.+~-]*$/.test(o.version))
    throw new Error(`deb version: ${JSON.stringify(o.version)} is not a Debian version`);
  return `Package: hatang-agent
Version: ${o.version}
Architecture: amd64
Maintainer: hatang <hatang@localhost>
Installed-Size: ${o.installedSizeKiB}
Section: admin
Priority: optional
Depends: adduser | passwd
Recommends: fping
Description: hatang agent: inventory and monitoring of this machine
 The hatang agent, bundled in one file, with its own Node.js runtime: it needs no Node
 installed. After installing the package, one step enrolls it and starts the service:
   hatang-agent install --server https://<collector>:8443 --token-file <file>
`;
}

/**
 * postinst creates the system user and, on upgrade, restarts a running agent (its queue and
 * credential stay in the state dir); prerm stops the service on removal; postrm --purge removes
 * the state dir and the token file. The config is the operator's: it is never removed.
 */
export function debMaintainerScripts(): Record<'postinst' | 'prerm' | 'postrm', string> {
  const { user, stateDir, config, envFile } = debPaths;
  return {
    postinst: `#!/bin/sh
set -e
if [ "$1" = configure ]; then
  if ! getent passwd ${user} >/dev/null; then
    useradd --system --user-group --home-dir ${stateDir} --no-create-home --shell /usr/sbin/nologin ${user}
  fi
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload || true
    if systemctl is-active --quiet hatang-agent; then systemctl restart hatang-agent || true; fi
  fi
  if [ ! -f ${config} ]; then
    echo "hatang-agent: one step left: hatang-agent install --server https://<collector>:8443 --token-file <file>"
  fi
fi
exit 0
`,
    prerm: `#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
  systemctl disable --now hatang-agent >/dev/null 2>&1 || true
fi
exit 0
`,
    postrm: `#!/bin/sh
set -e
if [ "$1" = purge ]; then
  rm -rf ${stateDir} ${envFile}
fi
if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
exit 0
`,
  };
}
