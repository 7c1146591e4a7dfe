import { mkdir, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Batch } from '../../protocol/index.js';
import { writeFileAtomic } from './files.js';

const ENTRY = /^(\d{16})-(\d+)\.json$/;

interface Entry {
  name: string;
  seq: number;
  points: number;
  bytes: number;
}

/** One queued batch as read back from disk. */
export interface QueuedBatch {
  name: string;
  batch: Batch;
}

export interface DiskQueueOptions {
  /** Oldest batches are dropped (and counted) beyond this many bytes. */
  maxBytes: number;
  /** rejected/ keeps the newest files within these bounds; older ones are deleted. */
  rejectedMaxBytes?: number;
  rejectedMaxFiles?: number;
  log?: Logger;
  /** A queue file was found damaged and set aside in rejected/: its name, why, and its points. */
  onCorrupt?: (file: { name: string; reason: string; points: number }) => void;
}

/**
 * A push that could not write its batch (disk full, I/O error). `droppedOldest` says how many
 * points had already been dropped to make room, so they are counted even though the push failed.
 */
export class QueueWriteError extends Error {
  constructor(
    message: string,
    readonly droppedOldest: number,
    options: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'QueueWriteError';
  }
}

/**
 * The agent's on-disk send queue: one file per batch, named `<seq>-<points>.json`, written
 * atomically before any attempt to send it and removed only after the server's 2xx. When the queue
 * would pass `maxBytes`, the oldest batches are dropped and their points counted as dropped. A file
 * found damaged is logged, counted and moved to rejected/, which is kept within bounds.
 */
export class DiskQueue {
  private entries: Entry[] = [];
  private nextSeq = 1;
  private totalBytes = 0;
  private readonly rejectedDir: string;

  private constructor(
    private readonly dir: string,
    private readonly o: DiskQueueOptions,
  ) {
    this.rejectedDir = join(dir, 'rejected');
  }

  static async open(dir: string, options: DiskQueueOptions | number): Promise<DiskQueue> {
    const q = new DiskQueue(dir, typeof options === 'number' ? { maxBytes: options } : options);
    await mkdir(q.rejectedDir, { recursive: true, mode: 0o700 });
    let lastSeq = 0;
    for (const name of (await readdir(dir)).sort()) {
      const m = ENTRY.exec(name);
      if (!m) {
        // Leftover temp file from a crash before rename: it was never acknowledged as queued.
        if (name.endsWith('.tmp')) await unlink(join(dir, name)).catch(() => undefined);
        else if (name !== 'rejected') q.o.log?.warn({ file: join(dir, name) }, 'not a queue file; ignored');
        continue;
      }
      const { size } = await stat(join(dir, name));
      q.entries.push({ name, seq: Number(m[1]), points: Number(m[2]), bytes: size });
      q.totalBytes += size;
      lastSeq = Number(m[1]);
    }
    // Sequence numbers continue past rejected/ too, so a new batch never takes a set-aside one's name.
    for (const name of await readdir(q.rejectedDir)) {
      const m = ENTRY.exec(name);
      if (m) lastSeq = Math.max(lastSeq, Number(m[1]));
    }
    q.nextSeq = lastSeq + 1;
    return q;
  }

  get batches(): number {
    return this.entries.length;
  }

