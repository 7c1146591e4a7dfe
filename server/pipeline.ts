import type { Logger } from 'pino';
import type { Point } from '../protocol/index.js';
import { type Condition, condition } from './condition.js';
import type { Metrics } from './metrics.js';
import type { Spool, SpoolRecord, SpoolSegment } from './spool.js';
import { type Storage, StorageError } from './storage/index.js';
import { lineProtocolBody, splitLines } from './storage/line-protocol.js';

export interface PipelineOptions {
  storage: Storage;
  spool: Spool;
  metrics: Metrics;
  log: Logger;
  batchMaxPoints: number;
  /** Largest write body (`write.max_body_bytes`): replay joins records into writes up to it. */
  maxBodyBytes: number;
  lingerMs: number;
  concurrency: number;
  /** Spool segments replayed at once while InfluxDB answers (one at a time while it does not). */
  replayConcurrency: number;
  /** How long a request waits on InfluxDB before its batch is fsynced to the spool and acknowledged. */
  ackTimeoutMs: number;
  /**
   * Lines to send with a write of `lines` at `now`, in the same request: the late marks of the hourly
   * roll-ups (server/rollups.ts lateHourMarks), so that an hour written to after its roll-up is known.
   */
  marks?: (lines: Buffer, now: number) => { lines: string; points: number };
}

interface Pending {
  points: readonly Point[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Points as line protocol (each line ending in a newline), as the spool holds and InfluxDB takes them. */
interface Lines {
  lines: Buffer;
  points: number;
}

/** Points InfluxDB refused as data, with its answer, waiting to be set aside in dead/. */
interface Refused extends Lines {
  why: string;
}

const joinLines = (parts: readonly Lines[]): Lines =>
  parts.length === 1
    ? (parts[0] as Lines)
    : { lines: Buffer.concat(parts.map((p) => p.lines)), points: parts.reduce((n, p) => n + p.points, 0) };

/**
 * Turns accepted batches into durable data. Batches arriving together are grouped into one InfluxDB
 * write (or one spool append and fsync). `accept` resolves only once its points are in InfluxDB or
 * fsynced to the spool; only then may the server answer 202.
 *
 * While InfluxDB answers, live batches go to it directly, even while the spool still drains. Why
 * order does not suffer: a point is identified by measurement, tag set and timestamp, and carries
 * its own timestamp; InfluxDB stores each such point once, the last write of it winning. Writing
 * spooled and live points in any order therefore stores the same data, except when the same point
 * (same series and timestamp) is written twice with different field values. Identity tags come
 * from the credential, so two agents never share a series; one agent sends a series' points with
 * its clock moving forward, and a point it sends twice (a retry after a lost 2xx, a replay after a
 * crash) carries the same values both times, so either order stores the same. Strict order would
 * only matter for two different values at one series and instant, which hatang's collectors do not
 * produce; the old "spool everything while anything is spooled" rule bought nothing for it and cost
 * drain speed (the spool could not empty while it took all the live load too).
 *
 * While InfluxDB does not answer (the last write failed as unreachable), live batches go straight
 * to the spool and a single replayer probes, pacing its retries; once a write passes, several
 * replayers drain segments in parallel, each segment in order, in large writes.
 *
 * InfluxDB refusing data is not an outage: a refused or too-large write is split in halves until the
 * refused points are isolated (InfluxDB 1.x stores the rest of a partial write, and writing a point
 * it stored again changes nothing), and only those go to dead/.
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
  /** InfluxDB unreachable: live batches are spooled without trying it; the replayer probes. */
  private readonly influxDown: Condition;
  /** The replayer tries and makes no progress. */
  private readonly stalled: Condition;
  private readonly slow: Condition;
  private lastProgress: number | undefined;
  /** Called when a write passes while one replayer probes (see probeThenWiden). */
  private onStored: (() => void) | undefined;
  /** When a live write last passed ackTimeoutMs: replayers other than the first give way meanwhile. */
  private lastSlowAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly o: PipelineOptions) {
    this.updateSpoolGauges();
    this.influxDown = condition(
      o.log,
      'influxdb write failed; spooling until it answers',
      'influxdb answers writes again',
    );
    this.stalled = condition(
      o.log,
      'spool replay makes no progress; retrying with backoff (at most every 5 s)',
      'spool replay progressing again',
    );
    this.slow = condition(
      o.log,
      'influxdb slower than write.ack_timeout; spooling the batches it keeps waiting',
      'influxdb answers within write.ack_timeout again',
    );
  }

