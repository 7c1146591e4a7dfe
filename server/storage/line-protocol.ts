import { escape as influxEscape } from 'influx';
import { lookupMeasurement, type Point } from '../../protocol/index.js';

/**
 * InfluxDB line protocol for validated points, with node-influx's escaping (`escape.measurement`,
 * `escape.tag`, `escape.quoted`) and the catalogue's field types (`1i` for integers). Tags are
 * sorted by key, as InfluxDB recommends. Time is epoch milliseconds: write with `precision=ms`.
 *
 * The server serialises itself rather than through `InfluxDB.writePoints`, which re-validates
 * every point against a schema (done already at ingest) at ~5 µs a point.
 *
 * @example
 * toLineProtocol([{ measurement: 'host', tags: { hostname: 'pc 1' }, fields: { uptime_s: 5 }, time: 1 }])
 * // → 'host,hostname=pc\\ 1 uptime_s=5i 1'
 */
/** Most names and values need no escaping; test once instead of running the escaper on each. */
const TAG_SPECIAL = /[,= \\\n"]/;
const tagEscape = (v: string) => (TAG_SPECIAL.test(v) ? influxEscape.tag(v) : v);
const measurementEscape = (v: string) => (TAG_SPECIAL.test(v) ? influxEscape.measurement(v) : v);

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
    if (typeof v === 'string') value = influxEscape.quoted(v);
    else if (typeof v === 'boolean') value = v ? 'true' : 'false';
    else if (type === 'integer') value = `${Math.trunc(v)}i`;
    else value = String(v);
    line += `${sep}${tagEscape(k)}=${value}`;
    sep = ',';
  }
  return `${line} ${Math.trunc(p.time)}`;
}
