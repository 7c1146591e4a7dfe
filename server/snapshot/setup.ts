import type { Logger } from 'pino';
import { hatangVersion } from '../../lib/version.js';
import { type AssetRegisterSource, assetRegisterFile, staticAssets } from '../assets.js';
import { lateSlackFor } from '../availability.js';
import type { ServerConfig } from '../config.js';
import { loadDatacenter } from '../readiness/declaration.js';
import { createReadiness, type Readiness } from '../readiness/service.js';
import { type RegistrySource, registryFile, staticRegistry } from '../registry.js';
import { createStorage, type Storage } from '../storage/index.js';
import { openAuditLog } from './audit-log.js';
import { buildBundle } from './bundle.js';
import { createSnapshotCollector } from './collect.js';
import { openSnapshotKeys } from './keys.js';
import { createSnapshotService, type SnapshotService, snapshotsDir } from './service.js';
import { openSnapshotStore } from './store.js';
import { verifyBundle } from './verify.js';

/** What a snapshot reads, as the server (or a CLI command) holds it. */
export interface SnapshotSources {
  storage: Storage;
  registry: RegistrySource;
  assets: AssetRegisterSource;
  readiness?: Readiness;
}

/**
 * The snapshot service over the server's state dir (`snapshots.dir`): keys, store and audit log,
 * collecting from `sources`. The server and `hatang snapshot create` both build it here, so both
 * make the same snapshot from the same data.
 */
export function snapshotServiceFor(
  config: ServerConfig,
  sources: SnapshotSources,
  log: Logger,
): SnapshotService {
  const dir = snapshotsDir(config);
  const chromium = config.snapshots.chromium;
  return createSnapshotService({
    collect: createSnapshotCollector({
      storage: sources.storage,
      registry: sources.registry,
      assets: sources.assets,
      ...(sources.readiness ? { readiness: sources.readiness } : {}),
      lookbackMs: config.assets.lookback,
      rollupLateSlackMs: lateSlackFor(config.storage.timeout),
      version: hatangVersion(),
    }),
    build: buildBundle,
    verify: verifyBundle,
    keys: openSnapshotKeys(dir),
    store: openSnapshotStore(dir),
    audit: openAuditLog(dir),
    sites: [...new Set([...config.auth.sites.map((s) => s.id), ...(sources.readiness?.sites ?? [])])].sort(),
    lang: config.snapshots.lang,
    maxWindowMs: config.snapshots.max_window,
    ...(chromium === 'none' ? { chromium: null } : chromium ? { chromium } : {}),
    log,
  });
}

/** The service for a CLI command: storage, registry, asset register and readiness from server.yaml. */
export function openSnapshotServiceFromConfig(config: ServerConfig, log: Logger): SnapshotService {
  const storage = createStorage(config.storage, config.write.max_body_bytes, log);
  const readiness = config.readiness
    ? createReadiness({
        declaration: loadDatacenter(config.readiness.datacenter_file, {
          siteIds: config.auth.sites.map((s) => s.id),
        }),
        storage,
        staleAfterMs: config.readiness.stale_after,
        log,
      })
    : undefined;
  return snapshotServiceFor(
    config,
    {
      storage,
      registry: config.endpoints_file ? registryFile(config.endpoints_file, { log }) : staticRegistry(),
      assets: config.assets.file
        ? assetRegisterFile(config.assets.file, { log, sites: config.auth.sites.map((s) => s.id) })
        : staticAssets(),
      ...(readiness ? { readiness } : {}),
    },
    log,
  );
}
