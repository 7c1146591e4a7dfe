import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readZip, writeZip, type ZipFile } from './zip.js';

const t0 = Date.parse('2026-11-01T07:30:42.000Z');
const files: ZipFile[] = [
  { path: 'manifest.json', data: Buffer.from('{"a":1}\n') },
  { path: 'data/dữ-liệu.csv', data: Buffer.from('\ufeffhostname\r\nMÁY-01\r\n') },
  { path: 'empty.txt', data: Buffer.alloc(0) },
  { path: 'data/big.txt', data: Buffer.from('Sở Thông tin '.repeat(2000)) },
];

/** Replaces every occurrence of `from` by `to` (same length) in a copy: names sit in both headers. */
function patch(buf: Buffer, from: string, to: string): Buffer {
  const a = Buffer.from(from);
  const b = Buffer.from(to);
  expect(b.length).toBe(a.length);
  const out = Buffer.from(buf);
  let at = out.indexOf(a);
  expect(at).toBeGreaterThanOrEqual(0);
  for (; at >= 0; at = out.indexOf(a, at + 1)) b.copy(out, at);
  return out;
}

/** Offsets of the local and central headers of the entry named `name`. */
function headers(buf: Buffer, name: string) {
  const n = Buffer.from(name);
  const local = buf.indexOf(n) - 30;
  const central = buf.indexOf(n, local + 31) - 46;
  expect(buf.readUInt32LE(local)).toBe(0x04034b50);
  expect(buf.readUInt32LE(central)).toBe(0x02014b50);
  return { local, central };
}

describe('writeZip() and readZip()', () => {
  it('round-trips files in order, with UTF-8 names and empty files', () => {
    const entries = readZip(writeZip(files, t0));
    expect(entries.map((e) => e.path)).toEqual(files.map((f) => f.path));
    for (const [i, e] of entries.entries()) expect(e.read()).toEqual(files[i]!.data);
    expect(entries.find((e) => e.path === 'data/big.txt')!.method).toBe(8);
    expect(entries.find((e) => e.path === 'empty.txt')!.method).toBe(0);
  });

  it('writes the same bytes for the same files and time, other bytes for another time', () => {
    const a = writeZip(files, t0);
    expect(
      writeZip(
        files.map((f) => ({ ...f, data: Buffer.from(f.data) })),
        t0,
      ),
    ).toEqual(a);
    expect(writeZip(files, t0 + 2000)).not.toEqual(a);
  });

  it('writes zips Info-ZIP unzip tests clean, with the UTC timestamp and read-only files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hatang-zip-'));
    try {
      writeFileSync(join(dir, 'a.zip'), writeZip(files, t0));
      expect(execFileSync('unzip', ['-t', 'a.zip'], { cwd: dir, encoding: 'utf8' })).toContain(
        'No errors detected',
      );
      const listing = execFileSync('unzip', ['-Z', '-T', 'a.zip'], { cwd: dir, encoding: 'utf8' });
      expect(listing).toMatch(/-r--r--r--.* 20261101\.073042 manifest\.json/);
      execFileSync('unzip', ['-q', 'a.zip', '-d', 'out'], { cwd: dir });
      expect(readFileSync(join(dir, 'out', 'data', 'dữ-liệu.csv'))).toEqual(files[1]!.data);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to write an unsafe or duplicate name', () => {
    expect(() => writeZip([{ path: '../x', data: Buffer.alloc(0) }], t0)).toThrow(
      'zip: "../x": ".." in path',
    );
    expect(() =>
      writeZip(
        [
          { path: 'a.csv', data: Buffer.alloc(0) },
          { path: 'A.csv', data: Buffer.alloc(0) },
        ],
        t0,
      ),
    ).toThrow('zip: A.csv: duplicate name');
  });
});

