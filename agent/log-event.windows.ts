import { spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * The Windows Event Log as a sink of the agent's log (`log.event_log: on`): each warning and error
 * becomes an event in the Application log under the source `hatang-agent`, written by Windows' own
 * `eventcreate.exe` (no native module in the agent). eventcreate creates the source on first use
 * when run as an administrator or LocalSystem (the service's account) and afterwards writes only to
 * sources it created itself (a source registered otherwise is refused as "not a custom source").
 *
 * Bounded so the Event Log can never hold the agent up: at most `maxPerMinute` events a minute (the
 * rest of that minute's go to the other sinks only, said once in them), each eventcreate killed
 * after `timeoutMs`, nothing awaited, nothing thrown. A failure to run eventcreate (missing, as
 * under Wine, or refused) is reported once to the other sinks; one it cannot even start stops the
 * sink for the life of the process.
 */
export interface EventLogOptions {
  /** Where the sink's own problems go: the file and stderr logs, never this sink. */
  report: (fields: Record<string, unknown>, msg: string) => void;
  /** Default: `%SystemRoot%\System32\eventcreate.exe` (not looked up on PATH). */
  command?: { file: string; args?: readonly string[] };
  source?: string;
  maxPerMinute?: number;
  timeoutMs?: number;
  now?: () => number;
}

export const eventLogSource = 'hatang-agent';
/** eventcreate refuses IDs outside 1–1000 (Microsoft's eventcreate reference). */
const eventIdRange = { min: 1, max: 1000 };
/**
 * Microsoft documents no limit for /D; a whole command line is at most 32,767 UTF-16 units and one
 * event string at most 31,839 characters. Longer descriptions are cut here, far below both.
 */
export const maxDescriptionChars = 2_000;
/** pino's record keys that the event itself carries (time, type) or that say nothing to an admin. */
const omittedKeys = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'v']);

/** eventcreate's `/T` for a pino level: 60 fatal and 50 error are ERROR, 40 warn is WARNING. */
export function eventType(level: number): 'ERROR' | 'WARNING' | 'INFORMATION' {
  if (level >= 50) return 'ERROR';
  if (level >= 40) return 'WARNING';
  return 'INFORMATION';
}

/** eventcreate's `/ID`: pino's level number (40 warning, 50 error, 60 fatal), filterable in Event Viewer. */
export function eventId(level: number): number {
  return Math.min(eventIdRange.max, Math.max(eventIdRange.min, Math.round(level)));
}

/**
 * One line of text for `/D` from a pino record: the message, then the record's fields as
 * `key=value` (an error object by its message). Made safe for eventcreate's command line: no
 * double quotes (written as '), no control characters (a space), not starting with `/` or `-` (it
 * would read as an option), never empty, at most `maxDescriptionChars`.
 *
 * @example
 * eventDescription({ level: 50, msg: 'collector failed', collector: 'host', err: 'timeout' })
 * // → 'collector failed (collector=host, err=timeout)'
 */
export function eventDescription(record: Record<string, unknown>): string {
  const msg = typeof record.msg === 'string' ? record.msg : '';
  const fields = Object.entries(record)
    .filter(([k]) => !omittedKeys.has(k))
    .map(([k, v]) => `${k}=${fieldText(v)}`);
  let text = fields.length > 0 ? `${msg}${msg ? ' ' : ''}(${fields.join(', ')})` : msg;
  text = text
    .replace(/"/g, "'")
    .replace(/[\p{Cc}\u2028\u2029]+/gu, ' ')
    .trim();
  if (text === '') text = '(no message)';
  if (/^[/-]/.test(text)) text = `message: ${text}`;
  if (text.length > maxDescriptionChars) {
    // Never cut a UTF-16 surrogate pair in two.
    let end = maxDescriptionChars - 1;
    if (/[\ud800-\udbff]/.test(text.charAt(end - 1))) end--;
    text = `${text.slice(0, end)}…`;
  }
  return text;
}

function fieldText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string') {
    return (v as { message: string }).message;
  }
  return JSON.stringify(v) ?? String(v);
}

/** eventcreate's arguments for one pino record (the process gets them as separate argv entries). */
export function eventCreateArgs(record: Record<string, unknown>, source = eventLogSource): string[] {
  const level = typeof record.level === 'number' ? record.level : 50;
  return [
    '/L',
    'APPLICATION',
    '/T',
    eventType(level),
    '/SO',
    source,
    '/ID',
    String(eventId(level)),
    '/D',
    eventDescription(record),
  ];
}

/** `%SystemRoot%\System32\eventcreate.exe`: the full path, so no eventcreate.exe on PATH is run instead. */
export function defaultEventCreate(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.SystemRoot ?? env.windir ?? 'C:\\Windows', 'System32', 'eventcreate.exe');
}

/**
 * A pino destination (give it `level: 'warn'` in the multistream) that writes each record it gets
 * to the Event Log through eventcreate.
 */
export function eventLogStream(o: EventLogOptions): { write(line: string): void } {
  const file = o.command?.file ?? defaultEventCreate();
  const prefix = o.command?.args ?? [];
  const source = o.source ?? eventLogSource;
  const maxPerMinute = o.maxPerMinute ?? 10;
  const timeoutMs = o.timeoutMs ?? 10_000;
  const now = o.now ?? Date.now;
  const window = { start: Number.NEGATIVE_INFINITY, spawned: 0, dropReported: false };
  let unusable = false;
  let failureReported = false;

  const report = (fields: Record<string, unknown>, msg: string) => {
    try {
      o.report(fields, msg);
    } catch {
      // The other sinks failing is not this sink's to handle.
    }
  };
  const failedOnce = (fields: Record<string, unknown>, msg: string) => {
    if (failureReported) return;
    failureReported = true;
    report({ event_log: file, ...fields }, msg);
  };

  const write = (line: string) => {
    if (unusable) return;
    const t = now();
    if (t - window.start >= 60_000) Object.assign(window, { start: t, spawned: 0, dropReported: false });
    if (window.spawned >= maxPerMinute) {
      if (!window.dropReported) {
        window.dropReported = true;
        report(
          { event_log_limit_per_minute: maxPerMinute },
          "event log: limit reached; the rest of this minute's warnings and errors are in this log only",
        );
      }
      return;
    }
    window.spawned++;
    const record = JSON.parse(line) as Record<string, unknown>;
    const child = spawn(file, [...prefix, ...eventCreateArgs(record, source)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
      timeout: timeoutMs,
    });
    let output = '';
    const keep = (d: Buffer) => {
      output = (output + d.toString()).slice(-1_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('error', (err: NodeJS.ErrnoException) => {
      // Could not start it at all (ENOENT: no eventcreate.exe, as under Wine): it will not appear later.
      unusable = true;
      failedOnce(
        { err: err.code ?? err.message },
        'event log: cannot run eventcreate; warnings and errors are in this log only',
      );
    });
    child.on('close', (code, signal) => {
      if (code === 0) return;
      failedOnce(
        { exit: signal ?? code, output: output.trim().slice(0, 500) },
        signal
          ? `event log: eventcreate did not finish within ${timeoutMs} ms; warnings and errors are in this log`
          : 'event log: eventcreate refused the event; warnings and errors are in this log (reported once)',
      );
    });
  };

  return {
    write(line: string) {
      try {
        write(line);
      } catch (err) {
        failedOnce({ err: (err as Error).message }, 'event log: could not write an event');
      }
    },
  };
}
