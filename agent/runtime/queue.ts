import { mkdir, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
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

/**
 * The agent's on-disk send queue: one file per batch, named `<seq>-<points>.json`, written
 * atomically before any attempt to send it and removed only after the server's 2xx. When the queue
 * would pass `maxBytes`, the oldest batches are dropped and their points counted as dropped.
 */
export class DiskQueue {
  private entries: Entry[] = [];
  private nextSeq = 1;
  private totalBytes = 0;

  private constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
  ) {}

  static async open(dir: string, maxBytes: number): Promise<DiskQueue> {
    const q = new DiskQueue(dir, maxBytes);
    await mkdir(join(dir, 'rejected'), { recursive: true, mode: 0o700 });
    for (const name of (await readdir(dir)).sort()) {
      const m = ENTRY.exec(name);
      if (!m) {
        // Leftover temp file from a crash before rename: it was never acknowledged as queued.
        if (name.endsWith('.tmp')) await unlink(join(dir, name)).catch(() => undefined);
        continue;
      }
      const { size } = await stat(join(dir, name));
      q.entries.push({ name, seq: Number(m[1]), points: Number(m[2]), bytes: size });
      q.totalBytes += size;
    }
    q.nextSeq = (q.entries.at(-1)?.seq ?? 0) + 1;
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

  /** Queues a batch durably; returns how many points had to be dropped (oldest first) to fit it. */
  async push(batch: Batch): Promise<number> {
    const data = JSON.stringify(batch);
    const bytes = Buffer.byteLength(data);
    let dropped = 0;
    while (this.entries.length > 0 && this.totalBytes + bytes > this.maxBytes) {
      const oldest = this.entries[0] as Entry;
      await this.remove(oldest.name);
      dropped += oldest.points;
    }
    const name = `${String(this.nextSeq++).padStart(16, '0')}-${batch.points.length}.json`;
    await writeFileAtomic(join(this.dir, name), data);
    this.entries.push({ name, seq: this.nextSeq - 1, points: batch.points.length, bytes });
    this.totalBytes += bytes;
    return dropped;
  }

  /** The oldest batches, together at most `maxPoints` points (always at least one batch). */
  async peek(maxPoints: number): Promise<QueuedBatch[]> {
    const out: QueuedBatch[] = [];
    let points = 0;
    for (const e of this.entries) {
      if (out.length > 0 && points + e.points > maxPoints) break;
      try {
        out.push({
          name: e.name,
          batch: JSON.parse(await readFile(join(this.dir, e.name), 'utf8')) as Batch,
        });
      } catch {
        // Unreadable entry (disk damage): set it aside rather than block the queue forever.
        await this.reject(e.name);
        continue;
      }
      points += e.points;
    }
    return out;
  }

  async remove(name: string): Promise<void> {
    await unlink(join(this.dir, name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    this.forget(name);
  }

  /** Moves a batch the server refused as invalid to rejected/ for a person to look at. */
  async reject(name: string): Promise<void> {
    await rename(join(this.dir, name), join(this.dir, 'rejected', name)).catch(() => undefined);
    this.forget(name);
  }

  private forget(name: string): void {
    const i = this.entries.findIndex((e) => e.name === name);
    if (i === -1) return;
    this.totalBytes -= (this.entries[i] as Entry).bytes;
    this.entries.splice(i, 1);
  }
}
