import type { Logger } from 'pino';
import type { StorageConfig } from '../config.js';
import { InfluxV1Storage } from './influx-v1.js';
import { InfluxV2Storage } from './influx-v2.js';
import type { Storage } from './storage.js';

export {
  aroundQueries,
  type QuerySeries,
  type Storage,
  StorageError,
  type StorageErrorKind,
} from './storage.js';

/** `maxBodyBytes`: the largest write body sent (config `write.max_body_bytes`). */
export function createStorage(cfg: StorageConfig, maxBodyBytes: number, log?: Logger): Storage {
  return cfg.kind === 'influxdb-v1' ? new InfluxV1Storage(cfg, maxBodyBytes, log) : new InfluxV2Storage(cfg);
}
