import { lookupMeasurement } from './catalogue.js';
import type { CatalogueIssue } from './check.js';
import { bigintProblem, checkAgainstCatalogue } from './check.js';
import { stampedTags } from './measurement.js';
import {
  type Batch,
  earliestPointTime,
  loneSurrogate,
  loneSurrogateMessage,
  type Point,
  wireLimits,
} from './point.js';

const NAME = /^[a-z][a-z0-9_]*$/;
const BATCH_ID = /^[A-Za-z0-9_.:-]+$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const TAG_CONTROL = /[\u0000-\u001f\u007f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const FIELD_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const STAMPED: ReadonlySet<string> = new Set(stampedTags);

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The ingest hot path: validates a batch against `batchSchema` and the catalogue in one pass, with
 * the same rules and messages. It exists because zod costs ~7 µs a point, most of the collector's
 * CPU at saturation; `validate.test.ts` checks it agrees with the zod schema on generated input, so
 * `point.ts` stays the one definition of the contract.
 *
 * @example
 * validateBatch({ batch_id: 'b1', points: [] }, 5000)
 * // → { problems: [{ path: 'points', message: 'at least one point is required' }] }
 */
export function validateBatch(
  body: unknown,
  maxPoints: number = wireLimits.pointsPerBatch,
): { batch?: Batch; problems: CatalogueIssue[] } {
  const problems: CatalogueIssue[] = [];
  const add = (path: string, message: string) => {
    if (problems.length < 1000) problems.push({ path, message });
  };
  if (!isPlainObject(body)) {
    add('(body)', 'expected a JSON object {batch_id, points}');
    return { problems };
  }
  for (const key of Object.keys(body)) if (key !== 'batch_id' && key !== 'points') add(key, 'unknown key');
  const id = body.batch_id;
  if (typeof id !== 'string') add('batch_id', 'required string');
  else if (id.length < 1 || id.length > wireLimits.batchIdMaxLength)
    add('batch_id', `must be 1 to ${wireLimits.batchIdMaxLength} characters`);
  else if (!BATCH_ID.test(id)) add('batch_id', 'must be [A-Za-z0-9_.:-]+');
  const points = body.points;
  if (!Array.isArray(points)) {
    add('points', 'required list');
    return { problems };
  }
  if (points.length === 0) add('points', 'at least one point is required');
  if (points.length > maxPoints) add('points', `at most ${maxPoints} points`);
  for (let i = 0; i < points.length && problems.length < 1000; i++)
    checkPoint(points[i], `points[${i}]`, add);
  return problems.length > 0 ? { problems } : { batch: body as unknown as Batch, problems };
}

/** What is wrong with one point (empty when it fits the contract and the catalogue); paths start at `at`. */
export function pointProblems(point: unknown, at: string): CatalogueIssue[] {
  const problems: CatalogueIssue[] = [];
  checkPoint(point, at, (path, message) => problems.push({ path, message }));
  return problems;
}

function checkPoint(p: unknown, at: string, add: (path: string, message: string) => void): void {
  if (!isPlainObject(p)) {
    add(at, 'expected an object {measurement, tags, fields, time}');
    return;
  }
  for (const key of Object.keys(p)) {
    if (key !== 'measurement' && key !== 'tags' && key !== 'fields' && key !== 'time')
      add(`${at}.${key}`, 'unknown key');
  }
  const { measurement, tags, fields, time } = p;
  let spec: ReturnType<typeof lookupMeasurement>;
  if (
    typeof measurement !== 'string' ||
    !NAME.test(measurement) ||
    measurement.length > wireLimits.nameMaxLength
  ) {
    add(`${at}.measurement`, 'must be snake_case ([a-z][a-z0-9_]*), at most 64 characters');
  } else {
    spec = lookupMeasurement(measurement);
    if (!spec) {
      // Same wording as checkAgainstCatalogue, which also lists the known names.
      const [issue] = checkAgainstCatalogue([{ measurement, tags: {}, fields: {}, time: 0 } as Point], 'x');
      add(`${at}.measurement`, issue?.message ?? `unknown measurement "${measurement}"`);
    }
  }
  if (!isPlainObject(tags)) add(`${at}.tags`, 'required object');
  else {
    const keys = Object.keys(tags);
    if (keys.length > wireLimits.tagsPerPoint) add(`${at}.tags`, `at most ${wireLimits.tagsPerPoint} tags`);
    for (const k of keys) {
      const v = tags[k];
      const path = `${at}.tags.${k}`;
      if (!NAME.test(k) || k.length > wireLimits.nameMaxLength)
        add(path, 'tag key must be snake_case ([a-z][a-z0-9_]*)');
      else if (STAMPED.has(k)) add(path, 'is set by the server from the credential');
      else if (spec && !spec.tags.includes(k))
        add(path, `unknown tag for ${spec.name} (known: ${spec.tags.join(', ') || 'none'})`);
      if (typeof v !== 'string') add(path, 'must be a string');
      else if (v.length === 0) add(path, 'must not be empty (InfluxDB drops empty tags)');
      else if (v.length > wireLimits.tagValueMaxLength)
        add(path, `must be at most ${wireLimits.tagValueMaxLength} characters`);
      else if (TAG_CONTROL.test(v)) add(path, 'must not contain control characters');
      else if (v.endsWith('\\')) add(path, 'must not end with a backslash');
      else if (loneSurrogate.test(v)) add(path, loneSurrogateMessage);
    }
  }
  if (!isPlainObject(fields)) add(`${at}.fields`, 'required object');
  else {
    const keys = Object.keys(fields);
    if (keys.length === 0) add(`${at}.fields`, 'at least one field is required');
    if (keys.length > wireLimits.fieldsPerPoint)
      add(`${at}.fields`, `at most ${wireLimits.fieldsPerPoint} fields`);
    for (const k of keys) {
      const v = fields[k];
      const path = `${at}.fields.${k}`;
      if (!NAME.test(k) || k.length > wireLimits.nameMaxLength) {
        add(path, 'field key must be snake_case ([a-z][a-z0-9_]*)');
        continue;
      }
      const fieldSpec = spec && Object.hasOwn(spec.fields, k) ? spec.fields[k] : undefined;
      const declared = fieldSpec?.type;
      if (spec && !declared) add(path, `unknown field for ${spec.name}`);
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) add(path, 'must be a finite number');
        else if (declared === 'integer' && !Number.isInteger(v))
          add(path, `expected integer, got float ${v}`);
        else if (declared === 'integer' && !Number.isSafeInteger(v))
          add(
            path,
            fieldSpec?.bigint
              ? 'integer is outside the safe range (±2^53): send it as a string of digits'
              : 'integer is outside the safe range (±2^53)',
          );
        else if (declared === 'string' || declared === 'boolean') {
          add(path, `expected ${declared}, got ${Number.isInteger(v) ? 'integer' : 'float'} ${v}`);
        }
      } else if (typeof v === 'string') {
        if (v.length > wireLimits.stringFieldMaxLength)
          add(path, `must be at most ${wireLimits.stringFieldMaxLength} characters`);
        else if (FIELD_CONTROL.test(v))
          add(path, 'must not contain control characters other than tab and newline');
        else if (fieldSpec?.bigint) {
          const problem = bigintProblem(v);
          if (problem) add(path, problem);
        } else if (loneSurrogate.test(v)) add(path, loneSurrogateMessage);
        else if (declared && declared !== 'string')
          add(path, `expected ${declared}, got string ${JSON.stringify(v.slice(0, 40))}`);
      } else if (typeof v === 'boolean') {
        if (declared && declared !== 'boolean') add(path, `expected ${declared}, got boolean ${v}`);
      } else add(path, `must be a number, string or boolean, got ${v === null ? 'null' : typeof v}`);
    }
  }
  if (typeof time !== 'number' || !Number.isInteger(time))
    add(`${at}.time`, 'must be integer epoch milliseconds');
  else if (time < earliestPointTime) add(`${at}.time`, 'is before the year 2000');
}
