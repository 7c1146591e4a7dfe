import { createHash } from 'node:crypto';
import type { SnapshotContent } from './types.js';

/**
 * Canonical JSON: object keys sorted by UTF-16 code unit (as `Array.prototype.sort` does),
 * no whitespace, array order kept, `undefined` properties left out, numbers and strings as
 * `JSON.stringify` writes them. Equal values give equal bytes whatever order they were built in.
 * @throws on a non-finite number, which JSON cannot state faithfully
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`canonical json: ${value} is not a finite number`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new Error(`canonical json: cannot encode a ${typeof value}`);
}

/**
 * A snapshot's content-addressed id: sha256 (hex) of the canonical JSON of its content. Neither the
 * creation time, the report language nor the signing key enter it: the same measurements give the
 * same id.
 */
export function contentId(content: SnapshotContent): string {
  return createHash('sha256').update(canonicalJson(content), 'utf8').digest('hex');
}
