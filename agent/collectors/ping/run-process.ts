import { spawn } from 'node:child_process';

export interface ProcessResult {
  code: number | null;
  stdout: Buffer;
  stderr: Buffer;
}

export interface RunOptions {
  /** Written to the child's stdin, which is then closed. */
  input?: string | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  /** The child is killed after this long and the run fails. */
  timeoutMs: number;
  signal: AbortSignal;
  /** Output beyond this many bytes per stream is an error (a runaway child, not ping). */
  maxOutputBytes?: number | undefined;
}

/** Grace between SIGTERM and SIGKILL for a child that ignores the first. */
const killGraceMs = 1_000;

/**
 * Runs a command to completion, collecting its raw output as bytes (the caller decodes: ping.exe
 * writes in the console's code page). Kills the child when the signal aborts or the timeout passes,
 * and rejects with a "what: why" error keeping the cause.
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: RunOptions,
): Promise<ProcessResult> {
  const what = command.split(/[\\/]/).pop() ?? command;
  const maxBytes = options.maxOutputBytes ?? 32 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    if (options.signal.aborted) {
      reject(new Error(`${what}: aborted before start`, { cause: options.signal.reason }));
      return;
    }
    const child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      windowsHide: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let failure: Error | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const kill = (why: Error) => {
      failure ??= why;
      child.kill('SIGTERM');
      killTimer ??= setTimeout(() => child.kill('SIGKILL'), killGraceMs);
    };
    const onAbort = () => kill(new Error(`${what}: aborted`, { cause: options.signal.reason }));
    const timer = setTimeout(
      () => kill(new Error(`${what}: no result within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    options.signal.addEventListener('abort', onAbort, { once: true });
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > maxBytes) kill(new Error(`${what}: more than ${maxBytes} bytes of output`));
      else into.push(chunk);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    child.stdin.on('error', () => {}); // a child that exits before reading its input is reported by 'close'
    child.stdin.end(options.input ?? '');
    const cleanup = () => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      options.signal.removeEventListener('abort', onAbort);
    };
    child.on('error', (cause) => {
      cleanup();
      reject(new Error(`${what}: cannot run ${command}`, { cause }));
    });
    child.on('close', (code) => {
      cleanup();
      if (failure) reject(failure);
      else resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
    });
  });
}
