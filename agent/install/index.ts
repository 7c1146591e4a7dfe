/**
 * `hatang agent install`: installs the agent as a systemd service on this Linux machine — the system
 * user, agent.yaml (only when absent), the token's environment file, the state dir and
 * hatang-agent.service — then enables and starts it. Windows: install-windows.ps1 beside this file.
 */
import { existsSync, realpathSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, win32 } from 'node:path';
import { isSea } from 'node:sea';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { isBundled, projectRoot } from '../../lib/version.js';
import { renderAgentConfig, serverUrl } from './config-template.js';
import { checkToken, hasToken, renderEnvFile } from './env-file.js';
import { lookupUser, mustRun, type SystemUser, systemdRunning, useraddArgs } from './system.js';
import { renderUnit, stateDirectoryName, unitName } from './unit.js';
import { installWindows } from './windows.js';

const usage = `usage: hatang agent install [options]        (Linux, as root; Windows: agent/install/install-windows.ps1)

  --config <path>       agent.yaml to use; written from a template only when absent   [/etc/hatang/agent.yaml]
  --server <url>        collector URL for a new agent.yaml; repeat for fail-over URLs (required when it is absent)
  --token <token>       the site's enrollment token, stored in the environment file (0600)
  --token-file <path>   read the token from a file instead (keeps it out of ps and shell history)
  --env-file <path>     the service's environment file                      [<config dir>/agent.env]
  --state-dir <path>    credential, queue and collector state               [agent.state_dir, or /var/lib/hatang-agent]
  --user <name>         account the agent runs as, created if missing       [hatang]
                        root gives the full inventory (serial numbers) and SMART
  --unit-dir <path>     where hatang-agent.service goes                      [/etc/systemd/system]
  --no-start            write the files only
  --dry-run             print what would be written and run; change nothing
  --force               replace a hatang-agent.service that differs from the one this would write`;

