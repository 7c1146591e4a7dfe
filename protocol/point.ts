import { z } from 'zod';

/** Types a field can have in InfluxDB. A field's type never changes once defined in the catalogue. */
export type FieldType = 'float' | 'integer' | 'string' | 'boolean';
export type FieldValue = number | string | boolean;

/**
 * One measured fact: `{measurement, tags, fields, time}`. Tags identify the thing, fields are values.
 * `time` is epoch milliseconds set at collection, so a replayed point overwrites itself in InfluxDB.
 *
 * @example
 * const p: Point = {
 *   measurement: 'host',
 *   tags: { hostname: 'pc-kt-07' },
 *   fields: { cpu_load_percent: 12.5, uptime_s: 86400 },
 *   time: Date.now(),
 * };
 */
export interface Point {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, FieldValue>;
  time: number;
}

/** Limits every ingest path enforces; the server may lower them by config, never raise past these. */
export const wireLimits = {
  /** Longest tag key, field key or measurement name. */
  nameMaxLength: 64,
  tagValueMaxLength: 256,
  stringFieldMaxLength: 16_384,
  tagsPerPoint: 16,
  fieldsPerPoint: 64,
  pointsPerBatch: 5_000,
  batchIdMaxLength: 64,
} as const;

const name = z
  .string()
  .min(1)
  .max(wireLimits.nameMaxLength)
  .regex(/^[a-z][a-z0-9_]*$/, 'must be snake_case ([a-z][a-z0-9_]*)');

/**
 * A UTF-16 surrogate without its partner (JSON allows `"\ud800"`). Stored, it would silently become
 * U+FFFD, so it is refused instead: a value is stored exactly or not at all.
 */
export const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
export const loneSurrogateMessage = 'must be well-formed Unicode (lone surrogate)';

/**
 * Tag values become part of InfluxDB series keys. Control characters (newlines above all) cannot be
 * escaped in line protocol, and a trailing backslash escapes the separator after it, so both are
 * refused rather than risk a value being read as another tag or point.
 */
const tagValue = z
  .string()
  .min(1, 'must not be empty (InfluxDB drops empty tags)')
  .max(wireLimits.tagValueMaxLength)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters')
  .refine((s) => !s.endsWith('\\'), 'must not end with a backslash')
  .refine((s) => !loneSurrogate.test(s), loneSurrogateMessage);

/**
 * A field value: a finite number, a boolean, or a string within bounds. Checked by hand rather than
 * with a union so the message says which rule failed instead of "invalid input".
 */
const fieldValue = z.unknown().transform((v, ctx): FieldValue => {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) ctx.addIssue({ code: 'custom', message: 'must be a finite number' });
    return v;
  }
  if (typeof v === 'string') {
    if (v.length > wireLimits.stringFieldMaxLength) {
      ctx.addIssue({
        code: 'custom',
        message: `must be at most ${wireLimits.stringFieldMaxLength} characters`,
      });
    }
    // Inside a quoted string field InfluxDB stores tab, CR and LF literally (checked against 1.6);
    // other control characters have no business in a report.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
    if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(v)) {
      ctx.addIssue({
        code: 'custom',
        message: 'must not contain control characters other than tab and newline',
      });
    }
    if (loneSurrogate.test(v)) ctx.addIssue({ code: 'custom', message: loneSurrogateMessage });
    return v;
  }
  ctx.addIssue({
    code: 'custom',
    message: `must be a number, string or boolean, got ${v === null ? 'null' : typeof v}`,
  });
  return z.NEVER;
});

/** Earliest time the server accepts: anything before is a broken clock, not data. */
export const earliestPointTime = Date.UTC(2000, 0, 1);

export const pointSchema = z.strictObject({
  measurement: name,
  tags: z.record(name, tagValue).refine((t) => Object.keys(t).length <= wireLimits.tagsPerPoint, {
    message: `at most ${wireLimits.tagsPerPoint} tags`,
  }),
  fields: z
    .record(name, fieldValue)
    .refine((f) => Object.keys(f).length >= 1, { message: 'at least one field is required' })
    .refine((f) => Object.keys(f).length <= wireLimits.fieldsPerPoint, {
      message: `at most ${wireLimits.fieldsPerPoint} fields`,
    }),
  time: z
    .number()
    .int('must be integer epoch milliseconds')
    .min(earliestPointTime, 'is before the year 2000'),
});

/** What an agent posts to `POST /api/v1/ingest`. The batch id lets the server log and dedupe retries. */
export const batchSchema = z.strictObject({
  batch_id: z
    .string()
    .min(1)
    .max(wireLimits.batchIdMaxLength)
    .regex(/^[A-Za-z0-9_.:-]+$/, 'must be [A-Za-z0-9_.:-]+'),
  points: z.array(pointSchema).min(1, 'at least one point is required').max(wireLimits.pointsPerBatch),
});

export type Batch = z.infer<typeof batchSchema>;
