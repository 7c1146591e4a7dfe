import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../lib/version.js';

/** The built CLI the README runs; `npm test` builds it before vitest starts. */
export const cliPath = join(projectRoot(), 'dist', 'cli', 'hatang.js');

export interface HatangProcess {
  child: ChildProcess;
  output: () => string;
  /** stdout alone (e.g. a credential printed while the notes go to stderr). */
  stdout: () => string;
  exited: Promise<number | null>;
  /** SIGTERM (or `signal`), then SIGKILL after 15 s; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs `hatang <args>` as a real process (in `o.cwd` when given), capturing stdout and stderr together. */
export function spawnHatang(
  args: string[],
  env: Record<string, string> = {},
  o: { cwd?: string } = {},
): HatangProcess {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} missing: run \`npm run build\` (npm test does)`);
  const child = spawn(process.execPath, [cliPath, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(o.cwd ? { cwd: o.cwd } : {}),
  });
  let out = '';
  let stdout = '';
  child.stdout?.on('data', (d) => {
    out += d;
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    stdout: () => stdout,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(killer);
      }
      return exited;
    },
  };
}

/** Runs `hatang <args>` to completion (bounded by `timeoutMs`). */
export async function runHatang(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
  o: { cwd?: string } = {},
) {
  const p = spawnHatang(args, env, o);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, output: p.output(), stdout: p.stdout() };
}
