import type { Logger } from 'pino';
import { agentHealth, type Batch, collectorRun, type Point } from '../../protocol/index.js';
import { type DiskQueue, QueueWriteError } from './queue.js';
import { type Counters, writeJson } from './state.js';

export interface OutboxOptions {
  queue: DiskQueue;
  batchMaxPoints: number;
  /** Shared with agent_health and the status file; the outbox updates it in place. */
  counters: Counters;
  countersFile: string;
  batchId: () => string;
  log: Logger;
  /** Most agent_health/collector_run points held in memory while the queue cannot be written. */
  reserveMaxPoints?: number;
}

/** The agent's own reports: what an operator needs most when the disk is full, so they are kept in memory. */
const ESSENTIAL = new Set<string>([agentHealth.name, collectorRun.name]);

/**
 * Everything the agent produces goes through here on its way to the disk queue, and every point it
 * cannot keep is counted by reason. When the queue cannot be written (disk full), collectors' points
 * are dropped and counted, while agent_health and collector_run points wait in a small in-memory
 * reserve that the sender delivers directly — so the report of the loss itself still gets out.
 * Counters are saved to disk after each change, and saved again later when that write fails too.
 */
export class Outbox {
  private reserve: Point[] = [];
  private countersDirty = false;
  private writeError: string | undefined;

  constructor(private readonly o: OutboxOptions) {}

  /** Why the queue could not be written the last time, until a write succeeds again. */
  get lastWriteError(): string | undefined {
    return this.writeError;
  }

  get reservePoints(): number {
    return this.reserve.length;
  }

  /** Queues points in batches of at most batchMaxPoints; never throws. */
  async keep(points: Point[]): Promise<void> {
    for (let i = 0; i < points.length; i += this.o.batchMaxPoints) {
      const slice = points.slice(i, i + this.o.batchMaxPoints);
      try {
        const dropped = await this.o.queue.push({ batch_id: this.o.batchId(), points: slice });
        this.queueFullDrop(dropped);
        this.recovered();
      } catch (err) {
        this.queueFullDrop(err instanceof QueueWriteError ? err.droppedOldest : 0);
        this.unwritable(slice, err as Error);
      }
    }
    await this.saveCounters();
  }

  /**
   * What the sender should deliver from memory before the disk queue: undefined when the reserve
   * is empty or could be moved to the disk queue now.
   */
  async memoryBatch(): Promise<Batch | undefined> {
    if (this.reserve.length === 0) return undefined;
    const points = this.reserve.slice(0, this.o.batchMaxPoints);
    try {
      await this.o.queue.push({ batch_id: this.o.batchId(), points });
      this.reserve.splice(0, points.length);
      this.recovered();
      return this.memoryBatch();
    } catch {
      return { batch_id: this.o.batchId(), points };
    }
  }

  /** The server took (or refused as invalid, `rejected`) a batch from memoryBatch(). */
  async memoryDelivered(batch: Batch, outcome: 'sent' | 'rejected'): Promise<void> {
    this.reserve.splice(0, batch.points.length);
    if (outcome === 'rejected') {
      this.o.counters.rejected_points += batch.points.length;
      this.countersDirty = true;
    }
    await this.saveCounters();
  }

  /** A damaged queue file was set aside. */
  corrupt(points: number): void {
    this.o.counters.corrupt_queue_files += 1;
    this.o.counters.corrupt_queue_points += points;
    this.countersDirty = true;
  }

  /** The server refused queued points as invalid. */
  rejected(points: number): void {
    this.o.counters.rejected_points += points;
    this.countersDirty = true;
  }

  /** Writes counters.json when it changed or a previous write failed; never throws. */
  async saveCounters(): Promise<void> {
    if (!this.countersDirty) return;
    try {
      await writeJson(this.o.countersFile, this.o.counters);
      this.countersDirty = false;
    } catch (err) {
      // Kept in memory and in agent_health; written once the disk has room again.
      this.o.log.debug({ err: (err as Error).message }, 'cannot save counters yet');
    }
  }

  private queueFullDrop(points: number): void {
    if (points === 0) return;
    this.o.counters.dropped_queue_full_points += points;
    this.o.counters.dropped_points += points;
    this.countersDirty = true;
    this.o.log.warn(
      { dropped_points: points, total_dropped: this.o.counters.dropped_points },
      'send queue full: dropped the oldest points',
    );
  }

  private unwritable(points: Point[], err: Error): void {
    const essential = points.filter((p) => ESSENTIAL.has(p.measurement));
    let dropped = points.length - essential.length;
    this.reserve.push(...essential);
    const max = this.o.reserveMaxPoints ?? 2000;
    if (this.reserve.length > max) dropped += this.reserve.splice(0, this.reserve.length - max).length;
    this.o.counters.dropped_disk_full_points += dropped;
    this.o.counters.dropped_points += dropped;
    this.countersDirty = true;
    const message = err.message;
    // Once per episode at error level; a disk that stays full would otherwise flood the log.
    const log = this.writeError === undefined ? this.o.log.error : this.o.log.debug;
    log.call(
      this.o.log,
      {
        err: message,
        dropped_points: dropped,
        kept_in_memory: essential.length,
        total_dropped_disk_full: this.o.counters.dropped_disk_full_points,
      },
      'cannot write the send queue: dropping these points and counting them',
    );
    this.writeError = message;
  }

  private recovered(): void {
    if (this.writeError === undefined) return;
    this.o.log.warn(
      { total_dropped_disk_full: this.o.counters.dropped_disk_full_points, was: this.writeError },
      'send queue writable again',
    );
    this.writeError = undefined;
  }
}
