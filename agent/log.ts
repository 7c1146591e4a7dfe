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
import { eventLogStream } from './log-event.windows.js';

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

type Sink = { level?: 'warn'; stream: { write(line: string): void } };

/**
 * pino names a logged error (`type`) by its constructor, and the packaged bundle minifies
 * constructor names (agent/package/build.ts): the error's own `name` is used instead (the agent's
 * error classes set it; built-in errors carry theirs).
 */
const serializers = {
  err(err: unknown) {
    const out = pino.stdSerializers.err(err as Error);
    if (err instanceof Error) out.type = err.name;
    return out;
  },
};

/**
 * The agent's logger: JSON lines (pino) to stderr and/or a size-rotated file, as `log:` says, and
 * on Windows with `event_log: on` its warnings and errors to the Application event log too.
 * A Windows service has no journal: the file is where its logs live.
 */
export function createAgentLogger(
  level: string,
  cfg: AgentLogConfig,
  o: { eventLog?: Omit<Parameters<typeof eventLogStream>[0], 'report'> } = {},
): Logger {
  const streams: Sink[] = [];
  if (cfg.stderr === 'on') streams.push({ stream: pino.destination({ dest: 2, sync: true }) });
  if (cfg.file) streams.push({ stream: rotatingFile(cfg.file, cfg.max_bytes, cfg.keep) });
  const logger = (sinks: Sink[]) =>
    pino(
      { name: 'hatang-agent', level, base: { pid: process.pid }, enabled: sinks.length > 0, serializers },
      pino.multistream(sinks.length > 0 ? sinks : [{ stream: { write() {} } }]),
    );
  if (cfg.event_log !== 'on') return logger(streams);
  // The event log's own troubles go to the other sinks only: reporting them to it could loop.
  const others = logger([...streams]);
  const eventLog = eventLogStream({ ...o.eventLog, report: (fields, msg) => others.warn(fields, msg) });
  return logger([...streams, { level: 'warn', stream: eventLog }]);
}