  /** Starts replaying what an earlier run left in the spool. */
  start(): void {
    if (!this.o.spool.isEmpty) this.startReplay();
  }

  get replaying(): boolean {
    return this.replay !== undefined;
  }

  /** The replayer's state for /healthz. */
  get replayStatus() {
    const stalled = this.stalled.state;
    return {
      state: stalled ? 'stalled' : this.replay ? 'replaying' : 'idle',
      ...(stalled ? { stalled_since: stalled.since, error: stalled.detail } : {}),
      last_progress: this.lastProgress ? new Date(this.lastProgress).toISOString() : null,
    } as const;
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
      // Serialised once: the same bytes go to InfluxDB or, failing that, to the spool.
      const batch = { lines: lineProtocolBody(points), points: points.length };
      if (!this.influxDown.active && this.lateWrites < this.o.concurrency) {
        const outcome = await this.writeWithin(batch);
        if (outcome === 'stored') {
          for (const g of group) g.resolve();
          return;
        }
      }
      // Refused data is spooled too: the replayer isolates the refused points from the rest.
      await this.o.spool.appendLines(batch.lines, batch.points);
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
  private async writeWithin(batch: Lines): Promise<'stored' | 'failed' | 'slow'> {
    let timer: NodeJS.Timeout | undefined;
    const write = this.writeToStorage(batch).then(
      () => 'stored' as const,
      (err) => {
        if (err instanceof StorageError && err.permanent)
          this.o.log.debug({ err, points: batch.points }, 'influxdb refused (part of) a write; spooling it');
        return 'failed' as const;
      },
    );
    const slow = new Promise<'slow'>((resolve) => {
      timer = setTimeout(() => resolve('slow'), this.o.ackTimeoutMs);
    });
    const outcome = await Promise.race([write, slow]);
    clearTimeout(timer);
    if (outcome === 'slow') {
      this.slow.set(`no answer within ${this.o.ackTimeoutMs} ms`, { points: batch.points });
      this.lastSlowAt = Date.now();
      this.lateWrites++;
      void write.finally(() => this.lateWrites--);
    } else if (outcome === 'stored') this.slow.clear();
    return outcome;
  }

  private async writeToStorage({ lines, points }: Lines): Promise<void> {
    const started = performance.now();
    try {
      const marks = this.o.marks?.(lines, Date.now());
      if (marks && marks.points > 0) {
        const newline = lines.length > 0 && lines[lines.length - 1] !== 0x0a ? '\n' : '';
        await this.o.storage.writeLineProtocol(
          Buffer.concat([lines, Buffer.from(`${newline}${marks.lines}`)]),
          points + marks.points,
        );
      } else await this.o.storage.writeLineProtocol(lines, points);
      this.o.metrics.pointsWritten.inc({}, points);
      this.o.metrics.influxUp.set({}, 1);
      this.influxDown.clear();
      this.onStored?.();
    } catch (err) {
      this.o.metrics.writeErrors.inc();
      if (!(err instanceof StorageError && err.permanent)) {
        this.o.metrics.influxUp.set({}, 0);
        this.influxDown.set((err as Error).message, { points });
      }
      throw err;
    } finally {
      this.o.metrics.writeLatency.observe((performance.now() - started) / 1000);
    }
  }

  private startReplay(): void {
    if (this.replay || this.stopping) return;
    if (!this.stalled.active)
      this.o.log.info({ spool_points: this.o.spool.points }, 'replaying the spool into influxdb');
    let crashed = false;
    this.replay = this.replayLoop()
      .catch((err: Error) => {
        // Not expected (failures are handled inside); shown as a stalled replay, retried by the next spooled batch.
        crashed = true;
        this.stalled.set(`replayer stopped by an error: ${err.message}`);
        this.o.metrics.replayStalled.set({}, 1);
      })
      .finally(() => {
        this.replay = undefined;
        // A batch spooled after the last check but before the loop ended must not wait for the next outage.
        if (!this.o.spool.isEmpty && !this.stopping && !crashed) this.startReplay();
      });
  }

  /**
   * Runs replayers until the spool is empty: one while InfluxDB does not answer (a probe, paced
   * 250 ms doubling to 5 s), replayConcurrency once it does. Never ends on an error while anything
   * is spooled, and never retries without a pause: a failure is a state (logged when it starts and
   * ends, shown by /healthz and /metrics), not a loop of log lines.
   */
  private async replayLoop(): Promise<void> {
    let delay = 250;
    let prepared = false;
    while (!this.stopping) {
      if (!prepared) {
        prepared = await this.o.storage.prepare().then(
          () => true,
          () => false,
        );
      }
      const results = this.influxDown.active
        ? await this.probeThenWiden()
        : await Promise.all(Array.from({ length: this.o.replayConcurrency }, (_, i) => this.replayWorker(i)));
      const failure = results.find((r): r is { failed: Error } => typeof r === 'object');
      if (this.stopping) break;
      if (failure) {
        this.stalled.set(failure.failed.message, { spool_points: this.o.spool.points });
        this.o.metrics.replayStalled.set({}, 1);
        this.o.metrics.replayFailures.inc();
        await this.pauseUntilUp(delay);
        delay = Math.min(delay * 2, 5_000);
        continue;
      }
      delay = 250;
      if (this.o.spool.isEmpty) {
        this.stalled.clear();
        this.o.metrics.replayStalled.set({}, 0);
        this.o.log.info('spool replayed; writing to influxdb directly again');
        return;
      }
      // Appends under way and no closed segment yet: look again shortly.
      await this.pause(20);
    }
  }

  /**
   * One replayer probes while InfluxDB was unreachable; the others start at the first write that
   * passes (the probe's or a live one), not after the probe's whole segment.
   */
  private async probeThenWiden(): Promise<('drained' | { failed: Error })[]> {
    const up = new Promise<'up'>((resolve) => {
      this.onStored = () => resolve('up');
    });
    const probe = this.replayWorker(0);
    const first = await Promise.race([probe, up]);
    this.onStored = undefined;
    if (first !== 'up' || this.stopping) return [await probe];
    const others = Array.from({ length: this.o.replayConcurrency - 1 }, (_, i) => this.replayWorker(i + 1));
    return Promise.all([probe, ...others]);
  }

  /** Replays segments oldest first until none is left to take. */
  private async replayWorker(index: number): Promise<'drained' | { failed: Error }> {
    while (!this.stopping) {
      let segment: SpoolSegment | undefined;
      try {
        segment = await this.o.spool.take();
      } catch (err) {
        return { failed: new Error(`spool read: ${(err as Error).message}`, { cause: err }) };
      }
      if (!segment) return 'drained';
      const failed = await this.replaySegment(segment, index).catch((err: Error) => err);
      if (failed) {
        this.o.spool.giveBack(segment);
        return { failed };
      }
      try {
        await this.o.spool.remove(segment);
      } catch (err) {
        // Written but not removable: it is written again later, which stores nothing twice.
        this.o.spool.giveBack(segment);
        return { failed: new Error(`spool remove: ${(err as Error).message}`, { cause: err }) };
      }
      this.progress();
    }
    return 'drained';
  }

  private progress(): void {
    this.lastProgress = Date.now();
    this.stalled.clear({ spool_points: this.o.spool.points });
    this.o.metrics.replayStalled.set({}, 0);
    this.updateSpoolGauges();
  }

  /**
   * Writes a segment's records in order, joined as they are into writes of up to batchMaxPoints
   * points and maxBodyBytes (a larger record is a write of its own; the storage splits it by bytes).
   * Resolves undefined once every point is stored or set aside; an Error when InfluxDB could not be
   * written and the segment must be retried.
   */
  private async replaySegment(segment: SpoolSegment, worker = 0): Promise<Error | undefined> {
    const refused: Refused[] = [];
    const damaged: Extract<SpoolRecord, { kind: 'damaged' }>[] = [];
    let group: Lines[] = [];
    let groupPoints = 0;
    let groupBytes = 0;
    let checked = 0;
    const flush = async () => {
      await this.giveWayToLive(worker);
      const failed = await this.writeIsolating(group, refused);
      group = [];
      groupPoints = 0;
      groupBytes = 0;
      return failed;
    };
    for (const record of segment.records()) {
      if (this.stopping) return new Error('server is stopping');
      // Checking records is synchronous: let waiting requests in every ~4 MB, so live ingest keeps its latency.
      checked += record.kind === 'lines' ? record.lines.length : record.data.length;
      if (checked >= 4_000_000) {
        checked = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (record.kind === 'damaged') {
        damaged.push(record);
        continue;
      }
      if (record.points === 0) continue;
      if (
        group.length > 0 &&
        (groupPoints + record.points > this.o.batchMaxPoints ||
          groupBytes + record.lines.length > this.o.maxBodyBytes)
      ) {
        const failed = await flush();
        if (failed) return failed;
      }
      group.push(record);
      groupPoints += record.points;
      groupBytes += record.lines.length;
    }
    if (group.length > 0) {
      const failed = await flush();
      if (failed) return failed;
    }
    // Set aside only once the whole segment is through, so a retried segment is not set aside twice.
    if (damaged.length > 0) await this.o.spool.quarantineDamaged(damaged);
    if (refused.length > 0) {
      await this.o.spool.quarantine(refused);
      this.o.metrics.pointsRefused.inc(
        {},
        refused.reduce((n, r) => n + r.points, 0),
      );
    }
    return undefined;
  }

  /**
   * Live batches come first: while live writes pass ackTimeoutMs (InfluxDB saturated, partly by the
   * replay), every replayer but the first waits, so live batches keep going to InfluxDB directly
   * instead of each costing an ack timeout and a spool append, and the drain uses what capacity is
   * left. Waits at most while a slow live write happened in the last 2 s.
   */
  private async giveWayToLive(worker: number): Promise<void> {
    for (let i = 0; worker > 0 && i < 600 && !this.stopping && Date.now() - this.lastSlowAt < 2_000; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * Writes records, isolating what InfluxDB refuses: a refused or too-large write is split in halves
   * (by records, then a record by its lines) and each half written again, down to single points,
   * which go to `refused`. A half InfluxDB says it dropped entirely (`dropped=N` for all N points)
   * is refused whole without more splitting. Returns an Error when InfluxDB was unreachable.
   */
  private async writeIsolating(parts: readonly Lines[], refused: Refused[]): Promise<Error | undefined> {
    const batch = joinLines(parts);
    try {
      await this.writeToStorage(batch);
      return undefined;
    } catch (err) {
      if (!(err instanceof StorageError) || err.kind === 'unavailable') return err as Error;
      const allDropped = err.kind === 'refused' && (err.dropped ?? 0) >= batch.points;
      if (batch.points === 1 || allDropped) {
        refused.push({ ...batch, why: err.message });
        return undefined;
      }
      const halves = parts.length > 1 ? parts : this.pointsOf(batch);
      if (!halves) {
        refused.push({
          ...batch,
          why: `${err.message} (and its lines cannot be told apart to isolate the refused ones)`,
        });
        return undefined;
      }
      const mid = halves.length >>> 1;
      return (
        (await this.writeIsolating(halves.slice(0, mid), refused)) ??
        (await this.writeIsolating(halves.slice(mid), refused))
      );
    }
  }

  /** A record's points, one line each; undefined when its lines do not match its count (never expected). */
  private pointsOf(batch: Lines): Lines[] | undefined {
    try {
      const lines = splitLines(batch.lines);
      if (lines.length === batch.points) return lines.map((lines) => ({ lines, points: 1 }));
      this.o.log.error(
        { points: batch.points, lines: lines.length },
        'spool: a record splits into a different number of lines than it holds',
      );
    } catch (err) {
      this.o.log.error({ err, points: batch.points }, 'spool: a record cannot be split into its lines');
    }
    return undefined;
  }

  /**
   * Waits `ms` before the next replay attempt, but only until InfluxDB, silent at first, answers
   * /ping again (asked every 250 ms): a restarted InfluxDB is written to within a moment, not after
   * the whole backoff. One that answers pings but fails writes waits the whole backoff.
   */
  private async pauseUntilUp(ms: number): Promise<void> {
    const until = Date.now() + ms;
    let sawDown = false;
    while (!this.stopping && Date.now() < until) {
      await this.pause(Math.min(250, until - Date.now()));
      if (this.stopping) return;
      const up = await this.o.storage.ping(250);
      if (up && sawDown) return;
      sawDown ||= !up;
    }
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
