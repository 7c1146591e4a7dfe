import type { Logger } from 'pino';
import type { Batch } from '../../protocol/index.js';
import { excerpt } from './credential.js';
import type { HttpClient } from './http.js';
import type { DiskQueue, QueuedBatch } from './queue.js';

export interface SenderOptions {
  queue: DiskQueue;
  http: HttpClient;
  urls: readonly string[];
  credential: () => string | undefined;
  batchMaxPoints: number;
  backoffMaxMs: number;
  log: Logger;
  /**
   * Points held in memory because the disk queue could not take them (see Outbox): sent before the
   * queue, directly, and forgotten only once the server took or refused them.
   */
  memory?: {
    batch(): Promise<Batch | undefined>;
    delivered(batch: Batch, outcome: 'sent' | 'rejected'): Promise<void>;
  };
  /** Called with the number of points the server refused as invalid (moved to queue/rejected/). */
  onRejected: (points: number) => void;
  onSent: (points: number, url: string) => void;
  onError: (message: string) => void;
  /** The collector no longer accepts the credential (its signing key changed): enroll again if possible. */
  onUnauthorized: () => void;
}

type Outcome = 'sent' | 'rejected' | 'failed';

/** The ingest answer is `{batch_id, accepted}` or a bounded error; the status is what counts. */
const MAX_INGEST_ANSWER_BYTES = 16 * 1024;

/**
 * Sends queued batches oldest first, merging small ones up to `batchMaxPoints`. A batch leaves the
 * queue only on a 2xx (sent) or a 400/413/422 (refused as invalid: kept in queue/rejected/ and
 * counted). Anything else moves on to the next collector URL; when every URL failed, `flush` stops
 * and the caller waits `nextDelay()` — exponential backoff with full jitter.
 */
export class Sender {
  private current = 0;
  private failures = 0;
  /** What the server last asked for with Retry-After (a 429 past its new-series allowance, a 503). */
  private retryAfterMs = 0;

  constructor(private readonly o: SenderOptions) {}

  /** Sends until the queue is empty (true) or no collector accepts (false). */
  async flush(signal?: AbortSignal): Promise<boolean> {
    if (!this.o.credential()) return false;
    for (
      let mem = await this.o.memory?.batch();
      mem && !signal?.aborted;
      mem = await this.o.memory?.batch()
    ) {
      const outcome = await this.send(mem, signal);
      if (outcome === 'failed') return false;
      await this.o.memory?.delivered(mem, outcome);
    }
    while (this.o.queue.batches > 0 && !signal?.aborted) {
      if (!this.o.credential()) return false;
      const items = await this.o.queue.peek(this.o.batchMaxPoints);
      // Damaged files were set aside: go on. Nothing readable just now: back off rather than spin.
      if (items.length === 0) {
        if (this.o.queue.batches > 0) return false;
        continue;
      }
      let outcome = await this.send(merge(items), signal);
      if (outcome === 'rejected' && items.length > 1) {
        // One bad batch must not take its neighbours down with it: retry them one by one.
        for (const item of items) {
          outcome = await this.send(item.batch, signal);
          if (outcome === 'failed') return false;
          await this.settle([item], outcome);
        }
        continue;
      }
      if (outcome === 'failed') return false;
      await this.settle(items, outcome);
    }
    return this.o.queue.batches === 0;
  }

  /** How long to wait before the next attempt after a failed flush. */
  nextDelay(): number {
    const ceiling = Math.min(this.o.backoffMaxMs, 1_000 * 2 ** Math.min(this.failures, 16));
    const jittered = Math.round(250 + Math.random() * ceiling);
    // Honour the server's Retry-After, but never wait longer than queue.backoff_max.
    const asked = Math.min(this.retryAfterMs, this.o.backoffMaxMs);
    this.retryAfterMs = 0;
    return Math.max(jittered, asked);
  }

  private async settle(items: QueuedBatch[], outcome: Exclude<Outcome, 'failed'>): Promise<void> {
    const points = items.reduce((n, i) => n + i.batch.points.length, 0);
    for (const item of items) {
      if (outcome === 'sent') await this.o.queue.remove(item.name);
      else await this.o.queue.reject(item.name);
    }
    if (outcome === 'rejected') this.o.onRejected(points);
  }

  /** Tries each URL once, starting with the one that worked last. */
  private async send(batch: Batch, signal?: AbortSignal): Promise<Outcome> {
    for (let tried = 0; tried < this.o.urls.length; tried++) {
      const base = this.o.urls[this.current] as string;
      const url = new URL('/api/v1/ingest', base).href;
      try {
        const res = await this.o.http.postJson(url, batch, {
          bearer: this.o.credential(),
          gzip: true,
          maxBytes: MAX_INGEST_ANSWER_BYTES,
          ...(signal ? { signal } : {}),
        });
        const message = res.oversize
          ? `(answer over ${res.oversize} bytes, not read)`
          : excerpt((res.body as { message?: unknown } | undefined)?.message ?? '', 300);
        if (res.status >= 200 && res.status < 300) {
          this.failures = 0;
          this.o.onSent(batch.points.length, base);
          return 'sent';
        }
        // 403 forbidden_measurement: this role may never write it (an older agent, or a role
        // changed by enrolling with another token); retrying would hold the queue forever.
        const code = (res.body as { code?: unknown } | undefined)?.code;
        if (
          res.status === 400 ||
          res.status === 413 ||
          res.status === 422 ||
          (res.status === 403 && code === 'forbidden_measurement')
        ) {
          this.o.log.error(
            { url, status: res.status, batch_id: batch.batch_id, err: message },
            'batch refused as invalid',
          );
          return 'rejected';
        }
        // 401/403 (credential refused, agent revoked), 429 and 5xx: keep the data, try elsewhere, back off.
        if (res.retryAfterS) this.retryAfterMs = Math.max(this.retryAfterMs, res.retryAfterS * 1000);
        this.o.onError(`${res.status} ${message}`);
        if (res.status === 401) {
          this.o.onUnauthorized();
          return 'failed';
        }
        this.o.log.warn({ url, status: res.status, err: message }, 'collector did not accept the batch');
      } catch (err) {
        if (signal?.aborted) return 'failed';
        this.o.onError((err as Error).message);
        this.o.log.warn({ url, err: (err as Error).message }, 'collector unreachable');
      }
      this.current = (this.current + 1) % this.o.urls.length;
    }
    this.failures++;
    return 'failed';
  }
}

function merge(items: QueuedBatch[]): Batch {
  const [first] = items as [QueuedBatch, ...QueuedBatch[]];
  if (items.length === 1) return first.batch;
  return {
    batch_id: `${first.batch.batch_id}.m${items.length - 1}`.slice(0, 64),
    points: items.flatMap((i) => i.batch.points),
  };
}
