import { ConfigError, StartError, UsageError } from '../lib/config.js';

/**
 * Turns a command's outcome into the process exit code, the same for every entry point: its own
 * code on success, 78 (EX_CONFIG) with the file:line list for a config error, 2 with the usage for
 * a usage error, 1 with the one-line message for a refused start (StartError), 1 with the message
 * for anything else (`onUnexpected` may log it first).
 */
export function exitWith(
  name: string,
  usage: string,
  outcome: Promise<number>,
  onUnexpected?: (err: unknown) => void,
): void {
  outcome.then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      if (err instanceof ConfigError) {
        console.error(err.message);
        process.exitCode = 78;
        return;
      }
      const message = (err as Error).message;
      if (
        err instanceof UsageError ||
        (err as NodeJS.ErrnoException | undefined)?.code?.startsWith('ERR_PARSE_ARGS')
      ) {
        console.error(`${message.startsWith(name) ? message : `${name}: ${message}`}\n\n${usage}`);
        process.exitCode = 2;
        return;
      }
      if (!(err instanceof StartError)) onUnexpected?.(err);
      console.error(`${name}: ${message}`);
      process.exitCode = 1;
    },
  );
}
