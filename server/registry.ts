import { statSync } from 'node:fs';
import type { Logger } from 'pino';
import { ConfigError } from '../lib/config.js';
import { loadRegistry, twoTierLevels } from '../lib/endpoints/index.js';
import type { Registry } from '../lib/endpoints/types.js';

/** What the routes read the endpoint registry through. */
export interface RegistrySource {
  /** The registry as of now: the last version of the file that loaded without problems. */
  current(): Registry;
}

const emptyRegistry: Registry = { levels: twoTierLevels, endpoints: [] };

/** A fixed registry (tests, or a server without `endpoints_file`). */
export function staticRegistry(registry: Registry = emptyRegistry): RegistrySource {
  return { current: () => registry };
}

export interface RegistryFileOptions {
  log: Logger;
  /** How often, at most, the file's mtime is looked at; 1 s by default. */
  checkEveryMs?: number;
}

/**
 * The registry behind `endpoints_file`, re-read when the file changes (its mtime, size or inode, looked
 * at no more than once a second, as server/revocation.ts does): an edited address or a new commune is
 * served without a restart. The first load throws, so a server never starts with a broken registry; a
 * later bad edit keeps the last good registry and logs every problem, once per version of the file.
 *
 * @example
 * const registry = registryFile('config/endpoints.yaml', { log });
 * registry.current().endpoints.length; // 166
 */
export function registryFile(file: string, options: RegistryFileOptions): RegistrySource {
  const { log } = options;
  const checkEveryMs = options.checkEveryMs ?? 1000;
  const versionOf = () => {
    const s = statSync(file);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  };
  let version = versionOf();
  let registry = loadRegistry(file);
  let checkedAt = Date.now();
  let failedVersion: string | undefined;

  return {
    current() {
      const now = Date.now();
      if (now - checkedAt < checkEveryMs) return registry;
      checkedAt = now;
      let seen: string;
      try {
        seen = versionOf();
      } catch (err) {
        // A file being replaced may be missing for an instant; a deleted one must not empty the registry.
        if (failedVersion !== 'missing')
          log.error({ err, file }, 'endpoints registry: cannot read, keeping the last good one');
        failedVersion = 'missing';
        return registry;
      }
      if (seen === version || seen === failedVersion) return registry;
      try {
        const next = loadRegistry(file);
        const before = registry.endpoints.length;
        registry = next;
        version = seen;
        failedVersion = undefined;
        log.info({ file, endpoints: next.endpoints.length, before }, 'endpoints registry reloaded');
      } catch (err) {
        failedVersion = seen;
        const problems = err instanceof ConfigError ? err.problems : [String(err)];
        log.error(
          { file, problems, endpoints: registry.endpoints.length },
          `endpoints registry: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the edited file, keeping the last good one`,
        );
      }
      return registry;
    },
  };
}
