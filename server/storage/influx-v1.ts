import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { InfluxDB } from 'influx';
import type { IBackoffStrategy } from 'influx/lib/src/backoff/backoff.js';
import type { Logger } from 'pino';
import type { Point } from '../../protocol/index.js';
import type { StorageConfig } from '../config.js';
import { splitLines, toLineProtocol } from './line-protocol.js';
import {
  droppedCount,
  influxQueries,
  influxQuery,
  type QuerySeries,
  type Storage,
  StorageError,
} from './storage.js';

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

  constructor(
    private readonly cfg: Extract<StorageConfig, { kind: 'influxdb-v1' }>,
    /** Largest body per POST: InfluxDB answers 413 past its `max-body-size` (25 MB by default). */
    private maxBodyBytes: number,
    private readonly log?: Logger,
  ) {
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

  /**
   * Writes through `/write?precision=ms` on a keep-alive connection (see line-protocol.ts for why),
   * in bodies of at most maxBodyBytes, one after the other so a failure leaves the later ones unsent.
   * A 413 on a body of several lines means InfluxDB's `max-body-size` is below ours: halve the limit
   * (remembered, logged once per change) and send that body again in smaller parts. A single line
   * InfluxDB finds too large is the caller's to set aside (StorageError `too_large`).
   */
  write(points: readonly Point[]): Promise<void> {
    return this.writeLineProtocol(Buffer.from(toLineProtocol(points)), points.length);
  }

  async writeLineProtocol(body: Buffer, points: number): Promise<void> {
    if (body.length <= this.maxBodyBytes || points <= 1) {
      try {
        return await this.post(body);
      } catch (err) {
        if (!(err instanceof StorageError && err.kind === 'too_large' && points > 1)) throw err;
        const limit = Math.max(1, Math.floor(body.length / 2));
        if (limit < this.maxBodyBytes) {
          this.log?.warn(
            { body_bytes: body.length, max_body_bytes: limit },
            'influxdb refused a write body as too large (413): writing smaller bodies from now on; set write.max_body_bytes below influxd max-body-size',
          );
          this.maxBodyBytes = limit;
        }
      }
    }
    let lines: Buffer[];
    try {
      lines = splitLines(body);
    } catch (err) {
      throw new StorageError(`influxdb write: ${(err as Error).message}`, 'refused', { cause: err });
    }
    if (lines.length <= 1) return this.post(body);
    for (const chunk of chunkLines(lines, this.maxBodyBytes)) {
      await this.writeLineProtocol(
        chunk.length === 1 ? (chunk[0] as Buffer) : Buffer.concat(chunk),
        chunk.length,
      );
    }
  }

  private post(body: Buffer): Promise<void> {
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
            const why = text.trim().slice(0, 300) || (res.statusMessage ?? '');
            const message = `influxdb write: ${status} ${why}`;
            // 400: InfluxDB refused (some of) the data itself, e.g. a field type conflict or points
            // beyond the retention policy; it stored the rest. 413: the body passed its max-body-size.
            // 404 (database missing, which prepare() fixes), 5xx and the rest may pass later.
            if (status === 400) reject(new StorageError(message, 'refused', { dropped: droppedCount(text) }));
            else if (status === 413) reject(new StorageError(message, 'too_large'));
            else reject(new StorageError(message, 'unavailable'));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.cfg.timeout} ms`)));
      req.on('error', (err) =>
        reject(new StorageError(`influxdb write: ${err.message}`, 'unavailable', { cause: err })),
      );
      req.end(body);
    });
  }

  query(influxql: string, signal?: AbortSignal): Promise<QuerySeries[]> {
    return influxQuery(this.cfg.url, this.cfg.database, this.authHeader, influxql, this.cfg.timeout, signal);
  }

  queryMany(statements: readonly string[], signal?: AbortSignal): Promise<QuerySeries[][]> {
    return influxQueries(
      this.cfg.url,
      this.cfg.database,
      this.authHeader,
      statements,
      this.cfg.timeout,
      signal,
    );
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

/** Lines (each with its newline) in runs of at most maxBytes; a longer single line is a run of its own. */
export function chunkLines(lines: readonly Buffer[], maxBytes: number): Buffer[][] {
  const chunks: Buffer[][] = [];
  let chunk: Buffer[] = [];
  let bytes = 0;
  for (const line of lines) {
    const size = line.length;
    if (chunk.length > 0 && bytes + size > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(line);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
