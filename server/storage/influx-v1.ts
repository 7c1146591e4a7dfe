import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { InfluxDB } from 'influx';
import type { IBackoffStrategy } from 'influx/lib/src/backoff/backoff.js';
import type { Point } from '../../protocol/index.js';
import type { StorageConfig } from '../config.js';
import { toLineProtocol } from './line-protocol.js';
import { influxQuery, type QuerySeries, type Storage, StorageError } from './storage.js';

/**
 * node-influx takes a failing host out of its pool for up to 10 s, failing every write meanwhile with
 * "No host available". The spool already paces retries, so never take the only host out.
 */
const neverDisable: IBackoffStrategy = {
  getDelay: () => 0,
  next: () => neverDisable,
  reset: () => neverDisable,
};

/** InfluxDB 1.x (and 3.x's v1 compatibility API) through node-influx: `/write` and InfluxQL. */
export class InfluxV1Storage implements Storage {
  readonly describe: string;
  /** node-influx, for everything but writes: ping, database management, InfluxQL. */
  readonly client: InfluxDB;
  private readonly writeUrl: URL;
  private readonly authHeader: Record<string, string>;
  private readonly httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 8 });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 8 });

  constructor(private readonly cfg: Extract<StorageConfig, { kind: 'influxdb-v1' }>) {
    const url = new URL(cfg.url);
    this.describe = `influxdb-v1 ${url.origin} db=${cfg.database}`;
    this.writeUrl = new URL(`${url.pathname.replace(/\/$/, '')}/write`, url.origin);
    this.writeUrl.searchParams.set('db', cfg.database);
    this.writeUrl.searchParams.set('precision', 'ms');
    if (cfg.retention_policy) this.writeUrl.searchParams.set('rp', cfg.retention_policy);
    this.authHeader = cfg.username
      ? { authorization: `Basic ${Buffer.from(`${cfg.username}:${cfg.password ?? ''}`).toString('base64')}` }
      : {};
    this.client = new InfluxDB({
      host: url.hostname,
      port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      protocol: url.protocol === 'https:' ? 'https' : 'http',
      ...(url.pathname !== '/' ? { path: url.pathname } : {}),
      database: cfg.database,
      // node-influx sends root:root when none are given; send nothing unless configured.
      ...(cfg.username ? { username: cfg.username, password: cfg.password ?? '' } : {}),
      // Retries are the spool's job: a failed write must fail fast so the batch is spooled.
      pool: { maxRetries: 0, requestTimeout: cfg.timeout, backoff: neverDisable },
    });
  }

  /** Writes through `/write?precision=ms` on a keep-alive connection; see line-protocol.ts for why. */
  write(points: readonly Point[]): Promise<void> {
    const body = Buffer.from(toLineProtocol(points));
    const secure = this.writeUrl.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const req = (secure ? httpsRequest : httpRequest)(
        this.writeUrl,
        {
          method: 'POST',
          agent: secure ? this.httpsAgent : this.httpAgent,
          timeout: this.cfg.timeout,
          headers: {
            'content-type': 'text/plain; charset=utf-8',
            'content-length': body.length,
            ...this.authHeader,
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            if (text.length < 2000) text += d;
          });
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status === 204 || status === 200) return resolve();
            const why = text.trim().slice(0, 300) || res.statusMessage;
            // 400: InfluxDB refused the data itself (e.g. a field type conflict) — retrying cannot help.
            // 404 (database missing, which prepare() fixes), 5xx and the rest may pass later.
            reject(new StorageError(`influxdb write: ${status} ${why}`, status === 400));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.cfg.timeout} ms`)));
      req.on('error', (err) =>
        reject(new StorageError(`influxdb write: ${err.message}`, false, { cause: err })),
      );
      req.end(body);
    });
  }

  query(influxql: string, signal?: AbortSignal): Promise<QuerySeries[]> {
    return influxQuery(this.cfg.url, this.cfg.database, this.authHeader, influxql, this.cfg.timeout, signal);
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
