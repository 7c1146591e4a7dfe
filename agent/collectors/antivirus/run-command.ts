import { spawn } from 'node:child_process';

/** What a finished command gave back. */
export interface CommandResult {
  stdout: string;
  stderr: string;
  /** null when the process was killed by a signal. */
  exitCode: number | null;
}

/** The command did not finish within its own timeout (the run as a whole was not aborted). */
export class CommandTimeoutError extends Error {
  constructor(what: string, timeoutMs: number) {
    super(`${what}: no answer within ${timeoutMs} ms`);
    this.name = 'CommandTimeoutError';
  }
}

export interface RunOptions {
  /** The run's signal: when it aborts, the child is killed and the abort reason is thrown. */
  signal: AbortSignal;
  timeoutMs: number;
  /** Output beyond this is cut off (a runaway command must not fill memory). */
  maxOutputBytes?: number;
}

/**
 * Runs a program without a shell, collecting stdout/stderr as UTF-8. Resolves with the exit code even
 * when it is not 0 (the caller decides what a failure means); rejects when the program cannot be
 * started, with CommandTimeoutError after `timeoutMs`, or with the abort reason when `signal` aborts.
 * The child is killed in the last two cases.
 */
export function runCommand(file: string, args: readonly string[], o: RunOptions): Promise<CommandResult> {
  const max = o.maxOutputBytes ?? 1024 * 1024;
  return new Promise((resolve, reject) => {
    if (o.signal.aborted) {
      reject(o.signal.reason);
      return;
    }
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal.removeEventListener('abort', onAbort);
      fn();
    };
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const onAbort = () => {
      kill();
      finish(() => reject(o.signal.reason));
    };
    const timer = setTimeout(() => {
      kill();
      finish(() => reject(new CommandTimeoutError(file, o.timeoutMs)));
    }, o.timeoutMs);
    o.signal.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (b: Buffer) => {
      if (outBytes < max) out.push(b.subarray(0, max - outBytes));
      outBytes += b.length;
    });
    child.stderr.on('data', (b: Buffer) => {
      if (errBytes < max) err.push(b.subarray(0, max - errBytes));
      errBytes += b.length;
    });
    child.on('error', (cause) => finish(() => reject(new Error(`${file}: cannot start`, { cause }))));
    child.on('close', (code) =>
      finish(() =>
        resolve({
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
          exitCode: code,
        }),
      ),
    );
  });
}
