import type { Varbind } from 'net-snmp';
import { type FieldValue, lookupMeasurement } from '../../../protocol/index.js';
import type { ModuleSpec, Source } from './profile.js';
import type { Columns } from './session.js';
import { asBigInt, asText, tagValue } from './values.js';

/** What one vendor module read: fields for the device's one point, or one point's tags/fields per row. */
export type ModuleResult =
  | { kind: 'scalars'; fields: Record<string, FieldValue> }
  | { kind: 'rows'; rows: { tags: Record<string, string>; fields: Record<string, FieldValue> }[] };

/** The OIDs a module reads: scalars for one GET, or table columns to walk. */
export function moduleOids(m: ModuleSpec): { scalars: string[]; columns: string[] } {
  if (m.scalars) return { scalars: Object.values(m.scalars).map((s) => s.oid), columns: [] };
  const t = m.table as NonNullable<ModuleSpec['table']>;
  const columns = [...Object.values(t.tags), ...Object.values(t.fields)].map((s) => s.oid);
  for (const p of t.present ?? []) columns.push(p.oid);
  return { scalars: [], columns: [...new Set(columns)] };
}

/**
 * A raw varbind as the catalogue field `type` wants it: `map` first (an unlisted value leaves the field
 * out), then `divide`; integers are floored after dividing (minutes left, not rounded up), strings are
 * the text. Undefined when the device has no such object or the value does not fit.
 */
export function convert(
  vb: Varbind | undefined,
  source: Source,
  type: string | undefined,
): FieldValue | undefined {
  if (!vb) return undefined;
  if (source.map) {
    // Integers by their value; an OBJECT IDENTIFIER (Liebert names sensors by one) by its dotted text.
    const raw = asBigInt(vb);
    const key = raw !== undefined ? raw.toString() : asText(vb);
    return key === undefined || !Object.hasOwn(source.map, key) ? undefined : source.map[key];
  }
  if (type === 'string') {
    const text = asText(vb);
    return text === '' ? undefined : text;
  }
  const raw = asBigInt(vb);
  if (raw === undefined) return undefined;
  const value = Number(raw) / (source.divide ?? 1);
  if (!Number.isFinite(value)) return undefined;
  return type === 'integer' ? Math.floor(value) : Math.round(value * 1e6) / 1e6;
}

/** Turns what was read for module `m` into its fields (scalars) or rows (table). */
export function moduleResult(
  m: ModuleSpec,
  scalars: ReadonlyMap<string, Varbind | undefined>,
  cols: Columns,
): ModuleResult {
  const spec = lookupMeasurement(m.measurement);
  const typeOf = (field: string) => spec?.fields[field]?.type;
  if (m.scalars) {
    const fields: Record<string, FieldValue> = {};
    for (const [field, source] of Object.entries(m.scalars)) {
      const v = convert(scalars.get(source.oid), source, typeOf(field));
      if (v !== undefined) fields[field] = v;
    }
    return { kind: 'scalars', fields };
  }
  const t = m.table as NonNullable<ModuleSpec['table']>;
  const indexes = new Set<string>();
  for (const source of Object.values(t.fields))
    for (const i of cols.get(source.oid)?.keys() ?? []) indexes.add(i);
  const rows: { tags: Record<string, string>; fields: Record<string, FieldValue> }[] = [];
  for (const index of [...indexes].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b))) {
    const get = (oid: string) => cols.get(oid)?.get(index);
    const absent = (t.present ?? []).some((p) => {
      const flag = asBigInt(get(p.oid));
      return flag === undefined || !p.in.includes(Number(flag));
    });
    if (absent) continue;
    const fields: Record<string, FieldValue> = {};
    for (const [field, source] of Object.entries(t.fields)) {
      const v = convert(get(source.oid), source, typeOf(field));
      if (v !== undefined) fields[field] = v;
    }
    if (Object.keys(fields).length === 0) continue;
    const tags: Record<string, string> = {};
    for (const [tag, source] of Object.entries(t.tags)) {
      const v = convert(get(source.oid), source, 'string');
      tags[tag] = tagValue(v === undefined ? undefined : String(v), `${m.name}-${index}`);
    }
    rows.push({ tags, fields });
  }
  return { kind: 'rows', rows };
}
