import { lookupMeasurement, type Point } from '../../protocol/index.js';

/**
 * InfluxDB line protocol for validated points, escaped the way InfluxDB 1.x unescapes (commas,
 * spaces and `=` in names and tags; `"` and `\\` in string fields) and typed by the catalogue (`1i`
 * for integers). Tags are sorted by key, as InfluxDB recommends. Time is epoch milliseconds: write with `precision=ms`.
 *
 * The server serialises itself rather than through `InfluxDB.writePoints`, which re-validates
 * every point against a schema (done already at ingest) at ~5 µs a point, and not with node-influx's
 * `escape.*` either: they rewrite the first `\'` of a value to `\\'` (an InfluxQL quirk), which
 * stored `x\'y` as `x\\'y`.
 *
 * @example
 * toLineProtocol([{ measurement: 'host', tags: { hostname: 'pc 1' }, fields: { uptime_s: 5 }, time: 1 }])
 * // → 'host,hostname=pc\\ 1 uptime_s=5i 1'
 */
/** Most names and values need no escaping; test once instead of running the replace on each. */
const TAG_SPECIAL = /[,= ]/;
const tagEscape = (v: string) => (TAG_SPECIAL.test(v) ? v.replace(/[,= ]/g, '\\$&') : v);
const measurementEscape = (v: string) => (TAG_SPECIAL.test(v) ? v.replace(/[, ]/g, '\\$&') : v);
const STRING_SPECIAL = /["\\]/;
const quoted = (v: string) => `"${STRING_SPECIAL.test(v) ? v.replace(/["\\]/g, '\\$&') : v}"`;

export function toLineProtocol(points: readonly Point[]): string {
  const lines: string[] = new Array(points.length);
  for (let i = 0; i < points.length; i++) lines[i] = pointLine(points[i] as Point);
  return lines.join('\n');
}

/**
 * The points as a write body, each line ending in a newline: what the spool stores and replay sends.
 * Joined once (a trailing `+ '\n'` would copy the whole text again before encoding).
 */
export function lineProtocolBody(points: readonly Point[]): Buffer {
  const lines: string[] = new Array(points.length + 1);
  for (let i = 0; i < points.length; i++) lines[i] = pointLine(points[i] as Point);
  lines[points.length] = '';
  return Buffer.from(lines.join('\n'));
}

/** One point as one line of line protocol (no newline). */
export function pointLine(p: Point): string {
  const spec = lookupMeasurement(p.measurement);
  let line = measurementEscape(p.measurement);
  const tagKeys = Object.keys(p.tags).sort();
  for (const k of tagKeys) line += `,${tagEscape(k)}=${tagEscape(p.tags[k] as string)}`;
  let sep = ' ';
  for (const [k, v] of Object.entries(p.fields)) {
    const type = spec?.fields[k]?.type;
    let value: string;
    // A string in an integer field is a validated big integer (digits beyond 2^53): write it as one.
    if (typeof v === 'string') value = type === 'integer' ? `${v}i` : quoted(v);
    else if (typeof v === 'boolean') value = v ? 'true' : 'false';
    else if (type === 'integer') value = `${Math.trunc(v)}i`;
    else value = String(v);
    line += `${sep}${tagEscape(k)}=${value}`;
    sep = ',';
  }
  return `${line} ${Math.trunc(p.time)}`;
}

const NEWLINE = 0x0a;
const SPACE = 0x20;
const QUOTE = 0x22;
const COMMA = 0x2c;
const EQUALS = 0x3d;
const BACKSLASH = 0x5c;

/**
 * Splits line protocol as `toLineProtocol` writes it into its lines (each a view of `body`, with its
 * newline when it had one), without decoding it. It follows the encoder, not a general parser:
 * - up to the first unescaped space (measurement and tags) there is no newline (tag values may not
 *   hold control characters) and no quoting: a `"` there is literal. A backslash escapes only `,`,
 *   `=` or a space after it; any other backslash is literal (tag values may not end with one, so a
 *   literal backslash is never followed by a separator);
 * - after it (fields and time), a `"` opens a string field (keys are snake_case, other values are
 *   numbers and booleans), where a backslash escapes the next byte (`\"` or `\\`) and newlines are
 *   literal; a newline outside a string ends the line.
 * UTF-8 never uses bytes below 0x80 inside a multi-byte character, so scanning bytes is exact.
 * Throws on a body the encoder cannot have written (a line with no fields, an unclosed string).
 *
 * @example
 * splitLines(Buffer.from('m,t=a\\ b f="x\ny" 1\nm f=1i 2\n')).map(String)
 * // → ['m,t=a\\ b f="x\ny" 1\n', 'm f=1i 2\n']
 */
export function splitLines(body: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  const n = body.length;
  let i = 0;
  while (i < n) {
    const start = i;
    for (; i < n; i++) {
      const c = body[i];
      if (c === SPACE) break;
      if (c === NEWLINE) throw new Error(`line protocol: the line at byte ${start} ends before its fields`);
      if (c === BACKSLASH) {
        const next = body[i + 1];
        if (next === COMMA || next === EQUALS || next === SPACE) i++;
      }
    }
    if (i === n) throw new Error(`line protocol: the line at byte ${start} has no fields`);
    let quoted = false;
    for (i++; i < n; i++) {
      const c = body[i];
      if (quoted) {
        if (c === BACKSLASH) i++;
        else if (c === QUOTE) quoted = false;
      } else if (c === QUOTE) quoted = true;
      else if (c === NEWLINE) break;
    }
    if (quoted) throw new Error(`line protocol: the line at byte ${start} has an unclosed string field`);
    i = Math.min(i + 1, n);
    lines.push(body.subarray(start, i));
  }
  return lines;
}
