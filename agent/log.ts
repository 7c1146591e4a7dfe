import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { type Logger, pino } from 'pino';
import type { AgentConfig } from './config.js';

/** The `log:` section of agent.yaml after validation. */
export type AgentLogConfig = AgentConfig['log'];

/**
 * A log file that rotates by size: when a write would take it past `maxBytes`, `agent.log` becomes
 * `agent.log.1` (`.1` becomes `.2`, …, the oldest beyond `keep` is deleted) and a new file starts.
 * Writes are synchronous: an agent logs a few lines a minute, and a line must not be lost when a
 * Windows service is stopped.
 */
export function rotatingFile(file: string, maxBytes: number, keep: number): { write(line: string): void } {
  mkdirSync(dirname(file), { recursive: true });
  let fd = openSync(file, 'a', 0o640);
  let size = fstatSync(fd).size;
  const rotate = () => {
    closeSync(fd);
    rmSync(`${file}.${keep}`, { force: true });
    for (let i = keep - 1; i >= 1; i--) {
      if (existsSync(`${file}.${i}`)) renameSync(`${file}.${i}`, `${file}.${i + 1}`);
    }
    renameSync(file, `${file}.1`);
    fd = openSync(file, 'a', 0o640);
    size = 0;
  };
  return {
    write(line: string) {
      const bytes = Buffer.byteLength(line);
      if (size > 0 && size + bytes > maxBytes) rotate();
      writeSync(fd, line);
      size += bytes;
    },
  };
}

/**
 * The agent's logger: JSON lines (pino) to stderr and/or a size-rotated file, as `log:` says.
 * A Windows service has no journal: the file is where its logs live.
 */
export function createAgentLogger(level: string, cfg: AgentLogConfig): Logger {
  const streams: { stream: { write(line: string): void } }[] = [];
  if (cfg.stderr === 'on') streams.push({ stream: pino.destination({ dest: 2, sync: true }) });
  if (cfg.file) streams.push({ stream: rotatingFile(cfg.file, cfg.max_bytes, cfg.keep) });
  return pino(
    { name: 'hatang-agent', level, base: { pid: process.pid }, enabled: streams.length > 0 },
    pino.multistream(streams.length > 0 ? streams : [{ stream: { write() {} } }]),
  );
}