const options = {
  config: { type: 'string', default: '/etc/hatang/agent.yaml' },
  server: { type: 'string', multiple: true },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  'env-file': { type: 'string' },
  'state-dir': { type: 'string' },
  user: { type: 'string', default: 'hatang' },
  'unit-dir': { type: 'string', default: '/etc/systemd/system' },
  'no-start': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const defaultStateDir = '/var/lib/hatang-agent';
/** Where the .deb ships hatang-agent.service. */
const packagedUnitDir = '/lib/systemd/system';
/** Collector types that send ICMP and so need CAP_NET_RAW when not root. */
const icmpCollectors = new Set(['ping', 'connectivity']);

/** A refusal to go on; printed as `hatang agent install: <message>`, exit code 1. */
class InstallError extends Error {
  override name = 'InstallError';
}

interface Step {
  /** What was done, e.g. "config     /etc/hatang/agent.yaml written (0640 root:hatang)". */
  done: string;
  /** The same, said before doing it (dry run). */
  would: string;
  run?: () => Promise<void>;
}

export async function installCommand(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (err) {
    console.error(`hatang agent install: ${(err as Error).message}\n\n${usage}`);
    return 2;
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (process.platform === 'win32') return installOnWindows(values);
  try {
    const dryRun = values['dry-run'] === true;
    if (!dryRun && process.getuid?.() !== 0)
      throw new InstallError('must run as root (sudo hatang agent install ...), or try --dry-run');
    const steps = await plan(values);
    if (dryRun) console.log('dry run: nothing is changed');
    for (const step of steps) {
      if (dryRun) {
        console.log(step.would);
        continue;
      }
      await step.run?.();
      console.log(step.done);
    }
    return 0;
  } catch (err) {
    if (!(err instanceof InstallError)) throw err;
    console.error(`hatang agent install: ${err.message}`);
    return 1;
  }
}

/** Windows: agent.yaml and the token file only; the MSI (or install-windows.ps1) owns the service. */
async function installOnWindows(v: Values): Promise<number> {
  try {
    const defaultConfig = v.config === options.config.default;
    const configPath = defaultConfig
      ? win32.join(process.env.ProgramData ?? 'C:\\ProgramData', 'hatang', 'agent.yaml')
      : win32.resolve(v.config);
    const lines = await installWindows({
      configPath,
      servers: (v.server ?? []).map((s) => attempt(() => serverUrl(s))),
      token: await readToken(v),
      stateDir: v['state-dir'],
    });
    for (const line of lines) console.log(line);
    return 0;
  } catch (err) {
    console.error(`hatang agent install: ${(err as Error).message}`);
    return 1;
  }
}

function parse(argv: string[]) {
  return parseArgs({ args: argv, options, allowPositionals: false, strict: true });
}

type Values = ReturnType<typeof parse>['values'];

const fail = (message: string): never => {
  throw new InstallError(message);
};

/** Reads the current state of the machine and decides every step; writes nothing. */
async function plan(v: Values): Promise<Step[]> {
  const configPath = resolve(v.config);
  const envFile = resolve(v['env-file'] ?? join(dirname(configPath), 'agent.env'));
  // The packaged agent (agent/package/: one executable, its unit shipped in /lib/systemd/system)
  // runs itself; from a checkout, node runs dist/cli/hatang.js.
  // Bundled: node + hatang-agent.cjs on Linux (argv[1]); a single executable (SEA) on Windows.
  const packaged = isSea() || isBundled();
  const bundle = isSea() ? undefined : isBundled() ? realpathSync(process.argv[1] as string) : undefined;
  const home = packaged ? dirname(bundle ?? process.execPath) : projectRoot();
  const unitDir =
    packaged && v['unit-dir'] === options['unit-dir'].default && existsSync(join(packagedUnitDir, unitName))
      ? packagedUnitDir
      : resolve(v['unit-dir']);
  const unitPath = join(unitDir, unitName);
  const cliPath = packaged ? bundle : join(projectRoot(), 'dist', 'cli', 'hatang.js');
  // The .deb's launcher beside the bundle runs it with the runtime's memory flags: the unit runs it.
  const launcher = bundle === undefined ? undefined : join(dirname(bundle), 'hatang-agent');
  const viaLauncher = launcher !== undefined && existsSync(launcher);
  if (!packaged && cliPath && !existsSync(cliPath))
    fail(`${cliPath} missing: run \`npm run build\` in ${projectRoot()} first`);

  const token = await readToken(v);
  const servers = (v.server ?? []).map((s) => attempt(() => serverUrl(s)));

  // The config: an existing one is kept (and read for its state dir and collectors), else generated.
  const existing = await readText(configPath);
  let configText: string | undefined;
  let stateDir = v['state-dir'] === undefined ? undefined : resolve(v['state-dir']);
  let collectorTypes: string[] | undefined;
  const notes: string[] = [];
  if (existing === undefined) {
    if (servers.length === 0)
      fail(`--server <url> is required: ${configPath} does not exist yet and is written with it`);
    stateDir ??= defaultStateDir;
    configText = attempt(() => renderAgentConfig({ serverUrls: servers, stateDir: stateDir as string }));
    collectorTypes = collectorsOf(parseYaml(configText));
  } else {
    let doc: unknown;
    try {
      doc = parseYaml(existing);
    } catch (err) {
      fail(`${configPath}: not YAML (${(err as Error).message.split('\n')[0]}); fix it or move it away`);
    }
    const configured = (doc as { agent?: { state_dir?: unknown } } | null)?.agent?.state_dir;
    if (typeof configured === 'string' && configured.startsWith('/') && !configured.includes('${')) {
      if (stateDir !== undefined && stateDir !== resolve(configured)) {
        fail(
          `--state-dir ${stateDir} differs from agent.state_dir ${configured} in ${configPath}: make them agree`,
        );
      }
      stateDir = resolve(configured);
    } else {
      stateDir ??= defaultStateDir;
      notes.push(
        `note        agent.state_dir in ${configPath} is not a plain absolute path: the service may write only ${stateDir}`,
      );
    }
    collectorTypes = collectorsOf(doc);
    if (servers.length > 0)
      notes.push(`note        --server ignored: ${configPath} exists (edit server.urls there)`);
  }

  // The account.
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(v.user))
    fail(`--user: ${JSON.stringify(v.user)} is not a valid user name`);
  const found = await lookupUser(v.user);
  let user: SystemUser | undefined = found;
  const group = found?.group ?? v.user; // useradd --user-group names the group after the user
  const netRaw =
    v.user !== 'root' && (collectorTypes === undefined || collectorTypes.some((t) => icmpCollectors.has(t)));

  const unitText = attempt(() =>
    renderUnit({
      nodePath: viaLauncher ? launcher : process.execPath,
      cliPath: viaLauncher ? undefined : cliPath,
      configPath,
      envFile,
      stateDir: stateDir as string,
      workingDirectory: home,
      user: v.user,
      group,
      netRaw,
    }),
  );
  // ProtectHome=true hides these from the service: it would fail at start with a bare "No such file".
  for (const [what, path] of [
    ['node', process.execPath],
    ['the project', home],
    ['--config', configPath],
    ['--env-file', envFile],
    ['--state-dir', stateDir],
  ] as const) {
    if (/^\/(home|root|run\/user)(\/|$)/.test(path)) {
      fail(
        `${what} is ${path}, which the service cannot see (ProtectHome=true): put it under /opt, /usr, /etc or /var`,
      );
    }
  }
  const currentUnit = await readText(unitPath);
  if (currentUnit !== undefined && currentUnit !== unitText && !v.force) {
    fail(
      `${unitPath} exists and differs from the unit this install writes (${firstDifference(currentUnit, unitText)}); rerun with --force to replace it`,
    );
  }

  const steps: Step[] = [];
  /** Set by every step that writes a file the running service reads, so that it is restarted. */
  const writes = { happened: false };
  const ids = () => user ?? fail(`user ${v.user}: not found after creating it`);
  if (found) {
    const say = `user        ${v.user} exists (uid ${found.uid}, group ${found.group})`;
    steps.push({ done: say, would: say });
  } else {
    const args = useraddArgs(v.user, stateDir);
    steps.push({
      done: `user        ${v.user} created (system account, no login)`,
      would: `user        would create ${v.user}: useradd ${args.join(' ')}`,
      run: async () => {
        await mustRun('useradd', args).catch((err: Error) =>
          fail(`cannot create user ${v.user}: ${err.message}`),
        );
        user = await lookupUser(v.user);
      },
    });
  }

  if (configText !== undefined) {
    const text = configText;
    steps.push({
      done: `config      ${configPath} written (0640 root:${group})`,
      would: `config      would write ${configPath} (0640 root:${group}):\n${indent(text)}`,
      run: async () => {
        await mkdir(dirname(configPath), { recursive: true, mode: 0o755 });
        await writeSecurely(configPath, text, 0o640, 0, ids().gid);
        writes.happened = true;
      },
    });
  } else {
    const say = `config      ${configPath} exists: kept as it is`;
    steps.push({ done: say, would: say });
    const readable = await readableBy(configPath, found);
    if (readable === false) {
      notes.push(
        `warning     ${v.user} cannot read ${configPath}: chgrp ${group} ${configPath} && chmod 0640 ${configPath}`,
      );
    }
  }
  steps.push(...notes.map((n) => ({ done: n, would: n })));

  steps.push(await tokenStep(envFile, token, writes));

  const stateExists = existsSync(stateDir);
  steps.push({
    done: stateExists
      ? `state dir   ${stateDir} exists`
      : `state dir   ${stateDir} created (0700 ${v.user}:${group})`,
    would: stateExists
      ? `state dir   ${stateDir} exists`
      : `state dir   would create ${stateDir} (0700 ${v.user}:${group})`,
    run: async () => {
      if (stateExists) return;
      await mkdir(stateDir as string, { recursive: true, mode: 0o700 });
      await chown(stateDir as string, ids().uid, ids().gid);
    },
  });
  // A StateDirectory= under /var/lib is chowned by systemd itself at each start.
  if (stateExists && found && !stateDirectoryName(stateDir) && (await stat(stateDir)).uid !== found.uid) {
    const n = `warning     ${stateDir} is not owned by ${v.user}: chown -R ${v.user}:${group} ${stateDir}`;
    steps.push({ done: n, would: n });
  }

  const unitChanged = currentUnit !== unitText;
  steps.push({
    done: !unitChanged
      ? `unit        ${unitPath} unchanged`
      : `unit        ${unitPath} ${currentUnit === undefined ? 'written' : 'replaced (--force)'}`,
    would: !unitChanged
      ? `unit        ${unitPath} unchanged`
      : `unit        would write ${unitPath}:\n${indent(unitText)}`,
    run: async () => {
      if (!unitChanged) return;
      await mkdir(dirname(unitPath), { recursive: true, mode: 0o755 });
      await writeSecurely(unitPath, unitText, 0o644, 0, 0);
      writes.happened = true;
    },
  });

  steps.push(serviceStep(v, writes));
  return steps;
}

/** The last step: enable and (re)start the service, or say exactly what to run. */
function serviceStep(v: Values, writes: { happened: boolean }): Step {
  const commands = 'systemctl daemon-reload && systemctl enable --now hatang-agent';
  if (v['no-start']) {
    const say = `service     not started (--no-start); to start it: ${commands}`;
    return { done: say, would: say };
  }
  if (!systemdRunning()) {
    const say = `service     not started: systemd is not running on this machine (no /run/systemd/system); on a systemd machine run: ${commands}`;
    return { done: say, would: say };
  }
  return {
    done: 'service     hatang-agent enabled and running (journalctl -u hatang-agent; hatang agent status)',
    would: `service     would run: ${commands} (and restart it if it was running with other files)`,
    run: async () => {
      try {
        await mustRun('systemctl', ['daemon-reload']);
        await mustRun('systemctl', ['enable', 'hatang-agent']);
        await mustRun('systemctl', [writes.happened ? 'restart' : 'start', 'hatang-agent']);
      } catch (err) {
        fail(`the files are in place but the service did not start: ${(err as Error).message}`);
      }
    },
  };
}

async function tokenStep(
  envFile: string,
  token: string | undefined,
  writes: { happened: boolean },
): Promise<Step> {
  const current = await readText(envFile);
  if (token === undefined) {
    const say =
      current !== undefined && hasToken(current)
        ? `token       ${envFile} exists: kept`
        : `token       none given (--token or --token-file): an agent not yet enrolled cannot enroll; add HATANG_ENROLLMENT_TOKEN=... to ${envFile} (0600)`;
    return { done: say, would: say };
  }
  const text = renderEnvFile(current ?? '', token);
  const mode = current === undefined ? undefined : (await stat(envFile)).mode & 0o777;
  if (text === current && mode === 0o600) {
    const say = `token       ${envFile} unchanged`;
    return { done: say, would: say };
  }
  return {
    done: `token       ${envFile} ${current === undefined ? 'written' : 'updated'} (0600 root:root)`,
    would: `token       would write HATANG_ENROLLMENT_TOKEN=<${token.length} characters> to ${envFile} (0600 root:root)`,
    run: async () => {
      await mkdir(dirname(envFile), { recursive: true, mode: 0o755 });
      await writeSecurely(envFile, text, 0o600, 0, 0);
      writes.happened = true;
    },
  };
}

async function readToken(v: Values): Promise<string | undefined> {
  if (v.token !== undefined && v['token-file'] !== undefined) fail('give --token or --token-file, not both');
  let token = v.token;
  if (v['token-file'] !== undefined) {
    const text = await readText(resolve(v['token-file']));
    if (text === undefined) fail(`--token-file ${v['token-file']}: no such file`);
    token = (text as string).trim();
  }
  return token === undefined ? undefined : attempt(() => checkToken(token as string));
}

/** Turns a validation error of the pure helpers into an InstallError (exit 1, no stack). */
function attempt<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw new InstallError((err as Error).message);
  }
}

