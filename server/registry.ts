import type { Logger } from 'pino';
import { loadRegistry, twoTierLevels } from '../lib/endpoints/index.js';
import type { Registry } from '../lib/endpoints/types.js';
import { reloadingFile } from './reloading-file.js';

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
 * The registry behind `endpoints_file`, re-read when the file changes ({@link reloadingFile}): an edited
 * address or a new commune is served without a restart. The first load throws, so a server never starts
 * with a broken registry; a later bad edit keeps the last good registry and logs every problem.
 *
 * @example
 * const registry = registryFile('config/endpoints.yaml', { log });
 * registry.current().endpoints.length; // 166
 */
export function registryFile(file: string, options: RegistryFileOptions): RegistrySource {
  return reloadingFile(file, {
    ...options,
    what: 'endpoints registry',
    load: loadRegistry,
    count: (r) => r.endpoints.length,
    unit: 'endpoints',
  });
}
