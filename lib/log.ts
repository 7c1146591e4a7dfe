import { type Logger, pino } from 'pino';

/** Structured JSON logs on stderr (stdout stays free for command output), with stable keys. */
export function createLogger(name: string, level: string = process.env.HATANG_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination(2));
}
