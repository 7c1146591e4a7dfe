import { type FileHandle, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Point } from '../protocol/index.js';

/** The spool cannot take more without passing its size limit; the caller must refuse the request. */
export class SpoolFullError extends Error {
  constructor(
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(`spool is full: ${bytes} of ${maxBytes} bytes used while InfluxDB is unreachable`);
    this.name = 'SpoolFullError';
  }
}

export interface SpoolOptions {
  maxBytes: number;
  segmentBytes: number;
  log: Logger;
}

/** A closed segment handed to the replayer, oldest first. */
export interface SpoolSegment {
  file: string;
  records: Point[][];
  bytes: number;
  points: number;
}

interface WaitingAppend {
  line: string;
  bytes: number;
  points: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

interface SegmentInfo {
  file: string;
  bytes: number;
  points: number;
}

const SEGMENT = /^(\d{12})\.seg$/;

/**
 * Append-only on-disk queue of accepted points, in segment files of JSON lines (`<count> <json>\n`).
 * `append` resolves only after the data is fsynced, so a point acknowledged to an agent survives a
 * crash. Appends are serialised; the replayer takes closed segments oldest first and deletes each
 * once every record in it is in InfluxDB. A torn last line (a crash mid-append, never acknowledged)
 * is dropped when the segment is read.
 */
export class Spool {
  private segments: SegmentInfo[] = [];
  private active: { info: SegmentInfo; handle: FileHandle } | undefined;
  private nextSeq = 1;
  private chain: Promise<unknown> = Promise.resolve();
  private waiting: WaitingAppend[] = [];
  private queuedAppends = 0;
  private totalBytes = 0;
  private totalPoints = 0;
  private wasFull = false;

  private constructor(
    readonly dir: string,
    private readonly opts: SpoolOptions,
  ) {}

