import { catalogue, lookupMeasurement } from './catalogue.js';
import { stampedTags } from './measurement.js';
import type { FieldValue, Point } from './point.js';

/** One reason a point does not fit the catalogue, with the JSON path that names it. */
export interface CatalogueIssue {
  path: string;
  message: string;
}

function typeOf(value: FieldValue): string {
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'float';
  return typeof value;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Why `text` is not a valid big integer field value, or undefined. Only values beyond ±2^53 may be
 * strings (smaller ones are plain numbers, so a field has one spelling per value), and InfluxDB stores
 * at most int64.
 */
export function bigintProblem(text: string): string | undefined {
  if (!/^-?(0|[1-9]\d{0,19})$/.test(text)) {
    return `expected integer digits, got string ${JSON.stringify(text.slice(0, 40))}`;
  }
  const n = BigInt(text);
  if (n < INT64_MIN || n > INT64_MAX) return 'integer is outside the int64 range InfluxDB stores';
  if (n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)) {
    return 'integer within ±2^53 must be sent as a number, not a string';
  }
  return undefined;
}

/**
 * Checks points that already passed `pointSchema` against the catalogue: known measurement, known
 * tags, known fields of the declared type, no identity tags from the sender. `prefix` is prepended
 * to every path (`points`).
 *
 * @example
 * checkAgainstCatalogue([{ measurement: 'host', tags: {}, fields: { uptime_s: 1.5 }, time: 0 }]);
 * // → [{ path: 'points[0].fields.uptime_s', message: 'expected integer, got float 1.5' }]
 */
export function checkAgainstCatalogue(points: readonly Point[], prefix = 'points'): CatalogueIssue[] {
  const issues: CatalogueIssue[] = [];
  points.forEach((point, i) => {
    const at = `${prefix}[${i}]`;
    const spec = lookupMeasurement(point.measurement);
    if (!spec) {
      issues.push({
        path: `${at}.measurement`,
        message: `unknown measurement "${point.measurement}" (known: ${Object.keys(catalogue).join(', ')})`,
      });
      return;
    }
    for (const tag of Object.keys(point.tags)) {
      if ((stampedTags as readonly string[]).includes(tag)) {
        issues.push({ path: `${at}.tags.${tag}`, message: 'is set by the server from the credential' });
      } else if (!spec.tags.includes(tag)) {
        issues.push({
          path: `${at}.tags.${tag}`,
          message: `unknown tag for ${spec.name} (known: ${spec.tags.join(', ') || 'none'})`,
        });
      }
    }
    for (const [field, value] of Object.entries(point.fields)) {
      const fieldSpec = Object.hasOwn(spec.fields, field) ? spec.fields[field] : undefined;
      if (!fieldSpec) {
        issues.push({ path: `${at}.fields.${field}`, message: `unknown field for ${spec.name}` });
        continue;
      }
      if (fieldSpec.bigint && typeof value === 'string') {
        const problem = bigintProblem(value);
        if (problem) issues.push({ path: `${at}.fields.${field}`, message: problem });
        continue;
      }
      const got = typeOf(value);
      const ok =
        fieldSpec.type === got ||
        // An integral number is a valid float: JSON cannot tell 2 from 2.0.
        (fieldSpec.type === 'float' && got === 'integer');
      if (!ok) {
        const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : String(value);
        issues.push({
          path: `${at}.fields.${field}`,
          message: `expected ${fieldSpec.type}, got ${got} ${shown}`,
        });
      } else if (fieldSpec.type === 'integer' && !Number.isSafeInteger(value)) {
        issues.push({
          path: `${at}.fields.${field}`,
          message: fieldSpec.bigint
            ? 'integer is outside the safe range (±2^53): send it as a string of digits'
            : 'integer is outside the safe range (±2^53)',
        });
      }
    }
  });
  return issues;
}
