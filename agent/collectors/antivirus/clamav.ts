import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A CVD/CLD header is the first 512 bytes, ASCII, space-padded. */
export const CVD_HEADER_BYTES = 512;

export interface CvdHeader {
  /** Build time from the header's "%d %b %Y %H-%M %z" field, epoch ms. */
  buildTime: number;
  version: number;
  signatures: number;
  functionalityLevel: number;
  builder: string;
}

export type CvdParse = { ok: true; header: CvdHeader } | { ok: false; error: string };

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "16 Apr 2020 07-58 -0400" → epoch ms; undefined when the text is not exactly that shape. */
export function parseCvdTime(text: string): number | undefined {
  const m = /^(\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2})-(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(text);
  if (!m) return undefined;
  const month = months.indexOf(m[2] as string);
  const [day, year, hour, minute, offH, offM] = [m[1], m[3], m[4], m[5], m[7], m[8]].map(Number) as number[];
  if (month < 0 || day! < 1 || day! > 31 || hour! > 23 || minute! > 59 || offH! > 14 || offM! > 59)
    return undefined;
  const offset = (m[6] === '-' ? -1 : 1) * (offH! * 60 + offM!) * 60_000;
  return Date.UTC(year!, month, day!, hour!, minute!) - offset;
}

/**
 * Parses `ClamAV-VDB:<build time>:<version>:<sigs>:<f-level>:<md5>:<dsig>:<builder>[:<stime>]` from the
 * first 512 bytes of a .cvd/.cld. A header shorter than 512 bytes or missing fields up to the builder is
 * truncated and refused: its numbers cannot be trusted.
 */
export function parseCvdHeader(bytes: Uint8Array): CvdParse {
  if (bytes.length < CVD_HEADER_BYTES) return { ok: false, error: 'parse_error:cvd_header_truncated' };
  const text = Buffer.from(bytes.subarray(0, CVD_HEADER_BYTES))
    .toString('latin1')
    .replace(/[ \0]+$/, '');
  if (!text.startsWith('ClamAV-VDB:')) return { ok: false, error: 'parse_error:cvd_not_a_header' };
  const parts = text.split(':');
  if (parts.length < 8) return { ok: false, error: 'parse_error:cvd_header_truncated' };
  const [, time, version, sigs, flevel, , , builder] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const buildTime = parseCvdTime(time);
  if (buildTime === undefined) return { ok: false, error: 'parse_error:cvd_build_time' };
  if (!/^\d+$/.test(version) || !/^\d+$/.test(sigs) || !/^\d+$/.test(flevel)) {
    return { ok: false, error: 'parse_error:cvd_numbers' };
  }
  return {
    ok: true,
    header: {
      buildTime,
      version: Number(version),
      signatures: Number(sigs),
      functionalityLevel: Number(flevel),
      builder,
    },
  };
}

/** Reads at most the header of a database file; undefined when the file does not exist. */
export async function readCvdHeader(file: string): Promise<CvdParse | undefined> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { ok: false, error: 'signatures_unreadable' };
  }
  try {
    const buf = Buffer.alloc(CVD_HEADER_BYTES);
    const { bytesRead } = await fh.read(buf, 0, CVD_HEADER_BYTES, 0);
    return parseCvdHeader(buf.subarray(0, bytesRead));
  } catch {
    return { ok: false, error: 'signatures_unreadable' };
  } finally {
    await fh.close();
  }
}

export const DEFAULT_DATABASE_DIRECTORY = '/var/lib/clamav';

/**
 * DatabaseDirectory from clamd.conf text (the last occurrence wins, as in clamd); the default when the
 * option is absent.
 */
export function databaseDirectory(conf: string): string {
  let dir = DEFAULT_DATABASE_DIRECTORY;
  for (const line of conf.split(/\r?\n/)) {
    const m = /^\s*DatabaseDirectory\s+(.+?)\s*$/.exec(line);
    if (m) dir = (m[1] as string).replace(/^"(.*)"$/, '$1');
  }
  return dir;
}

export interface DailyDb {
  file: string;
  header: CvdHeader;
}

export type DailyRead = { kind: 'found'; db: DailyDb } | { kind: 'missing' } | { kind: 'bad'; error: string };

/**
 * daily.cld (kept uncompressed by freshclam after incremental updates) and daily.cvd (a full download)
 * can both exist; the one with the higher header version is the one clamd uses.
 */
export async function readDailyDb(dir: string): Promise<DailyRead> {
  const results = await Promise.all(
    ['daily.cld', 'daily.cvd'].map(async (name) => ({
      file: join(dir, name),
      parsed: await readCvdHeader(join(dir, name)),
    })),
  );
  const good = results.flatMap((r) => (r.parsed?.ok ? [{ file: r.file, header: r.parsed.header }] : []));
  if (good.length > 0) {
    return { kind: 'found', db: good.reduce((a, b) => (b.header.version > a.header.version ? b : a)) };
  }
  const bad = results.find((r) => r.parsed && !r.parsed.ok);
  if (bad?.parsed && !bad.parsed.ok) return { kind: 'bad', error: bad.parsed.error };
  return { kind: 'missing' };
}

/** clamd.conf as found: its text, missing (clamd's defaults apply) or unreadable (e.g. permissions). */
export async function readClamdConf(
  file: string,
): Promise<{ kind: 'text'; text: string } | { kind: 'missing' } | { kind: 'unreadable' }> {
  try {
    return { kind: 'text', text: await readFile(file, 'utf8') };
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? { kind: 'missing' } : { kind: 'unreadable' };
  }
}
