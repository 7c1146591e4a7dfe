import { existsSync } from 'node:fs';
import { fpingEngine } from './fping.js';
import type { ReportedRtt } from './parse-output.js';
import { systemPingEngine } from './system-ping.js';
import { unixPingCommand } from './system-ping.unix.js';
import { windowsPingCommand } from './system-ping.windows.js';

/** How one cycle probes each target. */
export interface ProbeOptions {
  /** Echo requests per target. */
  count: number;
  /** Time between two echoes to the same target (fping -p, ping -i). */
  periodMs: number;
  /** Time between any two echoes sent (fping -i): the global packet rate. */
  packetIntervalMs: number;
  /** How long to wait for each reply (fping -t, ping -W / -w). */
  timeoutMs: number;
}

/** What came back from one target. `error` says why the probe itself failed (the target counts as down). */
export interface ProbeOutcome {
  sent: number;
  received: number;
  rttsMs: number[];
  reported?: ReportedRtt | undefined;
  error?: string | undefined;
}

/**
 * Sends echoes to many targets and reports per address. A target that does not answer is an
 * outcome with received=0; a rejected promise means the engine itself cannot run.
 */
export interface PingEngine {
  readonly name: 'fping' | 'system';
  probe(
    addresses: readonly string[],
    options: ProbeOptions,
    signal: AbortSignal,
  ): Promise<Map<string, ProbeOutcome>>;
}

export type EngineChoice = 'auto' | 'fping' | 'system';

export interface EngineConfig {
  engine: EngineChoice;
  fping_path: string;
  /** Parallel `ping` processes of the system engine. */
  concurrency: number;
  /** Windows console code page of ping.exe's output (guessed when absent). */
  codepage?: number | undefined;
}

/**
 * The one place an engine is chosen. fping (one process for thousands of targets, locale-free
 * output) wherever it is installed; otherwise the OS `ping`, one process per target, whose output
 * is parsed without relying on its language. Windows always uses ping.exe.
 */
export function chooseEngine(cfg: EngineConfig, platform: NodeJS.Platform = process.platform): PingEngine {
  const command = platform === 'win32' ? windowsPingCommand : unixPingCommand;
  const system = () => systemPingEngine(command, { concurrency: cfg.concurrency, codepage: cfg.codepage });
  switch (cfg.engine) {
    case 'fping':
      return fpingEngine(cfg.fping_path);
    case 'system':
      return system();
    case 'auto':
      return platform !== 'win32' && existsSync(cfg.fping_path) ? fpingEngine(cfg.fping_path) : system();
  }
}