  get points(): number {
    return this.entries.reduce((n, e) => n + e.points, 0);
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /**
   * Queues a batch durably; returns how many points had to be dropped (oldest first) to fit it.
   * Throws QueueWriteError when the batch could not be written; nothing of it is left on disk.
   */
  async push(batch: Batch): Promise<number> {
    const data = JSON.stringify(batch);
    const bytes = Buffer.byteLength(data);
    let dropped = 0;
    while (this.entries.length > 0 && this.totalBytes + bytes > this.o.maxBytes) {
      const oldest = this.entries[0] as Entry;
      await this.remove(oldest.name);
      dropped += oldest.points;
    }
    const seq = this.nextSeq++;
    const name = `${String(seq).padStart(16, '0')}-${batch.points.length}.json`;
    try {
      await writeFileAtomic(join(this.dir, name), data);
    } catch (err) {
      throw new QueueWriteError(`queue ${name}: ${(err as Error).message}`, dropped, { cause: err });
    }
    this.entries.push({ name, seq, points: batch.points.length, bytes });
    this.totalBytes += bytes;
    return dropped;
  }

  /**
   * The oldest batches, together at most `maxPoints` points (always at least one batch when the
   * queue holds a readable one). A damaged file is set aside (onCorrupt) and skipped. Empty while
   * batches remain only when the system could not read them just now (out of file descriptors).
   */
  async peek(maxPoints: number): Promise<QueuedBatch[]> {
    const out: QueuedBatch[] = [];
    let points = 0;
    for (const e of [...this.entries]) {
      if (out.length > 0 && points + e.points > maxPoints) break;
      const read = await this.read(e);
      if (read === 'busy') break;
      if (typeof read === 'string') {
        // A damaged entry must not block the queue forever, nor vanish without a word.
        this.o.log?.error(
          { file: join(this.dir, e.name), reason: read, points: e.points },
          'damaged queue file moved to rejected/',
        );
        await this.reject(e.name);
        this.o.onCorrupt?.({ name: e.name, reason: read, points: e.points });
        continue;
      }
      out.push({ name: e.name, batch: read });
      points += e.points;
    }
    return out;
  }

  /** The entry's batch, why it cannot be one, or 'busy' when the system cannot read it just now. */
  private async read(e: Entry): Promise<Batch | string> {
    let text: string;
    try {
      text = await readFile(join(this.dir, e.name), 'utf8');
    } catch (err) {
      // Out of file descriptors or memory says nothing about the file: try again later.
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (['EMFILE', 'ENFILE', 'ENOMEM', 'EAGAIN', 'EINTR'].includes(code)) {
        this.o.log?.warn(
          { file: join(this.dir, e.name), err: (err as Error).message },
          'cannot read queue file now',
        );
        return 'busy';
      }
      return `cannot read: ${(err as Error).message}`;
    }
    if (text.length === 0) return 'empty file';
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return `not JSON (${text.length} bytes): ${(err as Error).message}`;
    }
    const b = value as Partial<Batch> | null;
    if (typeof b !== 'object' || b === null || typeof b.batch_id !== 'string' || !Array.isArray(b.points))
      return 'not a batch: batch_id or points missing';
    if (b.points.length !== e.points)
      return `not the batch its name says: ${b.points.length} points, name says ${e.points}`;
    return b as Batch;
  }

  async remove(name: string): Promise<void> {
    await unlink(join(this.dir, name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    this.forget(name);
  }

  /** Moves a batch (refused as invalid, or damaged) to rejected/ for a person to look at. */
  async reject(name: string): Promise<void> {
    const moved = await rename(join(this.dir, name), join(this.rejectedDir, name)).then(
      () => true,
      () => false,
    );
    // Cannot move it (rejected/ gone, odd permissions): remove it, or it would be read again forever.
    if (!moved) await unlink(join(this.dir, name)).catch(() => undefined);
    this.forget(name);
    await this.pruneRejected();
  }

  /** Keeps rejected/ within its bounds, deleting the oldest files first. */
  private async pruneRejected(): Promise<void> {
    const maxFiles = this.o.rejectedMaxFiles ?? 1000;
    const maxBytes = this.o.rejectedMaxBytes ?? 16 * 1024 ** 2;
    const files: { name: string; bytes: number; mtime: number }[] = [];
    for (const name of await readdir(this.rejectedDir).catch(() => [] as string[])) {
      const s = await stat(join(this.rejectedDir, name)).catch(() => undefined);
      if (s?.isFile()) files.push({ name, bytes: s.size, mtime: s.mtimeMs });
    }
    // Ordinal, not localeCompare: the names are ASCII, and ICU collation costs the agent ~2 MiB resident.
    files.sort((a, b) => a.mtime - b.mtime || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    let bytes = files.reduce((n, f) => n + f.bytes, 0);
    const removed: string[] = [];
    while (files.length > 0 && (files.length > maxFiles || bytes > maxBytes)) {
      const oldest = files.shift() as (typeof files)[number];
      await unlink(join(this.rejectedDir, oldest.name)).catch(() => undefined);
      bytes -= oldest.bytes;
      removed.push(oldest.name);
    }
    if (removed.length > 0)
      this.o.log?.warn(
        { removed: removed.length, oldest_removed: removed[0], kept_files: files.length, kept_bytes: bytes },
        'rejected/ over its bounds: removed the oldest files',
      );
  }

  private forget(name: string): void {
    const i = this.entries.findIndex((e) => e.name === name);
    if (i === -1) return;
    this.totalBytes -= (this.entries[i] as Entry).bytes;
    this.entries.splice(i, 1);
  }
}
