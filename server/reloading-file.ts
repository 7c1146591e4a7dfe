import { statSync } from 'node:fs';
import type { Logger } from 'pino';
import { ConfigError } from '../lib/config.js';

export interface ReloadingFileOptions<T> {
  log: Logger;
  /** What the file is, in log messages: "endpoints registry", "asset register". */
  what: string;
  /** Reads and validates the file; throws (a ConfigError listing problems) when it is not usable. */
  load: (file: string) => T;
  /** How many items a version holds, logged under the key `unit` (e.g. 166 `endpoints`). */
  count: (value: T) => number;
  unit: string;
  /** How often, at most, the file's mtime is looked at; 1 s by default. */
  checkEveryMs?: number;
}

/**
 * A file re-read when it changes (its mtime, size or inode, looked at no more than once every
 * `checkEveryMs`): the first load throws, so a server never starts with a broken file; a later bad
 * edit, or the file missing, keeps the last good version and logs every problem, once per version.
 *
 * @example
 * const registry = reloadingFile('config/endpoints.yaml', { log, what: 'endpoints registry', load: loadRegistry, count: (r) => r.endpoints.length, unit: 'endpoints' });
 * registry.current().endpoints.length; // 166
 */
export function reloadingFile<T>(file: string, o: ReloadingFileOptions<T>): { current(): T } {
  const { log, what, load, count, unit } = o;
  const checkEveryMs = o.checkEveryMs ?? 1000;
  const versionOf = () => {
    const s = statSync(file);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  };
  let version = versionOf();
  let value = load(file);
  let checkedAt = Date.now();
  let failedVersion: string | undefined;
  return {
    current() {
      const now = Date.now();
      if (now - checkedAt < checkEveryMs) return value;
      checkedAt = now;
      let seen: string;
      try {
        seen = versionOf();
      } catch (err) {
        // A file being replaced may be missing for an instant; a deleted one must not empty what was loaded.
        if (failedVersion !== 'missing')
          log.error({ err, file }, `${what}: cannot read, keeping the last good one`);
        failedVersion = 'missing';
        return value;
      }
      if (seen === version || seen === failedVersion) return value;
      try {
        const next = load(file);
        const before = count(value);
        value = next;
        version = seen;
        failedVersion = undefined;
        log.info({ file, [unit]: count(next), before }, `${what} reloaded`);
      } catch (err) {
        failedVersion = seen;
        const problems = err instanceof ConfigError ? err.problems : [String(err)];
        log.error(
          { file, problems, [unit]: count(value) },
          `${what}: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the edited file, keeping the last good one`,
        );
      }
      return value;
    },
  };
}