describe('readZip() refuses hostile or damaged zips, naming the problem', () => {
  const good = writeZip(
    [
      { path: 'a.txt', data: Buffer.from('first') },
      { path: 'b.txt', data: Buffer.from('second') },
    ],
    t0,
  );

  it.each([
    ['path traversal', 'zz/b.txt', '../b.txt', 'zip: entry 2 "../b.txt": ".." in path'],
    ['an absolute path', 'xetc/pw', '/etc/pw', 'zip: entry 2 "/etc/pw": absolute path'],
    ['a backslash', 'd_b.txt', 'd\\b.txt', 'zip: entry 2 "d\\\\b.txt": backslash in name'],
    ['a drive letter', 'C_b.txt', 'C:b.txt', 'zip: entry 2 "C:b.txt": drive letter in name'],
    ['a duplicate name', 'b.txt', 'a.txt', 'zip: entry 2 "a.txt": duplicate name'],
    ['a duplicate differing in case only', 'b.txt', 'A.txt', 'zip: entry 2 "A.txt": duplicate name'],
  ])('%s', (_what, placeholder, name, message) => {
    const base =
      placeholder === 'b.txt'
        ? good
        : writeZip(
            [
              { path: 'a.txt', data: Buffer.from('first') },
              { path: placeholder, data: Buffer.from('second') },
            ],
            t0,
          );
    expect(() => readZip(patch(base, placeholder, name))).toThrow(message);
  });

  it('a zip bomb that declares its size', () => {
    const bomb = writeZip([{ path: 'zeros.bin', data: Buffer.alloc(8 * 1024 * 1024) }], t0);
    expect(bomb.length).toBeLessThan(20_000);
    expect(() => readZip(bomb, { maxEntryBytes: 1024 * 1024 })).toThrow(
      'zip: entry 1 "zeros.bin": inflates to 8388608 bytes, more than the limit of 1048576',
    );
  });

  it('a zip bomb that lies about its size stops at the declared size', () => {
    const bomb = writeZip([{ path: 'zeros.bin', data: Buffer.alloc(8 * 1024 * 1024) }], t0);
    const { local, central } = headers(bomb, 'zeros.bin');
    bomb.writeUInt32LE(1000, local + 22);
    bomb.writeUInt32LE(1000, central + 24);
    const [entry] = readZip(bomb);
    expect(() => entry!.read()).toThrow('zip: "zeros.bin": inflates beyond its declared 1000 bytes');
  });

  it('entries that together inflate beyond the total limit', () => {
    const many = writeZip(
      ['a', 'b', 'c'].map((n) => ({ path: n, data: Buffer.alloc(1024 * 1024) })),
      t0,
    );
    expect(() => readZip(many, { maxTotalBytes: 2 * 1024 * 1024 })).toThrow(
      'zip: entries inflate to more than the limit of 2097152 bytes',
    );
  });

  it('more entries than the limit', () => {
    expect(() => readZip(good, { maxEntries: 1 })).toThrow('zip: 2 entries, more than the limit of 1');
  });

  it('a truncated zip', () => {
    expect(() => readZip(good.subarray(0, good.length - 5))).toThrow(
      'zip: no end of central directory: truncated, or trailing bytes after it',
    );
    expect(() => readZip(good.subarray(0, 60))).toThrow('zip: no end of central directory');
  });

  it('trailing garbage after the zip', () => {
    expect(() => readZip(Buffer.concat([good, Buffer.from('junk')]))).toThrow('trailing bytes');
  });

  it('bytes hidden before or between entries', () => {
    expect(() => readZip(Buffer.concat([Buffer.from('MZ stub'), good]))).toThrow(
      'zip: central directory does not end where the end record begins',
    );
    // 7 bytes slipped in before the central directory, the end record updated to match.
    const cdOffset = good.readUInt32LE(good.length - 22 + 16);
    const hidden = Buffer.concat([
      good.subarray(0, cdOffset),
      Buffer.from('payload'),
      good.subarray(cdOffset),
    ]);
    hidden.writeUInt32LE(cdOffset + 7, hidden.length - 22 + 16);
    expect(() => readZip(hidden)).toThrow('zip: unlisted bytes before the central directory');
  });

  it('not a zip at all', () => {
    expect(() => readZip(Buffer.from('this is a CSV file, not a zip, honestly'))).toThrow(
      'zip: not a zip file (no end of central directory record)',
    );
    expect(() => readZip(Buffer.alloc(3))).toThrow('zip: 3 bytes is too short for a zip');
  });

  it('a local header that disagrees with the central directory', () => {
    const z = Buffer.from(good);
    z.writeUInt32LE(0xdeadbeef, headers(z, 'b.txt').local + 14);
    expect(() => readZip(z)).toThrow(
      'zip: entry 2 "b.txt": local header disagrees with the central directory',
    );
  });

  it('an entry changed inside the zip fails its CRC-32', () => {
    const z = Buffer.from(good);
    const at = z.indexOf('second');
    z[at] = 'S'.charCodeAt(0);
    const entries = readZip(z);
    expect(entries[0]!.read().toString()).toBe('first');
    expect(() => entries[1]!.read()).toThrow('zip: "b.txt": CRC-32 mismatch (content changed)');
  });

  it('zip64, encryption and unknown compression methods', () => {
    const zip64 = Buffer.from(good);
    zip64.writeUInt16LE(0xffff, zip64.length - 22 + 8);
    zip64.writeUInt16LE(0xffff, zip64.length - 22 + 10);
    expect(() => readZip(zip64)).toThrow('zip: zip64 not supported');

    const encrypted = Buffer.from(good);
    const h = headers(encrypted, 'a.txt');
    encrypted.writeUInt16LE(0x0801, h.local + 6);
    encrypted.writeUInt16LE(0x0801, h.central + 8);
    expect(() => readZip(encrypted)).toThrow('zip: entry 1 "a.txt": encrypted entries not supported');

    const bzip2 = Buffer.from(good);
    bzip2.writeUInt16LE(12, h.local + 8);
    bzip2.writeUInt16LE(12, h.central + 10);
    expect(() => readZip(bzip2)).toThrow('zip: entry 1 "a.txt": compression method 12 not supported');
  });

  it('reads a zip written by another tool (exceljs: directory entries, its own layout)', async () => {
    const { default: ExcelJS } = await import('exceljs');
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('Tóm tắt').addRow(['Việt Nam']);
    const entries = readZip(Buffer.from(await wb.xlsx.writeBuffer()));
    expect(entries.map((e) => e.path)).toContain('xl/worksheets/sheet1.xml');
    expect(entries.some((e) => e.path.endsWith('/'))).toBe(false);
    expect(
      entries
        .find((e) => e.path === 'xl/sharedStrings.xml')!
        .read()
        .toString(),
    ).toContain('Việt Nam');
  });

  it('damaged deflate data is named', () => {
    const data = deflateRawSync(Buffer.from('x'.repeat(100)));
    const z = writeZip([{ path: 'x.txt', data: Buffer.from('x'.repeat(100)) }], t0);
    const at = z.indexOf(data);
    expect(at).toBeGreaterThan(0);
    z[at] = 0xff;
    expect(() => readZip(z)[0]!.read()).toThrow(/zip: "x.txt": (deflate data is damaged|CRC-32 mismatch)/);
  });
});
