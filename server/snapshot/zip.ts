import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * A small, strict zip writer and reader for snapshot bundles: no dependencies, no zip64, no
 * encryption, methods stored (0) and deflate (8) only. The writer is deterministic (fixed order,
 * fixed timestamps, fixed attributes) so the same files give the same bytes. The reader is meant
 * for bundles uploaded by anyone: it refuses what it does not support instead of guessing, bounds
 * entry count and inflated sizes (zip bombs), refuses unsafe names, duplicates, hidden bytes between
 * entries, local headers that disagree with the central directory, and trailing garbage.
 */

export interface ZipFile {
  /** '/'-separated path inside the zip. */
  path: string;
  data: Buffer;
}

export interface ZipLimits {
  /** Most entries a zip may hold (default 1,000). */
  maxEntries: number;
  /** Most bytes one entry may inflate to (default 512 MiB). */
  maxEntryBytes: number;
  /** Most bytes all entries together may inflate to (default 1 GiB). */
  maxTotalBytes: number;
}

export const defaultZipLimits: ZipLimits = {
  maxEntries: 1_000,
  maxEntryBytes: 512 * 1024 * 1024,
  maxTotalBytes: 1024 * 1024 * 1024,
};

/** A zip the reader refuses; `entry` names the entry when the problem is in one. */
export class ZipError extends Error {
  override name = 'ZipError';
  constructor(
    message: string,
    readonly entry?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const sig = { local: 0x04034b50, central: 0x02014b50, end: 0x06054b50, descriptor: 0x08074b50 };
const flagDescriptor = 0x0008;
const flagUtf8 = 0x0800;
const flagEncrypted = 0x0001 | 0x0040;
const u16max = 0xffff;
const u32max = 0xffffffff;
const localHeaderBytes = 30;
const centralHeaderBytes = 46;
const endBytes = 22;

/** MS-DOS time and date (2-second resolution, 1980..2107) of a UTC instant. */
function dosDateTime(ms: number): { time: number; date: number } {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  if (!(year >= 1980 && year <= 2107)) throw new Error(`zip: time ${d.toISOString()} outside 1980..2107`);
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
    date: ((year - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

/**
 * Writes `files` in the given order into one zip, every entry stamped with `modifiedAt` (ms, UTC)
 * and marked UTF-8, read-only (0444). Each entry is deflated unless storing is smaller.
 * @example
 * const zip = writeZip([{ path: 'manifest.json', data: Buffer.from('{}') }], Date.parse('2026-11-01T00:00:00Z'));
 */
export function writeZip(files: ZipFile[], modifiedAt: number): Buffer {
  const { time, date } = dosDateTime(modifiedAt);
  const seen = new Set<string>();
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    const problem = unsafeName(file.path);
    if (problem) throw new Error(`zip: ${JSON.stringify(file.path)}: ${problem}`);
    if (seen.has(file.path.toLowerCase())) throw new Error(`zip: ${file.path}: duplicate name`);
    seen.add(file.path.toLowerCase());
    const name = Buffer.from(file.path, 'utf8');
    // zlib's default level: level 9 took twice as long (a snapshot's XLSX and HTML) for ~3 % smaller.
    const deflated = deflateRawSync(file.data, { level: 6 });
    const method = deflated.length < file.data.length ? 8 : 0;
    const body = method === 8 ? deflated : file.data;
    const crc = crc32(file.data);
    if (body.length >= u32max || file.data.length >= u32max)
      throw new Error(`zip: ${file.path}: too large (no zip64)`);
    const local = Buffer.alloc(localHeaderBytes);
    local.writeUInt32LE(sig.local, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flagUtf8, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(file.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(centralHeaderBytes);
    central.writeUInt32LE(sig.central, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, spec 2.0 (so the 0444 mode is read)
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flagUtf8, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(time, 12);
    central.writeUInt16LE(date, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(file.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((0o100444 << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  if (files.length > u16max - 1 || offset >= u32max)
    throw new Error('zip: too many or too large entries (no zip64)');
  const centralDir = Buffer.concat(centrals);
  const end = Buffer.alloc(endBytes);
  end.writeUInt32LE(sig.end, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(centralDir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, centralDir, end]);
}

/** Why `path` is not a safe relative '/'-separated file name, or null when it is. */
export function unsafeName(path: string): string | null {
  if (path.length === 0) return 'empty name';
  if (path.includes('\\')) return 'backslash in name';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'control character in name';
  if (path.startsWith('/')) return 'absolute path';
  if (/^[a-zA-Z]:/.test(path)) return 'drive letter in name';
  const parts = path.replace(/\/$/, '').split('/');
  if (parts.includes('..')) return '".." in path';
  if (parts.some((p) => p === '' || p === '.')) return 'empty or "." path segment';
  return null;
}

export interface ZipEntry {
  path: string;
  /** Inflated size as declared by the central directory (checked on read). */
  size: number;
  compressedSize: number;
  method: 0 | 8;
  crc32: number;
  /** Inflates and checks the entry: size and CRC-32 must match what the zip declares. */
  read(): Buffer;
}

/**
 * Parses a zip's structure and returns its file entries (directory entries are skipped), each
 * read lazily so one damaged entry can be named without giving up on the others.
 * @throws ZipError naming the problem, e.g. `zip: entry 3 "../etc/passwd": ".." in path`
 */
export function readZip(buf: Buffer, limits: Partial<ZipLimits> = {}): ZipEntry[] {
  const lim = { ...defaultZipLimits, ...limits };
  const fail = (message: string, entry?: string): never => {
    throw new ZipError(`zip: ${message}`, entry);
  };
  if (buf.length < endBytes) fail(`${buf.length} bytes is too short for a zip`);
  const endAt = findEnd(buf);
  if (endAt < 0) {
    fail(
      buf.readUInt32LE(0) === sig.local
        ? 'no end of central directory: truncated, or trailing bytes after it'
        : 'not a zip file (no end of central directory record)',
    );
  }
  if (buf.readUInt16LE(endAt + 4) !== 0 || buf.readUInt16LE(endAt + 6) !== 0)
    fail('multi-disk zip not supported');
  const count = buf.readUInt16LE(endAt + 10);
  const cdSize = buf.readUInt32LE(endAt + 12);
  const cdOffset = buf.readUInt32LE(endAt + 16);
  if (count === u16max || cdSize === u32max || cdOffset === u32max) fail('zip64 not supported');
  if (buf.readUInt16LE(endAt + 8) !== count) fail('entries on this disk differ from total entries');
  if (count > lim.maxEntries) fail(`${count} entries, more than the limit of ${lim.maxEntries}`);
  if (cdOffset + cdSize !== endAt) fail('central directory does not end where the end record begins');

  const entries: (ZipEntry & { localAt: number; dataAt: number; end: number; directory: boolean })[] = [];
  const names = new Set<string>();
  let total = 0;
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (at + centralHeaderBytes > endAt || buf.readUInt32LE(at) !== sig.central) {
      fail(`central directory entry ${i + 1}: bad signature or truncated`);
    }
    const flags = buf.readUInt16LE(at + 8);
    const method = buf.readUInt16LE(at + 10);
    const crc = buf.readUInt32LE(at + 16);
    const csize = buf.readUInt32LE(at + 20);
    const usize = buf.readUInt32LE(at + 24);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const localAt = buf.readUInt32LE(at + 42);
    const next = at + centralHeaderBytes + nameLen + extraLen + commentLen;
    if (next > endAt) fail(`central directory entry ${i + 1}: truncated`);
    const rawName = buf.subarray(at + centralHeaderBytes, at + centralHeaderBytes + nameLen);
    const path = decodeName(rawName, flags);
    const label = `entry ${i + 1} ${JSON.stringify(path ?? rawName.toString('latin1'))}`;
    if (path === null) fail(`${label}: name is not UTF-8 (or not flagged UTF-8)`);
    const name = path as string;
    const unsafe = unsafeName(name);
    if (unsafe) fail(`${label}: ${unsafe}`, name);
    if (names.has(name.toLowerCase())) fail(`${label}: duplicate name`, name);
    names.add(name.toLowerCase());
    if (flags & flagEncrypted) fail(`${label}: encrypted entries not supported`, name);
    if (method !== 0 && method !== 8) fail(`${label}: compression method ${method} not supported`, name);
    if (csize === u32max || usize === u32max || localAt === u32max)
      fail(`${label}: zip64 not supported`, name);
    if (usize > lim.maxEntryBytes) {
      fail(`${label}: inflates to ${usize} bytes, more than the limit of ${lim.maxEntryBytes}`, name);
    }
    total += usize;
    if (total > lim.maxTotalBytes)
      fail(`entries inflate to more than the limit of ${lim.maxTotalBytes} bytes`);
    if (method === 0 && csize !== usize) fail(`${label}: stored entry with different sizes`, name);

    // The local header must say what the central directory says.
    if (localAt + localHeaderBytes > cdOffset || buf.readUInt32LE(localAt) !== sig.local) {
      fail(`${label}: no local header at offset ${localAt}`, name);
    }
    const lFlags = buf.readUInt16LE(localAt + 6);
    const lNameLen = buf.readUInt16LE(localAt + 26);
    const lExtraLen = buf.readUInt16LE(localAt + 28);
    const lName = buf.subarray(localAt + localHeaderBytes, localAt + localHeaderBytes + lNameLen);
    const descriptor = (flags & flagDescriptor) !== 0;
    const sizesAgree =
      (buf.readUInt32LE(localAt + 14) === crc &&
        buf.readUInt32LE(localAt + 18) === csize &&
        buf.readUInt32LE(localAt + 22) === usize) ||
      (descriptor && buf.readUInt32LE(localAt + 18) === 0 && buf.readUInt32LE(localAt + 22) === 0);
    if (
      lFlags !== flags ||
      buf.readUInt16LE(localAt + 8) !== method ||
      !lName.equals(rawName) ||
      !sizesAgree
    ) {
      fail(`${label}: local header disagrees with the central directory`, name);
    }
    const dataAt = localAt + localHeaderBytes + lNameLen + lExtraLen;
    let end = dataAt + csize;
    if (end > cdOffset) fail(`${label}: data runs into the central directory (truncated?)`, name);
    if (descriptor)
      end =
        descriptorEnd(buf, end, crc, csize, usize, cdOffset) ?? fail(`${label}: bad data descriptor`, name);
    const directory = name.endsWith('/');
    if (directory && usize !== 0) fail(`${label}: directory entry with data`, name);
    entries.push({
      path: name,
      size: usize,
      compressedSize: csize,
      method: method as 0 | 8,
      crc32: crc,
      localAt,
      dataAt,
      end,
      directory,
      read: () => readEntry(buf, name, method, dataAt, csize, usize, crc),
    });
    at = next;
  }
  if (at !== endAt) fail('central directory size disagrees with its entries');

  // Entries must tile the bytes before the central directory: nothing hidden between or before them.
  const byOffset = [...entries].sort((a, b) => a.localAt - b.localAt);
  let expected = 0;
  for (const e of byOffset) {
    if (e.localAt !== expected)
      fail(`${e.localAt > expected ? 'unlisted bytes' : 'overlapping entries'} before "${e.path}"`, e.path);
    expected = e.end;
  }
  if (expected !== cdOffset) fail('unlisted bytes before the central directory');
  return entries
    .filter((e) => !e.directory)
    .map(({ path, size, compressedSize, method, crc32, read }) => ({
      path,
      size,
      compressedSize,
      method,
      crc32,
      read,
    }));
}

/** Offset of the end-of-central-directory record whose comment ends exactly at the end of `buf`, or -1. */
function findEnd(buf: Buffer): number {
  const lowest = Math.max(0, buf.length - endBytes - u16max);
  for (let at = buf.length - endBytes; at >= lowest; at--) {
    if (buf.readUInt32LE(at) === sig.end && at + endBytes + buf.readUInt16LE(at + 20) === buf.length)
      return at;
  }
  return -1;
}

function decodeName(raw: Buffer, flags: number): string | null {
  const ascii = raw.every((b) => b < 0x80);
  if (!ascii && !(flags & flagUtf8)) return null;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return null;
  }
}

/** End of a data descriptor at `at` (with or without its signature) matching the entry, or null. */
function descriptorEnd(buf: Buffer, at: number, crc: number, csize: number, usize: number, limit: number) {
  const withSig = at + 16 <= limit && buf.readUInt32LE(at) === sig.descriptor ? at + 4 : at;
  if (withSig + 12 > limit) return null;
  const ok =
    buf.readUInt32LE(withSig) === crc &&
    buf.readUInt32LE(withSig + 4) === csize &&
    buf.readUInt32LE(withSig + 8) === usize;
  return ok ? withSig + 12 : null;
}

function readEntry(
  buf: Buffer,
  path: string,
  method: number,
  dataAt: number,
  csize: number,
  usize: number,
  crc: number,
): Buffer {
  const body = buf.subarray(dataAt, dataAt + csize);
  let data: Buffer;
  if (method === 0) data = body;
  else {
    try {
      // Bounded by the declared size: a bomb that lies about its size stops here.
      data = inflateRawSync(body, { maxOutputLength: Math.max(usize, 1) });
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      throw new ZipError(
        code === 'ERR_BUFFER_TOO_LARGE'
          ? `zip: "${path}": inflates beyond its declared ${usize} bytes`
          : `zip: "${path}": deflate data is damaged`,
        path,
        { cause },
      );
    }
  }
  if (data.length !== usize)
    throw new ZipError(`zip: "${path}": ${data.length} bytes, declared ${usize}`, path);
  if (crc32(data) !== crc) throw new ZipError(`zip: "${path}": CRC-32 mismatch (content changed)`, path);
  return data;
}
