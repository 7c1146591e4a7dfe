import { FieldType, InfluxDB, type IPoint, type ISchemaOptions } from 'influx';
import type { IBackoffStrategy } from 'influx/lib/src/backoff/backoff.js';
import { catalogue, type MeasurementSpec, type Point, stampedTags } from '../../protocol/index.js';
import type { StorageConfig } from '../config.js';
import { type Storage, StorageError } from './storage.js';

const fieldTypes = {
  float: FieldType.FLOAT,
  integer: FieldType.INTEGER,
  string: FieldType.STRING,
  boolean: FieldType.BOOLEAN,
} as const;

/** node-influx schemas from the catalogue, so integers are written as integers (`1i`), never floats. */
export function influxSchemas(database: string): ISchemaOptions[] {
  return Object.values(catalogue as Record<string, MeasurementSpec>).map((spec) => ({
    database,
    measurement: spec.name,
    tags: [...spec.tags, ...stampedTags],
    fields: Object.fromEntries(Object.entries(spec.fields).map(([name, f]) => [name, fieldTypes[f.type]])),
  }));
}

/**
 * node-influx takes a failing host out of its pool for up to 10 s, failing every write meanwhile with
 * "No host available". The spool already paces retries, so never take the only host out.
 */
const neverDisable: IBackoffStrategy = { getDelay: () => 0, next: () => neverDisable, reset: () => neverDisable };

/** InfluxDB 1.x (and 3.x's v1 compatibility API) through node-influx: `/write` and InfluxQL. */
export class InfluxV1Storage implements Storage {
  readonly describe: string;
  readonly client: InfluxDB;

  constructor(private readonly cfg: Extract<StorageConfig, { kind: 'influxdb-v1' }>) {
    const url = new URL(cfg.url);
    this.describe = `influxdb-v1 ${url.origin} db=${cfg.database}`;
    this.client = new InfluxDB({
      host: url.hostname,
      port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      protocol: url.protocol === 'https:' ? 'https' : 'http',
      ...(url.pathname !== '/' ? { path: url.pathname } : {}),
      database: cfg.database,
      // node-influx sends root:root when none are given; send nothing unless configured.
      ...(cfg.username ? { username: cfg.username, password: cfg.password ?? '' } : {}),
      schema: influxSchemas(cfg.database),
      // Retries are the spool's job: a failed write must fail fast so the batch is spooled.
      pool: { maxRetries: 0, requestTimeout: cfg.timeout, backoff: neverDisable },
    });
  }

  async write(points: readonly Point[]): Promise<void> {
    const rows: IPoint[] = points.map((p) => ({
      measurement: p.measurement,
      tags: p.tags,
      fields: p.fields,
      timestamp: p.time,
    }));
    try {
      await this.client.writePoints(rows, {
        precision: 'ms',
        ...(this.cfg.retention_policy ? { retentionPolicy: this.cfg.retention_policy } : {}),
      });
    } catch (err) {
      const status = (err as { res?: { statusCode?: number } }).res?.statusCode;
      // 400: InfluxDB refused the data (e.g. a field type conflict); 404: database missing, which
      // prepare() fixes, so it is worth retrying.
      throw new StorageError(`influxdb write: ${(err as Error).message}`, status === 400, { cause: err });
    }
  }

  async ping(timeoutMs: number): Promise<boolean> {
    try {
      const [host] = await this.client.ping(timeoutMs);
      return host?.online === true;
    } catch {
      return false;
    }
  }

  async prepare(): Promise<void> {
    if (!this.cfg.create_database) return;
    const names = await this.client.getDatabaseNames();
    if (!names.includes(this.cfg.database)) await this.client.createDatabase(this.cfg.database);
  }
}
