import type { Logger } from 'pino';
import type { Point } from '../protocol/index.js';
import type { Metrics } from './metrics.js';
import type { Spool, SpoolSegment } from './spool.js';
import { type Storage, StorageError } from './storage/index.js';

export interface PipelineOptions {
  storage: Storage;
  spool: Spool;
  metrics: Metrics;
  log: Logger;
  batchMaxPoints: number;
  lingerMs: number;
  concurrency: number;
  /** How long a request waits on InfluxDB before its batch is fsynced to the spool and acknowledged. */
  ackTimeoutMs: number;
}

interface Pending {
  points: readonly Point[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Turns accepted batches into durable data. Batches arriving together are grouped into one InfluxDB
 * write (or one spool append and fsync). `accept` resolves only once its points are in InfluxDB or
 * fsynced to the spool; only then may the server answer 202.
 *
 * While anything is spooled, new batches go to the spool too, and a replayer writes the spool to
 * InfluxDB oldest first, pacing its retries, until it is empty again.
 */
export class WritePipeline {
  private pending: Pending[] = [];
  private pendingPoints = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private replay: Promise<void> | undefined;
  private stopping = false;
  private idleWaiters: (() => void)[] = [];
  private wakeReplay: () => void = () => {};
  /** Writes that passed ackTimeoutMs and still run; bounded so a hung InfluxDB cannot pile them up. */
  private lateWrites = 0;

  constructor(private readonly o: PipelineOptions) {
    this.updateSpoolGauges();
  }

  /** Starts replaying what an earlier run left in the spool. */
  start(): void {
    if (!this.o.spool.isEmpty) this.startReplay();
  }

  get replaying(): boolean {
    return this.replay !== undefined;
  }

  accept(points: readonly Point[]): Promise<void> {
    if (this.stopping) return Promise.reject(new Error('server is shutting down'));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ points, resolve, reject });
      this.pendingPoints += points.length;
      if (this.pendingPoints >= this.o.batchMaxPoints) this.pump();
      // With every write slot busy, the batch waits for one to free up (commit() pumps then), and
      // whatever arrived meanwhile goes in the same write: batching grows with load on its own.
      else if (this.inFlight < this.o.concurrency)
        this.timer ??= setTimeout(() => this.pump(), this.o.lingerMs);
    });
  }

  /** Commits everything pending and stops the replayer; what is left spooled is replayed next start. */
  async drain(): Promise<void> {
    this.stopping = true;
    this.wakeReplay();
    this.pump();
    if (this.inFlight > 0 || this.pending.length > 0) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
    await this.replay;
  }

  private pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.pending.length > 0 && this.inFlight < this.o.concurrency) {
      const group: Pending[] = [];
      let size = 0;
      while (this.pending.length > 0) {
        const next = this.pending[0] as Pending;
        if (group.length > 0 && size + next.points.length > this.o.batchMaxPoints) break;
        group.push(next);
        size += next.points.length;
        this.pending.shift();
      }
      this.pendingPoints -= size;
      this.inFlight++;
      void this.commit(group).finally(() => {
        this.inFlight--;
        if (this.pending.length > 0) this.pump();
        else if (this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
      });
    }
  }

  private async commit(group: Pending[]): Promise<void> {
    const points = group.length === 1 ? (group[0] as Pending).points : group.flatMap((g) => g.points);
    try {
      if (this.o.spool.isEmpty && !this.replay && this.lateWrites < this.o.concurrency) {
        const outcome = await this.writeWithin(points);
        if (outcome === 'stored') {
          for (const g of group) g.resolve();
          return;
        }
        if (outcome === 'slow') {
          this.o.log.warn(
            { points: points.length, ack_timeout_ms: this.o.ackTimeoutMs },
            'influxdb slow; spooling',
          );
        }
      }
      await this.o.spool.append(points);
      this.o.metrics.pointsSpooled.inc({}, points.length);
      this.updateSpoolGauges();
      this.startReplay();
      for (const g of group) g.resolve();
    } catch (err) {
      for (const g of group) g.reject(err);
    }
  }

  /**
   * Writes to InfluxDB but stops waiting after ackTimeoutMs: a slow InfluxDB must not hold agents'
   * requests. A write still running then may land too; the spooled copy replays onto the same series
   * and timestamps, which InfluxDB stores once.
   */
  private async writeWithin(points: readonly Point[]): Promise<'stored' | 'failed' | 'slow'> {
    let timer: NodeJS.Timeout | undefined;
    let late = false;
    const write = this.writeToStorage(points).then(
      () => 'stored' as const,
      (err) => {
        if (!late) this.o.log.warn({ err, points: points.length }, 'influxdb write failed; spooling');
        return 'failed' as const;
      },
    );
    const slow = new Promise<'slow'>((resolve) => {
      timer = setTimeout(() => resolve('slow'), this.o.ackTimeoutMs);
    });
    const outcome = await Promise.race([write, slow]);
    clearTimeout(timer);
    if (outcome === 'slow') {
      late = true;
      this.lateWrites++;
      void write.finally(() => this.lateWrites--);
    }
    return outcome;
  }

  private async writeToStorage(points: readonly Point[]): Promise<void> {
    const started = performance.now();
    try {
      await this.o.storage.write(points);
      this.o.metrics.pointsWritten.inc({}, points.length);
      this.o.metrics.influxUp.set({}, 1);
    } catch (err) {
      this.o.metrics.writeErrors.inc();
      if (!(err instanceof StorageError && err.permanent)) this.o.metrics.influxUp.set({}, 0);
      throw err;
    } finally {
      this.o.metrics.writeLatency.observe((performance.now() - started) / 1000);
    }
  }

  private startReplay(): void {
    if (this.replay || this.stopping) return;
    this.o.log.info({ spool_points: this.o.spool.points }, 'replaying the spool into influxdb');
    this.replay = this.replayLoop()
      .catch((err) => this.o.log.error({ err }, 'spool replay stopped by an error; it resumes at next start'))
      .finally(() => {
        this.replay = undefined;
        // A batch spooled after the last check but before the loop ended must not wait for the next outage.
        if (!this.o.spool.isEmpty && !this.stopping) this.startReplay();
      });
  }

  private async replayLoop(): Promise<void> {
    let delay = 250;
    let prepared = false;
    while (!this.stopping) {
      const segment = await this.o.spool.oldest();
      if (!segment) {
        if (this.o.spool.isEmpty) {
          this.o.log.info('spool replayed; writing to influxdb directly again');
          return;
        }
        continue;
      }
      if (!prepared) {
        prepared = await this.o.storage.prepare().then(
          () => true,
          () => false,
        );
      }
      const done = await this.replaySegment(segment);
      if (done) {
        await this.o.spool.remove(segment);
        this.updateSpoolGauges();
        delay = 250;
      } else {
        await this.pause(delay);
        delay = Math.min(delay * 2, 5_000);
      }
    }
  }

  /** Writes a segment's records in groups; false when InfluxDB failed and the segment must be retried. */
  private async replaySegment(segment: SpoolSegment): Promise<boolean> {
    let group: Point[][] = [];
    let size = 0;
    const flush = async (): Promise<boolean> => {
      if (group.length === 0) return true;
      try {
        await this.writeToStorage(group.flat());
      } catch (err) {
        if (!(err instanceof StorageError && err.permanent)) return false;
        await this.o.spool.quarantine(group, (err as Error).message);
      }
      group = [];
      size = 0;
      return true;
    };
    for (const record of segment.records) {
      if (this.stopping) return false;
      if (size > 0 && size + record.length > this.o.batchMaxPoints && !(await flush())) return false;
      group.push(record);
      size += record.length;
    }
    return flush();
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wakeReplay = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private updateSpoolGauges(): void {
    this.o.metrics.spoolBytes.set({}, this.o.spool.bytes);
    this.o.metrics.spoolPoints.set({}, this.o.spool.points);
  }
}
