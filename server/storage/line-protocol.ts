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
