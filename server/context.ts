import type { Logger } from 'pino';
import type { Endpoint } from '../lib/endpoints/types.js';
import type { ServerConfig } from './config.js';
import type { Identity } from './credentials.js';
import type { Metrics } from './metrics.js';
import type { WritePipeline } from './pipeline.js';
import type { Readiness } from './readiness/service.js';
import type { RevocationList } from './revocation.js';
import type { SeriesGuard } from './series-guard.js';
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
  /** The endpoint registry (config/endpoints.yaml), empty when none is configured. */
  endpoints: readonly Endpoint[];
  /** The TIA-942 readiness engine; absent when no `readiness.datacenter_file` is configured. */
  readiness?: Readiness;
}

export interface AppEnv {
  Variables: { requestId: string; identity: Identity };
}
