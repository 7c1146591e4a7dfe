import { describe, expect, it } from 'vitest';
import { CVD_HEADER_BYTES, databaseDirectory, parseCvdHeader, parseCvdTime } from './clamav.js';
import { fixture, fixtureBytes } from './test-helpers.js';

/** Pads header text with spaces to 512 bytes, as sigtool writes it. */
function padded(text: string): Buffer {
  return Buffer.from(text.trimEnd().padEnd(CVD_HEADER_BYTES, ' '), 'latin1');
}

describe('parseCvdHeader', () => {
  it.each([
    // file, build time (UTC), version, signatures, f-level, builder
    ['clamav/bytecode-cvd-v19-2010-header.bin', '2010-05-14T13:57:00Z', 19, 3, 51, 'nervous'],
    ['clamav/test-cvd-v1-header.bin', '2021-06-22T18:58:00Z', 1, 0, 81, 'micasnyd'],
    ['clamav/test-cvd-v6-header.bin', '2021-06-23T01:34:00Z', 6, 14, 81, 'micasnyd'],
    ['clamav/analysis-cud-header.bin', '2015-03-04T18:58:00Z', 246, 4, 80, 'clamav'],
  ])('reads %s (genuine 512-byte header)', (file, time, version, signatures, functionalityLevel, builder) => {
    const bytes = fixtureBytes(file);
    expect(bytes.length).toBe(CVD_HEADER_BYTES);
    expect(parseCvdHeader(bytes)).toEqual({
      ok: true,
      header: { buildTime: Date.parse(time), version, signatures, functionalityLevel, builder },
    });
  });

  it('reads the genuine daily.cvd 25784 header line once padded to 512 bytes', () => {
    const r = parseCvdHeader(padded(fixture('clamav/daily-cvd-25784-header-line.txt')));
    expect(r).toEqual({
      ok: true,
      header: {
        buildTime: Date.parse('2020-04-16T11:58:00Z'),
        version: 25784,
        signatures: 2267600,
        functionalityLevel: 63,
        builder: 'raynman',
      },
    });
    // The header's own epoch field (1587038339 = 11:58:59Z) agrees to the minute.
    expect(r.ok && Math.floor(1587038339 / 60) * 60_000).toBe(r.ok && r.header.buildTime);
  });

  it('refuses the daily header line unpadded (shorter than a real header) as truncated', () => {
    expect(parseCvdHeader(Buffer.from(fixture('clamav/daily-cvd-25784-header-line.txt')))).toEqual({
      ok: false,
      error: 'parse_error:cvd_header_truncated',
    });
  });

  it('refuses the main.cvd prefix (cut after the MD5) even when padded', () => {
    const text = fixture('clamav/main-cvd-57-header-prefix-pmg-comment.txt');
    expect(parseCvdHeader(Buffer.from(text))).toEqual({
      ok: false,
      error: 'parse_error:cvd_header_truncated',
    });
    expect(parseCvdHeader(padded(text))).toEqual({ ok: false, error: 'parse_error:cvd_header_truncated' });
  });

  it.each([
    ['a .sign file', fixture('clamav/test-1.cvd.sign.txt').slice(0, 600), 'parse_error:cvd_not_a_header'],
    ['zeros', '\0'.repeat(512), 'parse_error:cvd_not_a_header'],
    ['a gzip body', `\x1f\x8b\x08${'x'.repeat(509)}`, 'parse_error:cvd_not_a_header'],
    [
      'a bad date',
      'ClamAV-VDB:16 Foo 2020 07-58 -0400:25784:1:63:md5:dsig:raynman:1587038339',
      'parse_error:cvd_build_time',
    ],
    [
      'a bad version',
      'ClamAV-VDB:16 Apr 2020 07-58 -0400:v25784:1:63:md5:dsig:raynman:1587038339',
      'parse_error:cvd_numbers',
    ],
  ])('refuses %s', (_what, text, error) => {
    expect(parseCvdHeader(Buffer.from(text.padEnd(512, ' '), 'latin1'))).toEqual({ ok: false, error });
  });
});

describe('parseCvdTime', () => {
  it.each([
    ['16 Mar 2016 23-17 +0000', '2016-03-16T23:17:00Z'],
    ['1 Jan 2026 06-30 +0700', '2025-12-31T23:30:00Z'],
    ['04 Mar 2015 13-58 -0500', '2015-03-04T18:58:00Z'],
  ])('reads %s', (text, iso) => {
    expect(parseCvdTime(text)).toBe(Date.parse(iso));
  });

  it.each(['16 Apr 2020 07:58 -0400', '16 Apr 2020 25-00 +0000', '2020-04-16', ''])('refuses %j', (text) => {
    expect(parseCvdTime(text)).toBeUndefined();
  });
});

describe('databaseDirectory', () => {
  it('reads DatabaseDirectory from Debian-style clamd.conf text and defaults to /var/lib/clamav', () => {
    expect(databaseDirectory('LocalSocket /x\nDatabaseDirectory /srv/clamav\nUser clamav\n')).toBe(
      '/srv/clamav',
    );
    expect(databaseDirectory('# DatabaseDirectory /commented\nUser clamav\n')).toBe('/var/lib/clamav');
    expect(databaseDirectory('')).toBe('/var/lib/clamav');
  });
});
