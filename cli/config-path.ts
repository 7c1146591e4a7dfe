import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve, win32 } from 'node:path';
import { ConfigError } from '../lib/config.js';

export type ConfigName = 'agent' | 'server';

export interface ConfigLookup {
  /** Where HATANG_CONFIG_DIR and ProgramData are read; defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** The working directory `config/<name>.yaml` is relative to; defaults to process.cwd(). */
  cwd?: string;
  platform?: NodeJS.Platform;
  /** Whether `./config/<name>.yaml` (a checkout of the project) is a candidate; the packaged agent says no. */
  local?: boolean;
}

/**
 * Where installed configs live: `$HATANG_CONFIG_DIR` when set, else /etc/hatang (the systemd units'
 * `--config /etc/hatang/agent.yaml` and `/etc/hatang/server.yaml`), `%ProgramData%\hatang` on Windows.
 */
export function systemConfigDir(o: Pick<ConfigLookup, 'env' | 'platform'> = {}): string {
  const env = o.env ?? process.env;
  if (env.HATANG_CONFIG_DIR) return env.HATANG_CONFIG_DIR;
  return (o.platform ?? process.platform) === 'win32'
    ? win32.join(env.ProgramData ?? 'C:\\ProgramData', 'hatang')
    : '/etc/hatang';
}

/**
 * The files looked at, in order, when no `--config` is given: the checkout's `config/<name>.yaml`
 * (what the README runs from the project folder), then the installed `<system dir>/<name>.yaml`.
 *
 * @example
 * configCandidates('agent', { cwd: '/root', env: {} }) // ['/root/config/agent.yaml', '/etc/hatang/agent.yaml']
 */
export function configCandidates(name: ConfigName, o: ConfigLookup = {}): string[] {
  const platform = o.platform ?? process.platform;
  const dir = systemConfigDir(o);
  const installed = platform === 'win32' ? win32.join(dir, `${name}.yaml`) : join(dir, `${name}.yaml`);
  if (o.local === false) return [installed];
  return [resolve(o.cwd ?? process.cwd(), 'config', `${name}.yaml`), installed];
}

export interface FoundConfig {
  file: string;
  /** `given` by --config, or `found` by looking at the candidates (then say which one was used). */
  how: 'given' | 'found';
}

/**
 * The config file a command uses: `--config` when given (even if missing: loading it says so),
 * else the first candidate that exists. Throws a ConfigError naming every place looked at.
 */
export function findConfig(name: ConfigName, given: string | undefined, o: ConfigLookup = {}): FoundConfig {
  if (given !== undefined) return { file: given, how: 'given' };
  const candidates = configCandidates(name, o);
  const file = candidates.find((f) => existsSync(f));
  if (file) return { file, how: 'found' };
  throw new ConfigError(`${name}.yaml`, [
    `not found: looked at ${candidates.join(', ')}; pass --config <file> or set HATANG_CONFIG_DIR to the folder holding ${name}.yaml`,
  ]);
}

/**
 * "config: /etc/hatang/agent.yaml" on stderr when the file was found rather than given, and
 * "environment: …" when an EnvironmentFile beside it was read ({@link configEnv}).
 */
export function sayWhichConfig(found: FoundConfig, envFile?: string): void {
  if (found.how === 'found') console.error(`config: ${found.file}`);
  if (envFile)
    console.error(`environment: ${envFile} (the \${NAME}s of ${found.file} this shell does not set)`);
}

/** `KEY=VALUE` lines of a systemd EnvironmentFile (comments, blank lines, `export`, quotes allowed). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || line.trimStart().startsWith('#')) continue;
    const [, key, raw] = m as unknown as [string, string, string];
    out[key] = /^(["']).*\1$/.test(raw) ? raw.slice(1, -1) : raw;
  }
  return out;
}

/**
 * The environment a config's `${NAME}` are read from: this process's, over the variables of the
 * EnvironmentFile beside it (`/etc/hatang/server.env` for `/etc/hatang/server.yaml`), which the
 * systemd unit loads but an operator's shell does not. So `hatang token issue` on the installed
 * machine finds HATANG_SIGNING_KEY as the service does; `file` is the one read, when it supplied a
 * variable the shell does not set.
 */
export function configEnv(
  configFile: string,
  env: Record<string, string | undefined> = process.env,
): { env: Record<string, string | undefined>; file?: string } {
  const file = join(dirname(configFile), `${basename(configFile, extname(configFile))}.env`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { env };
  }
  const fromFile = parseEnvFile(text);
  // Named as read only when it supplied something the shell did not already set.
  const used = Object.keys(fromFile).some((name) => env[name] === undefined);
  return { env: { ...fromFile, ...env }, ...(used ? { file } : {}) };
}
