import type { StorageConfig } from '../config.js';
import { InfluxV1Storage } from './influx-v1.js';
import { InfluxV2Storage } from './influx-v2.js';
import type { Storage } from './storage.js';

export { type QuerySeries, type Storage, StorageError } from './storage.js';

export function createStorage(cfg: StorageConfig): Storage {
  return cfg.kind === 'influxdb-v1' ? new InfluxV1Storage(cfg) : new InfluxV2Storage(cfg);
}
