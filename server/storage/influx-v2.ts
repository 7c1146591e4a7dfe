import { HttpError, InfluxDB } from '@influxdata/influxdb-client';
import type { Point } from '../../protocol/index.js';
import type { StorageConfig } from '../config.js';
import { toLineProtocol } from './line-protocol.js';
import { influxQuery, type QuerySeries, type Storage, StorageError } from './storage.js';

/**
 * InfluxDB 2.x through @influxdata/influxdb-client. Each write uses its own WriteApi with retries off
 * and is awaited to the end: the client's own retry buffer loses lines when closed mid-retry, and
 * retrying is the spool's job anyway.
 */
export class InfluxV2Storage implements Storage {
  readonly describe: string;
  private readonly client: InfluxDB;

  constructor(private readonly cfg: Extract<StorageConfig, { kind: 'influxdb-v2' }>) {
    this.describe = `influxdb-v2 ${new URL(cfg.url).origin} bucket=${cfg.bucket}`;
    this.client = new InfluxDB({ url: cfg.url, token: cfg.token, timeout: cfg.timeout });
  }

  write(points: readonly Point[]): Promise<void> {
    // The same serialiser as v1 (one record per point: a string field may hold a newline), so a big
    // integer sent as digits is written exactly; the client's intField would parse it into a double.
    return this.writeRecords(points.map((p) => toLineProtocol([p])));
  }

  /** The body as one record: the client only joins records with newlines, it does not parse them. */
  writeLineProtocol(lines: Buffer): Promise<void> {
    const text = lines.toString('utf8');
    return this.writeRecords([text.endsWith('\n') ? text.slice(0, -1) : text]);
  }

  private async writeRecords(records: string[]): Promise<void> {
    const api = this.client.getWriteApi(this.cfg.org, this.cfg.bucket, 'ms', {
      maxRetries: 0,
      batchSize: records.length + 1,
      flushInterval: 0,
    });
    api.writeRecords(records);
    try {
      await api.close();
    } catch (err) {
      const status = err instanceof HttpError ? err.statusCode : undefined;
      const kind =
        status === 413 ? 'too_large' : status === 400 || status === 422 ? 'refused' : 'unavailable';
      throw new StorageError(`influxdb write: ${(err as Error).message}`, kind, { cause: err });
    }
  }

  /** InfluxQL through the v1 compatibility API: needs a DBRP mapping from the bucket to its name. */
  query(influxql: string, signal?: AbortSignal): Promise<QuerySeries[]> {
    return influxQuery(
      this.cfg.url,
      this.cfg.bucket,
      { authorization: `Token ${this.cfg.token}` },
      influxql,
      this.cfg.timeout,
      signal,
    );
  }

  async ping(timeoutMs: number): Promise<boolean> {
    try {
      const res = await fetch(new URL('/ping', this.cfg.url), { signal: AbortSignal.timeout(timeoutMs) });
      return res.status === 204 || res.ok;
    } catch {
      return false;
    }
  }

  async prepare(): Promise<void> {
    // Buckets are created by the InfluxDB administrator with their retention; nothing to do.
  }
}