  /** Opens (creating if needed) the spool directory and accounts for segments left by a previous run. */
  static async open(dir: string, opts: SpoolOptions): Promise<Spool> {
    const spool = new Spool(dir, opts);
    await mkdir(join(dir, 'dead'), { recursive: true });
    const names = (await readdir(dir)).filter((n) => SEGMENT.test(n)).sort();
    for (const name of names) {
      const file = join(dir, name);
      const { size } = await stat(file);
      if (size === 0) {
        await unlink(file);
        continue;
      }
      const { points } = parseSegment(await readFile(file, 'utf8'));
      spool.segments.push({ file, bytes: size, points });
      spool.totalBytes += size;
      spool.totalPoints += points;
    }
    const last = names.at(-1);
    spool.nextSeq = last ? Number(SEGMENT.exec(last)?.[1]) + 1 : 1;
    if (spool.segments.length > 0) {
      opts.log.warn(
        { spool_bytes: spool.totalBytes, spool_points: spool.totalPoints, segments: spool.segments.length },
        'spool holds points from an earlier run; they will be replayed',
      );
    }
    return spool;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  get points(): number {
    return this.totalPoints;
  }

  /** True when nothing is spooled and no append is under way. */
  get isEmpty(): boolean {
    return this.segments.length === 0 && this.queuedAppends === 0;
  }

  /**
   * Appends points durably. Appends that arrive while a write is under way are written together
   * with one fsync (group commit). Rejects with SpoolFullError when the size limit would be passed.
   */
  append(points: readonly Point[]): Promise<void> {
    this.queuedAppends++;
    return new Promise<void>((resolve, reject) => {
      const line = `${points.length} ${JSON.stringify(points)}\n`;
      this.waiting.push({ line, bytes: Buffer.byteLength(line), points: points.length, resolve, reject });
      if (this.waiting.length === 1) void this.serial(() => this.writeWaiting());
    });
  }

  private async writeWaiting(): Promise<void> {
    const group = this.waiting.splice(0);
    const accepted: WaitingAppend[] = [];
    let bytes = 0;
    for (const w of group) {
      if (this.totalBytes + bytes + w.bytes > this.opts.maxBytes) {
        if (!this.wasFull) {
          this.opts.log.error(
            { spool_bytes: this.totalBytes, max_bytes: this.opts.maxBytes },
            'spool is full: refusing new batches until InfluxDB is back',
          );
        }
        this.wasFull = true;
        this.queuedAppends--;
        w.reject(new SpoolFullError(this.totalBytes, this.opts.maxBytes));
        continue;
      }
      accepted.push(w);
      bytes += w.bytes;
    }
    if (accepted.length === 0) return;
    this.wasFull = false;
    try {
      const active = await this.activeFor(bytes);
      await active.handle.write(accepted.map((w) => w.line).join(''));
      await active.handle.datasync();
      const points = accepted.reduce((n, w) => n + w.points, 0);
      active.info.bytes += bytes;
      active.info.points += points;
      this.totalBytes += bytes;
      this.totalPoints += points;
      for (const w of accepted) w.resolve();
    } catch (err) {
      for (const w of accepted)
        w.reject(new Error(`spool append: ${(err as Error).message}`, { cause: err }));
    } finally {
      this.queuedAppends -= accepted.length;
    }
  }

  /**
   * The oldest segment with its records, closing it first when appends are still going into it.
   * Undefined when the spool is empty.
   */
  oldest(): Promise<SpoolSegment | undefined> {
    return this.serial(async () => {
      const info = this.segments[0];
      if (!info) return undefined;
      if (this.active?.info === info) await this.closeActive();
      const { records, torn, corrupt } = parseSegment(await readFile(info.file, 'utf8'));
      if (torn > 0)
        this.opts.log.warn({ file: info.file, bytes: torn }, 'spool: dropped a torn, unacknowledged tail');
      if (corrupt.length > 0) await this.writeDead(corrupt, 'corrupt spool line');
      return { file: info.file, records, bytes: info.bytes, points: info.points };
    });
  }

  /** Forgets a segment the replayer has fully written to InfluxDB. */
  remove(segment: SpoolSegment): Promise<void> {
    return this.serial(async () => {
      await unlink(segment.file);
      this.forget(segment.file);
    });
  }

  /**
   * Moves records InfluxDB refused as data (not as an outage) aside into dead/, so they neither
   * block the replay nor vanish; an operator can inspect and re-post them.
   */
  quarantine(records: readonly Point[][], why: string): Promise<void> {
    return this.writeDead(
      records.map((r) => JSON.stringify({ why, points: r })),
      why,
    );
  }

  private async writeDead(lines: readonly string[], why: string): Promise<void> {
    const file = join(this.dir, 'dead', `${Date.now()}-${process.pid}.jsonl`);
    const handle = await open(file, 'a', 0o600);
    try {
      await handle.write(`${lines.join('\n')}\n`);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    this.opts.log.error({ file, records: lines.length, why }, 'spool: records set aside in dead/');
  }

  async close(): Promise<void> {
    await this.serial(() => this.closeActive());
  }

  private forget(file: string): void {
    const i = this.segments.findIndex((s) => s.file === file);
    const [info] = this.segments.splice(i, 1);
    if (info) {
      this.totalBytes -= info.bytes;
      this.totalPoints -= info.points;
    }
  }

  private async activeFor(size: number) {
    if (this.active && this.active.info.bytes > 0 && this.active.info.bytes + size > this.opts.segmentBytes) {
      await this.closeActive();
    }
    if (!this.active) {
      const file = join(this.dir, `${String(this.nextSeq++).padStart(12, '0')}.seg`);
      const tmp = `${file}.new`;
      // Create under a temporary name and rename, so a crash never leaves a half-created segment name.
      const handle = await open(tmp, 'a', 0o600);
      await rename(tmp, file);
      const info = { file, bytes: 0, points: 0 };
      this.segments.push(info);
      this.active = { info, handle };
    }
    return this.active;
  }

  private async closeActive(): Promise<void> {
    const active = this.active;
    this.active = undefined;
    if (!active) return;
    await active.handle.close();
    if (active.info.bytes === 0) {
      await unlink(active.info.file);
      this.forget(active.info.file);
    }
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task, task);
    this.chain = run.catch(() => undefined);
    return run;
  }
}

/** Reads `<count> <json>\n` records; a last line without its newline is a torn append. */
function parseSegment(text: string): { records: Point[][]; points: number; torn: number; corrupt: string[] } {
  const records: Point[][] = [];
  const corrupt: string[] = [];
  let points = 0;
  let start = 0;
  for (;;) {
    const end = text.indexOf('\n', start);
    if (end === -1) break;
    const line = text.slice(start, end);
    start = end + 1;
    try {
      const record = JSON.parse(line.slice(line.indexOf(' ') + 1)) as Point[];
      records.push(record);
      points += record.length;
    } catch {
      // Only a damaged disk produces this: every line is written whole and fsynced before it is acked.
      corrupt.push(line);
    }
  }
  return { records, points, torn: text.length - start, corrupt };
}
