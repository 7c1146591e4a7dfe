import type { Cell, SnapshotTable } from '../types.js';

/** UTF-8 byte order mark: without it Excel reads the file as the system code page and garbles Vietnamese. */
export const utf8Bom = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * A cell as CSV text: numbers as JavaScript writes them (dot decimal, no grouping), booleans
 * true/false, null empty. A text that a spreadsheet would run as a formula (starts with = + - @,
 * tab or CR) gets a leading apostrophe, the OWASP advice against CSV injection: hostnames and
 * product names come from agents, which anyone on the network can run.
 */
export function csvCell(v: Cell): string {
  if (v === null) return '';
  if (typeof v !== 'string') return String(v);
  const text = /^[=+\-@\t\r]/.test(v) && v !== '-' ? `'${v}` : v;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * One table as RFC 4180 CSV: UTF-8 with BOM, CRLF line ends (the last line too), a header row of
 * the column keys (stable across versions and languages; titles are in the XLSX and HTML), then one
 * line per row in the table's order.
 * @example
 * tableCsv(table).subarray(0, 3) // <Buffer ef bb bf>
 */
export function tableCsv(table: SnapshotTable): Buffer {
  const keys = table.columns.map((c) => c.key);
  const lines = [keys.map(csvCell).join(',')];
  for (const row of table.rows) lines.push(keys.map((k) => csvCell(row[k] ?? null)).join(','));
  return Buffer.concat([utf8Bom, Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8')]);
}
