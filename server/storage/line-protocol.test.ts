import { describe, expect, it } from 'vitest';
import type { Point } from '../../protocol/index.js';
import { splitLines, toLineProtocol } from './line-protocol.js';

describe('toLineProtocol', () => {
  it('writes integers with i, floats plain, booleans and quoted strings, tags sorted', () => {
    expect(
      toLineProtocol([
        {
          measurement: 'collector_run',
          tags: { hostname: 'pc-1', collector: 'host' },
          fields: { points: 3, duration_ms: 12, success: true, error: 'ok' },
          time: 1_700_000_000_000,
        },
      ]),
    ).toBe(
      'collector_run,collector=host,hostname=pc-1 points=3i,duration_ms=12,success=true,error="ok" 1700000000000',
    );
  });

  it('writes a big integer sent as digits (a counter past 2^53) as an exact integer, not a string', () => {
    expect(
      toLineProtocol([
        {
          measurement: 'snmp_interface',
          tags: { device: 'qfx', if_index: '501', if_name: 'et-0/0/0' },
          fields: { in_octets: '9007199254740993', out_octets: 12 },
          time: 1,
        },
      ]),
    ).toBe(
      'snmp_interface,device=qfx,if_index=501,if_name=et-0/0/0 in_octets=9007199254740993i,out_octets=12i 1',
    );
  });

  it('escapes what line protocol needs escaped, and only that', () => {
    expect(
      toLineProtocol([
        {
          measurement: 'collector_run',
          tags: { hostname: 'a,site_id=b c' },
          fields: { error: 'say "hi" \\ bye\nnext' },
          time: 1,
        },
      ]),
    ).toBe('collector_run,hostname=a\\,site_id\\=b\\ c error="say \\"hi\\" \\\\ bye\nnext" 1');
  });

  it("leaves a backslash before a quote alone in tags and doubles it in string fields (x\\'y stays x\\'y)", () => {
    expect(
      toLineProtocol([
        { measurement: 'collector_run', tags: { hostname: "x\\'y" }, fields: { error: "x\\'y" }, time: 1 },
      ]),
    ).toBe('collector_run,hostname=x\\\'y error="x\\\\\'y" 1');
  });
});

/**
 * Values chosen to trip a line splitter: quotes, backslashes before quotes, separators and `n`,
 * literal `\n` (backslash, n), real newlines, CR and tab in string fields (which InfluxDB stores
 * literally), text that looks like the next line, non-ASCII. Tag values follow the contract (no
 * control characters, no trailing backslash).
 */
const hostileTags = [
  'plain',
  'say "hi"',
  '"',
  'a"b"c',
  "x\\'y",
  'back\\slash',
  '\\n literal',
  'a\\,b',
  'a\\ b',
  'a\\=b',
  'a,b=c d',
  '\\"',
  'Phòng máy chủ Hà Nội',
  '🖥️ rack',
  '=',
  ' leading and trailing ',
];
const hostileStrings = [
  '',
  'ok',
  'say "hi"',
  '"',
  '\\',
  'ends with a backslash \\',
  'ends with a quote "',
  '\\"',
  '"\\',
  'line one\nline two',
  '\n',
  '\r\n',
  '\t tab',
  '\\n is not a newline',
  '" 1\nhost,hostname=x uptime_s=1i 2',
  "x\\'y",
  'Lỗi: không kết nối được "máy chủ"\n',
  '🔥\n🔥',
];

const hostilePoint = (i: number, tag: string, error: string): Point => ({
  measurement: 'collector_run',
  tags: { hostname: tag, collector: hostileTags[(i * 7) % hostileTags.length] as string },
  fields: { points: i, duration_ms: i / 4, success: i % 2 === 0, error },
  time: 1_700_000_000_000 + i,
});

describe('splitLines', () => {
  it('splits what toLineProtocol writes back into its points, whatever their tags and strings hold', () => {
    const points: Point[] = [];
    for (const tag of hostileTags)
      for (const error of hostileStrings) points.push(hostilePoint(points.length, tag, error));
    const body = Buffer.from(`${toLineProtocol(points)}\n`);
    const lines = splitLines(body);
    expect(lines).toHaveLength(points.length);
    expect(lines.map(String)).toEqual(points.map((p) => `${toLineProtocol([p])}\n`));
    // Views of the body, in order and covering it whole.
    expect(Buffer.concat(lines).equals(body)).toBe(true);
  });

  it('agrees with the encoder on random strings drawn from the characters that matter', () => {
    // A small deterministic generator (no seeds to chase): the same cases on every run.
    let state = 42;
    const next = () => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state;
    };
    const alphabet = ['"', '\\', ',', '=', ' ', 'n', '\n', '\r', '\t', 'ệ', '#', '1', 'i', '😀'];
    const draw = (len: number, control: boolean) => {
      let out = '';
      for (let i = 0; i < len; i++) {
        const c = alphabet[next() % alphabet.length] as string;
        out += !control && /[\n\r\t]/.test(c) ? 'x' : c;
      }
      return out;
    };
    const points: Point[] = [];
    for (let i = 0; i < 2_000; i++) {
      let tag = draw(1 + (next() % 12), false);
      if (tag.endsWith('\\')) tag += 'x';
      points.push(hostilePoint(i, tag, draw(next() % 16, true)));
    }
    const body = Buffer.from(toLineProtocol(points));
    const lines = splitLines(body);
    expect(lines.map(String)).toEqual(
      points.map((p, i) => toLineProtocol([p]) + (i < points.length - 1 ? '\n' : '')),
    );
  });

  it('takes a body without its last newline, and gives nothing for an empty one', () => {
    expect(splitLines(Buffer.from('m f=1i 1\nm f=2i 2')).map(String)).toEqual(['m f=1i 1\n', 'm f=2i 2']);
    expect(splitLines(Buffer.alloc(0))).toEqual([]);
  });

  it('refuses what the encoder cannot have written, naming where', () => {
    expect(() => splitLines(Buffer.from('m f="open 1\n'))).toThrow(
      'line protocol: the line at byte 0 has an unclosed string field',
    );
    expect(() => splitLines(Buffer.from('m f=1i 1\nmeasurement-only\n'))).toThrow(
      'line protocol: the line at byte 9 ends before its fields',
    );
    expect(() => splitLines(Buffer.from('m,t=a'))).toThrow('line protocol: the line at byte 0 has no fields');
  });
});
