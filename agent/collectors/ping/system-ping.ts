import type { PingEngine, ProbeOptions, ProbeOutcome } from './engine.js';
import { decodeOutput, interpretPingOutput } from './parse-output.js';
import { runProcess } from './run-process.js';

/** How to run the OS ping for one target; one per platform, in sibling files. */
export interface PingCommand {
  command: string;
  args(address: string, options: ProbeOptions): string[];
  env?: NodeJS.ProcessEnv | undefined;
  /** Longest one process may take for these options. */
  durationMs(options: ProbeOptions): number;
}

export interface SystemPingOptions {
  concurrency: number;
  codepage?: number | undefined;
}

/**
 * The fallback engine: the OS `ping`, one process per target with at most `concurrency` running,
 * its output read by the locale-independent parser. Output that cannot be read makes that target
 * down with an `error`, never up.
 */
export function systemPingEngine(cmd: PingCommand, opts: SystemPingOptions): PingEngine {
  return {
    name: 'system',
    async probe(addresses, options, signal) {
      const unique = [...new Set(addresses)];
      const out = new Map<string, ProbeOutcome>();
      let next = 0;
      const worker = async () => {
        while (next < unique.length) {
          if (signal.aborted) throw new Error('ping: aborted', { cause: signal.reason });
          const address = unique[next++]!;
          out.set(address, await probeOne(cmd, address, options, signal, opts.codepage));
        }
      };
      const workers = Array.from({ length: Math.min(Math.max(1, opts.concurrency), unique.length) }, worker);
      await Promise.all(workers);
      return out;
    },
  };
}

async function probeOne(
  cmd: PingCommand,
  address: string,
  options: ProbeOptions,
  signal: AbortSignal,
  codepage: number | undefined,
): Promise<ProbeOutcome> {
  let result: Awaited<ReturnType<typeof runProcess>>;
  try {
    result = await runProcess(cmd.command, cmd.args(address, options), {
      timeoutMs: cmd.durationMs(options) + 5_000,
      signal,
      env: cmd.env,
      maxOutputBytes: 1024 * 1024,
    });
  } catch (err) {
    // Aborted, or no ping to run: the engine cannot work. One ping hanging (a name that takes
    // forever to resolve) is that target's problem only.
    const spawnFailed = ((err as Error).cause as NodeJS.ErrnoException | undefined)?.syscall?.startsWith(
      'spawn',
    );
    if (signal.aborted || spawnFailed) throw err;
    return { sent: options.count, received: 0, rttsMs: [], error: (err as Error).message };
  }
  const parsed = interpretPingOutput(result.stdout, { codepage });
  if (parsed.ok) return { ...parsed.probe };
  // e.g. "Ping request could not find host x." or "ping: unknown host": say it, in whatever language.
  const said = [decodeOutput(result.stdout, codepage), result.stderr.toString('utf8')]
    .flatMap((t) => t.split(/\r?\n/))
    .map((l) => l.trim())
    .find((l) => l !== '');
  return {
    sent: options.count,
    received: 0,
    rttsMs: [],
    error: `ping exited with code ${result.code}: ${parsed.reason}${said ? `: ${said}` : ''}`.slice(0, 300),
  };
}
