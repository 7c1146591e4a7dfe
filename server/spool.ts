import {
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  stat,
  statfs,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from 'pino';
import type { Point } from '../protocol/index.js';
import { type Condition, condition } from './condition.js';
import { lineProtocolBody } from './storage/line-protocol.js';

/** The spool cannot take the batch (size limit reached, or its disk is full); refuse the request. */
export class SpoolFullError extends Error {
  constructor(
    readonly reason: 'max_bytes' | 'disk_full',
    message: string,
  ) {
    super(message);
    this.name = 'SpoolFullError';
  }
}

export interface SpoolOptions {
  maxBytes: number;
  segmentBytes: number;
  /** Bound of dead/: past it the oldest dead-letter files are deleted (and counted). */
  deadMaxBytes: number;
  log: Logger;
}

/**
 * One record of a segment as a replayer gets it: its points as line protocol, ready to send as it
 * is (each line ends in a newline), or the bytes of a record that does not check out (a damaged
 * disk) with the point count it claimed.
 */
export type SpoolRecord =
  | { kind: 'lines'; points: number; lines: Buffer }
  | { kind: 'damaged'; points: number; data: Buffer };

/**
 * A closed segment handed to one replayer, which either removes it (all written) or gives it back.
 * Its records are checked one at a time as the replayer walks them.
 */
export interface SpoolSegment {
  file: string;
  bytes: number;
  points: number;
  records(): Generator<SpoolRecord>;
}

interface WaitingAppend {
  record: Buffer;
  bytes: number;
  points: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

interface SegmentInfo {
  file: string;
  /** Bytes acknowledged (written whole and fsynced); anything after them in the file is not data. */
  bytes: number;
  points: number;
  taken: boolean;
}

/** The sidecar written when a segment is closed, so opening the spool need not read the segment. */
interface SegmentIndex {
  bytes: number;
  points: number;
}

interface DeadFile {
  file: string;
  bytes: number;
  points: number;
}

const SEGMENT = /^(\d{12})\.seg$/;
/** Dead letters: `.lp` refused points (line protocol), `.damaged` spool records, `.jsonl` older files. */
const DEAD = /^\d+-\d+-\d+-(\d+)p\.[a-z]+$/;
const indexFile = (segment: string) => segment.replace(/\.seg$/, '.idx');
const isDiskFull = (err: unknown) =>
  ['ENOSPC', 'EDQUOT'].includes((err as NodeJS.ErrnoException)?.code ?? '');

/**
 * Append-only on-disk queue of accepted points, in segment files of records. A record is a header
 * line `L<points> <bytes> <crc32 hex>` and then `<bytes>` of line protocol, exactly what is sent to
 * InfluxDB, so replaying it is a read and a POST (see `encodeRecord`). Segments written before
 * (`<count> <json>\n` lines) are still read, and replayed as line protocol.
 *
 * `append` resolves only after the whole record is written (every byte, looping on short writes) and
 * fsynced at the segment's acknowledged length, so a point acknowledged to an agent survives a crash.
 * A failed append (a full disk cuts writes short) is cut off again, so no partial record stays
 * behind for the next one to be glued to; the segment's acknowledged length is the only length
 * readers trust. A full disk counts as a full spool (SpoolFullError, `diskFull`) until a probe
 * finds room again.
 *
 * Closed segments get a small index sidecar (`.idx`: acknowledged bytes and points) so opening a
 * large spool reads no segment; only a segment without one (the one being appended to at a crash)
 * is read, and its torn, never-acknowledged tail is left out.
 *
 * Replayers `take` closed segments oldest first, several at once, and `remove` each once every
 * record in it is in InfluxDB (or `giveBack` it to be retried).
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
  private readonly overLimit: Condition;
  private readonly noDisk: Condition;
  private dead: DeadFile[] = [];
  private deadSeq = 0;
  /** Room a full disk must have again before appends are tried: the append that failed, and a page. */
  private roomNeeded = 0;
  /** Points set aside in dead/ by this run, and points whose dead-letter file was dropped for room. */
  private deadCounts = { points: 0, droppedPoints: 0, droppedFiles: 0, missingPoints: 0 };

  private constructor(
    readonly dir: string,
    private readonly opts: SpoolOptions,
  ) {
    this.overLimit = condition(
      opts.log,
      'spool is full: refusing new batches until the replayer makes room',
      'spool has room again',
    );
    this.noDisk = condition(
      opts.log,
      "spool's disk is full: refusing new batches until space returns",
      "spool's disk has room again",
    );
  }

  /** Opens (creating if needed) the spool directory and accounts for segments left by a previous run. */
  static async open(dir: string, opts: SpoolOptions): Promise<Spool> {
    const spool = new Spool(dir, opts);
    await mkdir(join(dir, 'dead'), { recursive: true });
    const names = await readdir(dir);
    const segments = names.filter((n) => SEGMENT.test(n)).sort();
    for (const name of segments) {
      const file = join(dir, name);
      const info = await spool.account(file, names.includes(indexFile(name)));
      if (!info) continue;
      spool.segments.push(info);
      spool.totalBytes += info.bytes;
      spool.totalPoints += info.points;
    }
    // A segment or index never renamed into place (a crash while creating it) holds nothing acknowledged.
    for (const name of names.filter((n) => n.endsWith('.new'))) await unlink(join(dir, name)).catch(() => {});
    // An index whose segment is gone: the replayer removed the segment and stopped before its index.
    for (const name of names.filter((n) => n.endsWith('.idx'))) {
      if (!segments.includes(name.replace(/\.idx$/, '.seg'))) await unlink(join(dir, name)).catch(() => {});
    }
    for (const name of (await readdir(join(dir, 'dead'))).sort()) {
      const file = join(dir, 'dead', name);
      const { size } = await stat(file);
      spool.dead.push({ file, bytes: size, points: Number(DEAD.exec(name)?.[1] ?? 0) });
    }
    const last = segments.at(-1);
    spool.nextSeq = last ? Number(SEGMENT.exec(last)?.[1]) + 1 : 1;
    if (spool.segments.length > 0) {
      opts.log.warn(
        { spool_bytes: spool.totalBytes, spool_points: spool.totalPoints, segments: spool.segments.length },
        'spool holds points from an earlier run; they will be replayed',
      );
    }
    return spool;
  }

  /** A segment's acknowledged size and points, from its index or else by reading it. */
  private async account(file: string, indexed: boolean): Promise<SegmentInfo | undefined> {
    const { size } = await stat(file);
    if (indexed) {
      try {
        const idx = JSON.parse(await readFile(indexFile(file), 'utf8')) as SegmentIndex;
        if (Number.isInteger(idx.bytes) && Number.isInteger(idx.points) && idx.bytes <= size)
          return { file, bytes: idx.bytes, points: idx.points, taken: false };
      } catch {
        // A damaged index: read the segment instead.
      }
    }
    const data = await readFile(file);
    let end = 0;
    let points = 0;
    for (const r of scanRecords(data)) {
      if (r.kind === 'torn') break;
      end = r.end;
      if (r.kind === 'lines') points += r.points;
      else if (r.kind === 'json') points += jsonPoints(r.data)?.length ?? 0;
    }
    if (end === 0) {
      await unlink(file);
      return undefined;
    }
    if (end < data.length) {
      this.opts.log.warn({ file, bytes: data.length - end }, 'spool: left out a torn, unacknowledged tail');
    }
    return { file, bytes: end, points, taken: false };
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

  /** Why the spool refuses batches now (size limit, full disk), undefined while it takes them. */
  get full(): { reason: 'max_bytes' | 'disk_full'; since: string; detail: string } | undefined {
    const disk = this.noDisk.state;
    if (disk) return { reason: 'disk_full', ...disk };
    const limit = this.overLimit.state;
    if (limit) return { reason: 'max_bytes', ...limit };
    return undefined;
  }

  /** Dead-letter figures for /healthz and /metrics. */
  get deadLetters() {
    return {
      bytes: this.dead.reduce((n, d) => n + d.bytes, 0),
      points: this.dead.reduce((n, d) => n + d.points, 0),
      files: this.dead.length,
      max_bytes: this.opts.deadMaxBytes,
      set_aside_points: this.deadCounts.points,
      dropped_points: this.deadCounts.droppedPoints,
      dropped_files: this.deadCounts.droppedFiles,
    };
  }

  /** Points of segments that vanished from the directory (moved aside by hand) before replay. */
  get missingPoints(): number {
    return this.deadCounts.missingPoints;
  }

  /**
   * Looks again whether a full disk has room, so /healthz turns healthy when space returns even
   * before a batch tries. True when the disk is (still) full.
   */
  async probeDisk(): Promise<boolean> {
    if (!this.noDisk.active) return false;
    const free = await freeBytes(this.dir);
    if (free >= this.roomNeeded) this.noDisk.clear({ free_bytes: free });
    return this.noDisk.active;
  }

  /** Appends points durably: `appendLines` of their line protocol. */
  append(points: readonly Point[]): Promise<void> {
    return this.appendLines(lineProtocolBody(points), points.length);
  }

  /**
   * Appends `points` points given as line protocol (`toLineProtocol`'s, one line per point) durably.
   * Appends that arrive while a write is under way are written together with one fsync (group
   * commit). Rejects with SpoolFullError when the size limit would be passed or the disk is full;
   * then nothing of the batch stays in the spool.
   */
  appendLines(lines: Buffer, points: number): Promise<void> {
    this.queuedAppends++;
    return new Promise<void>((resolve, reject) => {
      const record = encodeRecord(lines, points);
      this.waiting.push({ record, bytes: record.length, points, resolve, reject });
      if (this.waiting.length === 1) void this.serial(() => this.writeWaiting());
    });
  }

  private async writeWaiting(): Promise<void> {
    const group = this.waiting.splice(0);
    const refuse = (list: WaitingAppend[], err: Error) => {
      this.queuedAppends -= list.length;
      for (const w of list) w.reject(err);
    };
    if (await this.probeDisk().catch(() => true)) {
      const full = this.noDisk.state;
      refuse(group, new SpoolFullError('disk_full', `spool disk is full: ${full?.detail}`));
      return;
    }
    const accepted: WaitingAppend[] = [];
    let bytes = 0;
    for (const w of group) {
      if (this.totalBytes + bytes + w.bytes > this.opts.maxBytes) {
        this.overLimit.set(`${this.totalBytes} of ${this.opts.maxBytes} bytes used`, {
          spool_bytes: this.totalBytes,
          max_bytes: this.opts.maxBytes,
        });
        refuse(
          [w],
          new SpoolFullError(
            'max_bytes',
            `spool is full: ${this.totalBytes} of ${this.opts.maxBytes} bytes used while InfluxDB is unreachable`,
          ),
        );
        continue;
      }
      accepted.push(w);
      bytes += w.bytes;
    }
    if (accepted.length === 0) return;
    if (accepted.length === group.length) this.overLimit.clear();
    let active: { info: SegmentInfo; handle: FileHandle } | undefined;
    try {
      active = await this.activeFor(bytes);
      const at = active.info.bytes;
      try {
        const data =
          accepted.length === 1
            ? (accepted[0] as WaitingAppend).record
            : Buffer.concat(accepted.map((w) => w.record));
        await writeFully(active.handle, data, at);
        await active.handle.datasync();
      } catch (err) {
        await this.cutBack(active, at);
        throw err;
      }
      const points = accepted.reduce((n, w) => n + w.points, 0);
      active.info.bytes += bytes;
      active.info.points += points;
      this.totalBytes += bytes;
      this.totalPoints += points;
      this.queuedAppends -= accepted.length;
      for (const w of accepted) w.resolve();
    } catch (err) {
      if (isDiskFull(err)) {
        const free = await freeBytes(this.dir).catch(() => 0);
        this.roomNeeded = bytes + 4096;
        this.noDisk.set(`${this.dir}: ${(err as Error).message} (${free} bytes free)`, { free_bytes: free });
        refuse(accepted, new SpoolFullError('disk_full', `spool disk is full: ${(err as Error).message}`));
      } else {
        refuse(accepted, new Error(`spool append: ${(err as Error).message}`, { cause: err }));
      }
    }
  }

  /**
   * Removes what a failed append left after the acknowledged length. Should even that fail, the
   * segment is closed: readers stop at its acknowledged length and the next append starts a new file.
   */
  private async cutBack(active: { info: SegmentInfo; handle: FileHandle }, at: number): Promise<void> {
    try {
      await active.handle.truncate(at);
      await active.handle.datasync();
    } catch (err) {
      this.opts.log.error(
        { err, file: active.info.file, bytes: at },
        'spool: cannot cut back a failed append; closing the segment at its acknowledged length',
      );
      await this.closeActive().catch(() => {});
    }
  }

  /**
   * The oldest segment no replayer holds, closing it first when appends still go into it.
   * Undefined when every segment is taken (or none is left). A segment that vanished from the
   * directory (moved aside by hand) is forgotten, logged once and counted, not retried.
   */
  take(): Promise<SpoolSegment | undefined> {
    return this.serial(async () => {
      for (;;) {
        const info = this.segments.find((s) => !s.taken);
        if (!info) return undefined;
        if (this.active?.info === info) await this.closeActive();
        if (!this.segments.includes(info)) continue; // closed empty, and removed
        let data: Buffer;
        try {
          data = await readFile(info.file);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          this.opts.log.error(
            { file: info.file, points: info.points },
            'spool: a segment vanished before replay (moved aside by hand?); its points are not replayed',
          );
          this.deadCounts.missingPoints += info.points;
          this.forget(info.file);
          await unlink(indexFile(info.file)).catch(() => {});
          continue;
        }
        info.taken = true;
        const acknowledged = data.subarray(0, info.bytes);
        return {
          file: info.file,
          bytes: info.bytes,
          points: info.points,
          records: () => readRecords(acknowledged),
        };
      }
    });
  }

  /** Returns a taken segment to be replayed again (InfluxDB failed, or the server is stopping). */
  giveBack(segment: SpoolSegment): void {
    const info = this.segments.find((s) => s.file === segment.file);
    if (info) info.taken = false;
  }

  /** Forgets a segment the replayer has fully written to InfluxDB. */
  remove(segment: SpoolSegment): Promise<void> {
    return this.serial(async () => {
      await unlink(segment.file).catch((err) => {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      });
      await unlink(indexFile(segment.file)).catch(() => {});
      this.forget(segment.file);
      if (this.totalBytes < this.opts.maxBytes) this.overLimit.clear();
    });
  }

  /**
   * Sets points InfluxDB refused as data (not as an outage) aside in dead/, so they neither block
   * the replay nor vanish unseen. The file (`…-<points>p.lp`) is line protocol, each entry after a
   * `# <InfluxDB's answer>` comment line: an operator can inspect it and, once fixed, post it to
   * InfluxDB's /write (`precision=ms`) as it is. Best effort: dead/ is bounded, and when it cannot
   * be written the points are counted as dropped dead letters.
   */
  quarantine(entries: readonly { lines: Buffer; points: number; why: string }[]): Promise<void> {
    const points = entries.reduce((n, e) => n + e.points, 0);
    const parts = entries.flatMap((e) => [Buffer.from(`# ${commentText(e.why)}\n`), e.lines]);
    return this.writeDead(parts, points, entries[0]?.why ?? 'refused', 'lp');
  }

  /** Sets damaged spool records aside in dead/ (`…-<points>p.damaged`: their bytes as they are). */
  quarantineDamaged(records: readonly { data: Buffer; points: number }[]): Promise<void> {
    const points = records.reduce((n, r) => n + r.points, 0);
    const parts = records.flatMap((r) => [r.data, Buffer.from('\n')]);
    return this.writeDead(parts, points, 'damaged spool record', 'damaged');
  }

  private async writeDead(parts: readonly Buffer[], points: number, why: string, ext: string): Promise<void> {
    if (parts.length === 0) return;
    const name = `${Date.now()}-${process.pid}-${this.deadSeq++}-${points}p.${ext}`;
    const file = join(this.dir, 'dead', name);
    const text = Buffer.concat(parts);
    try {
      await writeFile(file, text, { mode: 0o600, flush: true });
    } catch (err) {
      await unlink(file).catch(() => {});
      this.deadCounts.droppedPoints += points;
      this.deadCounts.droppedFiles++;
      this.opts.log.error(
        { err, points, why },
        'spool: cannot write dead letters; the refused points are dropped',
      );
      return;
    }
    this.dead.push({ file, bytes: text.length, points });
    this.deadCounts.points += points;
    this.opts.log.error({ file, points, why }, 'spool: points InfluxDB refused set aside in dead/');
    await this.boundDead();
  }

  private async boundDead(): Promise<void> {
    let bytes = this.dead.reduce((n, d) => n + d.bytes, 0);
    let dropped = 0;
    while (bytes > this.opts.deadMaxBytes && this.dead.length > 0) {
      const oldest = this.dead.shift() as DeadFile;
      await unlink(oldest.file).catch(() => {});
      bytes -= oldest.bytes;
      dropped += oldest.points;
      this.deadCounts.droppedPoints += oldest.points;
      this.deadCounts.droppedFiles++;
    }
    if (dropped > 0) {
      this.opts.log.warn(
        { dropped_points: dropped, dead_max_bytes: this.opts.deadMaxBytes },
        'spool: dead/ passed its bound; the oldest dead letters were deleted',
      );
    }
  }

  async close(): Promise<void> {
    await this.serial(() => this.closeActive());
  }

  private forget(file: string): void {
    const i = this.segments.findIndex((s) => s.file === file);
    if (i === -1) return;
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
      // Not O_APPEND: writes go at the acknowledged length, which a failed append is cut back to.
      const handle = await open(tmp, 'w', 0o600);
      await rename(tmp, file);
      const info = { file, bytes: 0, points: 0, taken: false };
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
    const { info } = active;
    if (info.bytes === 0) {
      await unlink(info.file);
      this.forget(info.file);
      return;
    }
    // Best effort: without its index a segment is read at the next start instead.
    const idx = indexFile(info.file);
    const index: SegmentIndex = { bytes: info.bytes, points: info.points };
    await writeFile(`${idx}.new`, JSON.stringify(index), { mode: 0o600, flush: true })
      .then(() => rename(`${idx}.new`, idx))
      .catch((err) => this.opts.log.warn({ err, file: idx }, 'spool: segment index not written'));
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task, task);
    this.chain = run.catch(() => undefined);
    return run;
  }
}

/** Writes every byte of `data` at `position`, looping on short writes; a write of nothing is a full disk. */
async function writeFully(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
    if (bytesWritten === 0) {
      throw Object.assign(new Error(`short write: ${done} of ${data.length} bytes written`), {
        code: 'ENOSPC',
      });
    }
    done += bytesWritten;
  }
}

