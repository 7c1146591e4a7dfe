import type { Logger } from 'pino';
import type { AssetRegisterSource } from './assets.js';
import type { ServerConfig } from './config.js';
import type { Identity } from './credentials.js';
import type { WorkGate } from './limits.js';
import type { Metrics } from './metrics.js';
import type { WritePipeline } from './pipeline.js';
import type { Readiness } from './readiness/service.js';
import type { RegistrySource } from './registry.js';
import type { RevocationList } from './revocation.js';
import type { SeriesGuard } from './series-guard.js';
import type { SnapshotService } from './snapshot/service.js';
import type { Spool } from './spool.js';
import type { Storage } from './storage/index.js';

/** Everything the routes need, built by `main` (or a test) and passed to `createApp`. */
export interface AppDeps {
  config: ServerConfig;
  log: Logger;
  metrics: Metrics;
  storage: Storage;
  spool: Spool;
  pipeline: WritePipeline;
  revocations: RevocationList;
  /** Bounds how fast a site or agent creates new series. */
  series: SeriesGuard;
  /** The endpoint registry (config/endpoints.yaml, reloaded when it changes), empty when none is configured. */
  registry: RegistrySource;
  /** The TIA-942 readiness engine; absent when no `readiness.datacenter_file` is configured. */
  readiness?: Readiness;
  /** The asset register (`assets.file`, reloaded when it changes): the machines snapshots count against. */
  assets?: AssetRegisterSource;
  /** Auditors' compliance snapshots (keys, store, audit log); absent in tests that do not need them. */
  snapshots?: SnapshotService;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    identity: Identity;
    /** Bounds how many bodies are inflated and parsed at once, across every route. */
    bodyGate: WorkGate;
  };
}
