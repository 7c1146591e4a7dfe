import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Every command the installer runs gets this long before it is killed. */
const commandTimeoutMs = 60_000;

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command (no shell) to completion, bounded in time; a missing binary or timeout throws. */
export function runCommand(
  file: string,
  args: readonly string[],
  timeoutMs = commandTimeoutMs,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      const code = (err as { code?: unknown } | null)?.code;
      if (err && typeof code !== 'number') {
        const why = err.killed ? `killed after ${timeoutMs} ms` : err.message;
        reject(new Error(`${file} ${args.join(' ')}: ${why}`, { cause: err }));
        return;
      }
      resolve({ code: typeof code === 'number' ? code : 0, stdout, stderr });
    });
  });
}

/** Runs a command and throws, with its stderr, unless it exits 0. */
export async function mustRun(file: string, args: readonly string[]): Promise<string> {
  const r = await runCommand(file, args);
  if (r.code !== 0)
    throw new Error(`${file} ${args.join(' ')}: exit ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

export interface SystemUser {
  name: string;
  uid: number;
  gid: number;
  group: string;
}

/** The account `name` through NSS (getent), or undefined when there is none. */
export async function lookupUser(name: string): Promise<SystemUser | undefined> {
  const passwd = await runCommand('getent', ['passwd', name]);
  if (passwd.code === 2) return undefined; // getent: key not found
  if (passwd.code !== 0)
    throw new Error(`getent passwd ${name}: exit ${passwd.code}: ${passwd.stderr.trim()}`);
  const [, , uid, gid] = passwd.stdout.trim().split(':');
  const group = await runCommand('getent', ['group', String(gid)]);
  return {
    name,
    uid: Number(uid),
    gid: Number(gid),
    group: group.code === 0 ? (group.stdout.split(':')[0] ?? String(gid)) : String(gid),
  };
}

/** The arguments of `useradd` creating the agent's system account, with its own group and no login. */
export function useraddArgs(name: string, home: string): string[] {
  return [
    '--system',
    '--user-group',
    '--home-dir',
    home,
    '--no-create-home',
    '--shell',
    '/usr/sbin/nologin',
    name,
  ];
}

/** Whether systemd is this machine's init, as sd_booted(3) decides. */
export function systemdRunning(): boolean {
  return existsSync('/run/systemd/system');
}