async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

/**
 * Text safe in a line protocol comment. InfluxDB finds line ends before it skips comments, and its
 * scanner counts quotes and backslashes there too: a `"` after an `=` (as in InfluxDB's own
 * `{"error":"… dropped=1"}`) would carry the comment over the next lines.
 */
const commentText = (why: string) =>
  why
    .replace(/[\r\n]+/g, ' ')
    .replaceAll('"', "'")
    .replaceAll('\\', '/');

/** Bytes of a record's header line at most (`L`, two numbers, a crc, a newline). */
const HEADER_MAX = 48;
const HEADER = /^L(\d+) (\d+) ([0-9a-f]{8})$/;
const NEWLINE = 0x0a;
const LETTER_L = 0x4c;
const OLD_RECORD = /^\d+ \[/;

/**
 * A record: `L<points> <bytes> <crc32 of the bytes, 8 hex digits>\n` then `<bytes>` of line protocol
 * ending in a newline. The length lets a reader step over the newlines string fields may hold
 * without parsing; the checksum tells a whole record from a torn or damaged one.
 */
export function encodeRecord(lines: Buffer, points: number): Buffer {
  const body = lines.at(-1) === NEWLINE ? lines : Buffer.concat([lines, Buffer.from('\n')]);
  const crc = crc32(body).toString(16).padStart(8, '0');
  return Buffer.concat([Buffer.from(`L${points} ${body.length} ${crc}\n`), body]);
}

type Scanned =
  | { kind: 'lines'; points: number; lines: Buffer; end: number }
  /** A line of the format before line protocol records, `<count> <json>`, parsed by the caller. */
  | { kind: 'json'; data: Buffer; end: number }
  | { kind: 'damaged'; points: number; data: Buffer; end: number }
  /** From here on nothing checks out: a write cut short by a crash (never acknowledged). */
  | { kind: 'torn'; at: number };

/** The record at `at` when it is a whole line protocol record whose checksum matches. */
function wholeRecord(data: Buffer, at: number): { points: number; lines: Buffer; end: number } | undefined {
  if (data[at] !== LETTER_L) return undefined;
  const nl = data.indexOf(NEWLINE, at);
  if (nl === -1 || nl - at > HEADER_MAX) return undefined;
  const m = HEADER.exec(data.toString('latin1', at, nl));
  if (!m) return undefined;
  const start = nl + 1;
  const end = start + Number(m[2]);
  if (end > data.length || data[end - 1] !== NEWLINE) return undefined;
  const lines = data.subarray(start, end);
  if (crc32(lines) !== Number.parseInt(m[3] as string, 16)) return undefined;
  return { points: Number(m[1]), lines, end };
}

/** A line of the old format starting at `at` (its newline found), or undefined. */
function oldLine(data: Buffer, at: number): { data: Buffer; end: number } | undefined {
  const c = data[at] ?? 0;
  if (c < 0x30 || c > 0x39) return undefined;
  const nl = data.indexOf(NEWLINE, at);
  return nl === -1 ? undefined : { data: data.subarray(at, nl), end: nl + 1 };
}

/** The point count a damaged record claims in its header, when that much can be read. */
function claimedPoints(data: Buffer): number {
  const m = /^L?(\d+) /.exec(data.toString('latin1', 0, HEADER_MAX));
  return m ? Number(m[1]) : 0;
}

/**
 * Walks a segment's records. Something that is neither a whole record nor an old-format line is
 * damaged up to the next place a record starts again (just after a newline: an old-format line,
 * or a record whose checksum matches); when none follows, it is a torn tail.
 */
function* scanRecords(data: Buffer): Generator<Scanned> {
  let at = 0;
  while (at < data.length) {
    const whole = wholeRecord(data, at);
    if (whole) {
      yield { kind: 'lines', ...whole };
      at = whole.end;
      continue;
    }
    const old = oldLine(data, at);
    if (old) {
      yield { kind: 'json', ...old };
      at = old.end;
      continue;
    }
    let next = data.indexOf(NEWLINE, at);
    while (next !== -1) {
      const from = next + 1;
      if (from < data.length && (wholeRecord(data, from) || isOldRecordStart(data, from))) break;
      next = data.indexOf(NEWLINE, from);
    }
    if (next === -1) {
      yield { kind: 'torn', at };
      return;
    }
    const damaged = data.subarray(at, next);
    yield { kind: 'damaged', points: claimedPoints(damaged), data: damaged, end: next + 1 };
    at = next + 1;
  }
}

function isOldRecordStart(data: Buffer, at: number): boolean {
  return OLD_RECORD.test(data.toString('latin1', at, Math.min(at + 24, data.length))) && !!oldLine(data, at);
}

/** An old-format line's points, or undefined when it does not parse. */
function jsonPoints(line: Buffer): Point[] | undefined {
  const text = line.toString('utf8');
  try {
    const points = JSON.parse(text.slice(text.indexOf(' ') + 1)) as unknown;
    return Array.isArray(points) ? (points as Point[]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The records of a segment's acknowledged bytes, in order. Within them nothing is torn (every
 * record was written whole and fsynced before it was acknowledged), so whatever does not check out
 * is damage: yielded as such, with the point count it claims. Old-format lines are turned into
 * line protocol here.
 */
function* readRecords(data: Buffer): Generator<SpoolRecord> {
  for (const r of scanRecords(data)) {
    if (r.kind === 'lines') yield { kind: 'lines', points: r.points, lines: r.lines };
    else if (r.kind === 'damaged') yield { kind: 'damaged', points: r.points, data: r.data };
    else if (r.kind === 'torn') {
      // Not expected within acknowledged bytes; set aside, not dropped.
      const rest = data.subarray(r.at);
      yield { kind: 'damaged', points: claimedPoints(rest), data: rest };
    } else {
      const points = jsonPoints(r.data);
      if (points) yield { kind: 'lines', points: points.length, lines: lineProtocolBody(points) };
      else yield { kind: 'damaged', points: claimedPoints(r.data), data: r.data };
    }
  }
}
