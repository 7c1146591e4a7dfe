import { describe, expect, it } from 'vitest';
import { checkAgainstCatalogue } from './check.js';
import { batchSchema, pointSchema } from './point.js';
import { validateBatch } from './validate.js';

/** A small deterministic PRNG so a failure can be replayed from its seed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

const tagValues = [
  'pc-1',
  'Sở Y tế',
  '',
  'a\nb',
  'ends\\',
  'x'.repeat(257),
  'a,site_id=b c=1',
  'tab\there',
  'ok"quote',
  'lone \ud800',
  'pair \ud83d\ude00',
];
const fieldValues: unknown[] = [
  0,
  1,
  -3,
  1.5,
  2 ** 60,
  1e308,
  'text',
  'multi\nline',
  'nul\u0000',
  'lone \udc00 low',
  "x\\'y",
  true,
  false,
  null,
  [],
  {},
  'x'.repeat(16_385),
  // big integer fields (in_octets) take digits past 2^53 only, within int64
  '9007199254740993',
  '123',
  '99999999999999999999',
  '-12',
];
const measurements = [
  'host',
  'host_disk',
  'agent_health',
  'collector_run',
  'snmp_interface',
  'nope',
  'Bad-Name',
  5,
];
const tagKeys = [
  'hostname',
  'mount',
  'fs_type',
  'collector',
  'version',
  'agent_id',
  'site_id',
  'bogus',
  'Bad',
];
const fieldKeys = [
  'in_octets',
  'cpu_load_percent',
  'uptime_s',
  'mem_total_bytes',
  'used_percent',
  'success',
  'error',
  'points',
  'bogus',
  'queue_points',
];

function randomPoint(r: () => number): unknown {
  const p: Record<string, unknown> = {
    measurement: pick(r, measurements),
    tags: Object.fromEntries(
      Array.from({ length: Math.floor(r() * 3) }, () => [pick(r, tagKeys), pick(r, tagValues)]),
    ),
    fields: Object.fromEntries(
      Array.from({ length: Math.floor(r() * 4) }, () => [pick(r, fieldKeys), pick(r, fieldValues)]),
    ),
    time: pick(r, [1_700_000_000_000, 1_700_000_000_000.5, 10, '1700000000000']),
  };
  if (r() < 0.05) p.extra = 1;
  if (r() < 0.05) delete p.time;
  return p;
}

/** The contract's verdict, point by point: the zod schema, then the catalogue for points that parsed. */
function zodVerdict(body: { batch_id: unknown; points: unknown[] }): Set<number> | 'body' {
  if (!batchSchema.shape.batch_id.safeParse(body.batch_id).success) return 'body';
  const bad = new Set<number>();
  body.points.forEach((point, i) => {
    const parsed = pointSchema.safeParse(point);
    if (!parsed.success || checkAgainstCatalogue([parsed.data]).length > 0) bad.add(i);
  });
  return bad;
}

function fastVerdict(body: unknown): Set<number> | 'body' {
  const { problems } = validateBatch(body);
  const bad = new Set<number>();
  for (const p of problems) {
    const m = /^points\[(\d+)\]/.exec(p.path);
    if (!m) return 'body';
    bad.add(Number(m[1]));
  }
  return bad;
}

describe('validateBatch (the ingest hot path)', () => {
  it('agrees with the zod schema and the catalogue on which points are invalid, over 3,000 generated batches', () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const r = rng(seed);
      const body = {
        batch_id: r() < 0.03 ? 'bad id!' : `b-${seed}`,
        points: Array.from({ length: 1 + Math.floor(r() * 4) }, () => randomPoint(r)),
      };
      const zod = zodVerdict(body);
      const fast = fastVerdict(body);
      expect({ seed, verdict: fast === 'body' ? 'body' : [...fast].sort() }).toEqual({
        seed,
        verdict: zod === 'body' ? 'body' : [...zod].sort(),
      });
    }
  });

  it('accepts a valid batch and returns it as is', () => {
    const body = {
      batch_id: 'b1',
      points: [
        {
          measurement: 'host',
          tags: { hostname: 'pc' },
          fields: { uptime_s: 5, cpu_load_percent: 2 },
          time: 1_700_000_000_000,
        },
      ],
    };
    expect(validateBatch(body)).toEqual({ batch: body, problems: [] });
  });

  it('names the batch-level problems', () => {
    expect(validateBatch({ points: [], extra: 1 }).problems).toEqual([
      { path: 'extra', message: 'unknown key' },
      { path: 'batch_id', message: 'required string' },
      { path: 'points', message: 'at least one point is required' },
    ]);
    expect(validateBatch([1, 2]).problems).toEqual([
      { path: '(body)', message: 'expected a JSON object {batch_id, points}' },
    ]);
  });

  it('takes a big integer field past 2^53 only as digits within int64, and nothing else as a string', () => {
    const point = (fields: Record<string, unknown>) => ({
      batch_id: 'b1',
      points: [{ measurement: 'snmp_interface', tags: { device: 'qfx' }, fields, time: 1_700_000_000_000 }],
    });
    expect(validateBatch(point({ in_octets: '9007199254740993' })).problems).toEqual([]);
    expect(validateBatch(point({ in_octets: 2 ** 60 })).problems).toEqual([
      {
        path: 'points[0].fields.in_octets',
        message: 'integer is outside the safe range (±2^53): send it as a string of digits',
      },
    ]);
    expect(validateBatch(point({ in_octets: '42' })).problems[0]?.message).toBe(
      'integer within ±2^53 must be sent as a number, not a string',
    );
    expect(validateBatch(point({ in_octets: '9223372036854775808' })).problems[0]?.message).toBe(
      'integer is outside the int64 range InfluxDB stores',
    );
    expect(validateBatch(point({ in_octets: '1e20' })).problems[0]?.message).toBe(
      'expected integer digits, got string "1e20"',
    );
    // Only fields declared bigint: in_errors is a plain integer.
    expect(validateBatch(point({ in_errors: '9007199254740993' })).problems[0]?.message).toBe(
      'expected integer, got string "9007199254740993"',
    );
  });
});