function collectorsOf(doc: unknown): string[] | undefined {
  const list = (doc as { collectors?: unknown } | null)?.collectors;
  if (!Array.isArray(list)) return undefined;
  return list.map((c) => String((c as { type?: unknown } | null)?.type));
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InstallError(
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** Whether `user` may read `file` by its owner, group and mode (undefined: cannot tell yet). */
async function readableBy(file: string, user: SystemUser | undefined): Promise<boolean | undefined> {
  if (!user) return undefined;
  if (user.uid === 0) return true;
  const s = await stat(file);
  if (s.uid === user.uid) return (s.mode & 0o400) !== 0;
  if (s.gid === user.gid) return (s.mode & 0o040) !== 0;
  return (s.mode & 0o004) !== 0;
}

/** Writes a file whole (temporary file, then rename) with its mode and owner set before it appears. */
async function writeSecurely(
  file: string,
  text: string,
  mode: number,
  uid: number,
  gid: number,
): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode, flag: 'w' });
  await chmod(tmp, mode); // the umask may have taken bits away
  await chown(tmp, uid, gid);
  await rename(tmp, file);
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `    | ${l}`)
    .join('\n');
}

function firstDifference(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] !== y[i])
      return `line ${i + 1}: ${JSON.stringify(x[i] ?? '')} here, ${JSON.stringify(y[i] ?? '')} expected`;
  }
  return 'same lines';
}
