import { gzipSync } from 'node:zlib';

/**
 * The corpus of hostile requests the suite replays against a real server on every run
 * (`test/e2e/hostile.test.ts`). Generated, not stored: the bodies are deterministic, some are
 * megabytes, and the huge ones are streamed by the sender and never built in memory. Each case says
 * which answers are acceptable; anything else (a 2xx, a 500, a hang) fails the run.
 *
 * Add a case here when a new way to hurt the collector is found.
 */
export interface HostileCase {
  name: string;
  method: 'POST' | 'GET';
  path: '/api/v1/ingest' | '/api/v1/enroll' | '/healthz' | '/metrics';
  /** Send the agent's credential (else anonymous). */
  auth: boolean;
  headers: Record<string, string | number>;
  /** The body, in chunks; a generator for bodies too big to build. */
  body: () => Iterable<Uint8Array>;
  /** The answer expected, as "status code" (`503 busy` is acceptable too: the decode queue was full). */
  answer: string;
  /** What the answer's message must say, where the code alone would not show the right check ran. */
  message?: RegExp;
}

const enc = (s: string) => Buffer.from(s, 'utf8');
const once = (b: Uint8Array) => () => [b];
function* repeat(chunk: Uint8Array, times: number) {
  for (let i = 0; i < times; i++) yield chunk;
}

const json = { 'content-type': 'application/json' };
const gz = { ...json, 'content-encoding': 'gzip' };
const MiB = 1024 ** 2;
/** Recent, so a point is refused for what the case is about, never for its age. */
const time = Date.now() - 60_000;

/** A valid point but for what `patch` changes; `raw` is spliced into the point object as is. */
const point = (fields = '"uptime_s":1', tags = '"hostname":"hostile"', raw = '') =>
  `{"measurement":"host","tags":{${tags}},"fields":{${fields}},"time":${time}${raw}}`;
const batch = (points: string, extra = '') => `{"batch_id":"hostile"${extra},"points":[${points}]}`;

export function hostileCorpus(): HostileCase[] {
  const cases: HostileCase[] = [];
  const add = (c: Omit<HostileCase, 'method' | 'auth'> & Partial<Pick<HostileCase, 'method' | 'auth'>>) =>
    cases.push({ method: 'POST', auth: true, ...c });

  // Size: declared, streamed without a length, inflated.
  const mib = new Uint8Array(MiB).fill(0x20);
  add({
    name: 'enroll with a declared 1,000 MiB body',
    path: '/api/v1/enroll',
    auth: false,
    headers: { ...json, 'content-length': 1000 * MiB },
    body: () => repeat(mib, 1000),
    answer: '413 body_too_large',
  });
  add({
    name: 'enroll with a chunked 64 MiB body',
    path: '/api/v1/enroll',
    auth: false,
    headers: { ...json, 'transfer-encoding': 'chunked' },
    body: () => repeat(mib, 64),
    answer: '413 body_too_large',
  });
  add({
    name: 'ingest with a chunked 64 MiB body',
    path: '/api/v1/ingest',
    headers: { ...json, 'transfer-encoding': 'chunked' },
    body: () => repeat(mib, 64),
    answer: '413 body_too_large',
  });
  add({
    name: 'anonymous ingest with a declared 1,000 MiB body',
    path: '/api/v1/ingest',
    auth: false,
    headers: { ...json, 'content-length': 1000 * MiB },
    body: () => repeat(mib, 1000),
    answer: '401 unauthenticated',
  });
  add({
    name: 'gzip of 64 MiB of spaces',
    path: '/api/v1/ingest',
    headers: gz,
    body: once(gzipSync(Buffer.alloc(64 * MiB, 0x20), { level: 9 })),
    answer: '413 body_too_large',
  });
  add({
    name: 'gzip of an 8 MB string (inflates within the bound, refused by the scan)',
    path: '/api/v1/ingest',
    headers: gz,
    body: once(gzipSync(batch(point(`"error":"${'x'.repeat(8 * MiB)}"`)), { level: 9 })),
    answer: '413 json_string_too_long',
  });
  add({
    name: 'enroll gzip inflating past 4 KiB',
    path: '/api/v1/enroll',
    auth: false,
    headers: gz,
    body: once(gzipSync(`{"token":"${'a'.repeat(64 * 1024)}"}`)),
    answer: '413 body_too_large',
  });

  // Shape: depth, width, count.
  add({
    name: 'gzip of 16 MB of [',
    path: '/api/v1/ingest',
    headers: gz,
    body: once(gzipSync(Buffer.alloc(16 * MiB, 0x5b), { level: 9 })),
    answer: '400 json_too_deep',
  });
  add({
    name: '1 MB of {"a":',
    path: '/api/v1/ingest',
    headers: json,
    body: once(enc('{"a":'.repeat(200_000))),
    answer: '400 json_too_deep',
  });
  add({
    name: 'anonymous enroll nested 3 deep',
    path: '/api/v1/enroll',
    auth: false,
    headers: json,
    body: once(enc('{"token":{"a":{"b":1}}}')),
    answer: '400 json_too_deep',
  });
  add({
    name: 'gzip object of 300,000 keys',
    path: '/api/v1/ingest',
    headers: gz,
    body: once(gzipSync(`{${Array.from({ length: 300_000 }, (_, i) => `"k${i}":0`).join(',')}}`)),
    answer: '413 json_too_many_members',
  });
  add({
    name: 'gzip points list of 4 million zeros',
    path: '/api/v1/ingest',
    headers: gz,
    body: once(gzipSync(`{"batch_id":"z","points":[${'0,'.repeat(4 * MiB)}0]}`, { level: 9 })),
    answer: '413 json_too_many_members',
  });
  add({
    name: '5,001 valid points',
    path: '/api/v1/ingest',
    headers: json,
    body: once(enc(batch(Array.from({ length: 5001 }, () => point()).join(',')))),
    answer: '413 too_many_points',
  });
  add({
    name: 'gzip of 5,000 points of 60 unknown fields each (the costliest shape within the bounds)',
    path: '/api/v1/ingest',
    headers: gz,
    body: once(
      gzipSync(
        batch(
          Array.from({ length: 5000 }, (_, p) =>
            point(Array.from({ length: 60 }, (_, f) => `"f${f}":${p}.5`).join(',')),
          ).join(','),
        ),
      ),
    ),
    answer: '400 invalid_batch',
  });
  add({
    name: 'error echo: 400 keys of 2,000 characters, gzip',
    path: '/api/v1/ingest',
    headers: gz,
    body: once(
      gzipSync(
        batch(point(), `,${Array.from({ length: 400 }, (_, i) => `"${i}${'k'.repeat(2000)}":1`).join(',')}`),
      ),
    ),
    answer: '400 invalid_batch',
  });
  add({
    name: 'a 200 KB string field',
    path: '/api/v1/ingest',
    headers: json,
    body: once(enc(batch(point(`"error":"${'y'.repeat(200_000)}"`)))),
    answer: '413 json_string_too_long',
  });

  // Encoding.
  add({
    name: 'gzip header then garbage',
    path: '/api/v1/ingest',
    headers: gz,
    body: once(Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), Buffer.alloc(512, 0xa5)])),
    answer: '400 bad_encoding',
  });
  add({
    name: 'truncated gzip',
    path: '/api/v1/ingest',
    headers: gz,
    body: once(gzipSync(batch(point())).subarray(0, 30)),
    answer: '400 bad_encoding',
  });
  add({
    name: 'plain JSON declared as gzip',
    path: '/api/v1/ingest',
    headers: gz,
    body: once(enc(batch(point()))),
    answer: '400 bad_encoding',
  });
  // A valid batch with `bytes` in place of a string field's value.
  const withBytes = (bytes: number[]) => {
    const [head, tail] = batch(point('"error":"@@"')).split('@@') as [string, string];
    return once(Buffer.concat([enc(head), Buffer.from(bytes), enc(tail)]));
  };
  add({
    name: 'invalid UTF-8',
    path: '/api/v1/ingest',
    headers: json,
    body: withBytes([0xff, 0xfe]),
    answer: '400 invalid_utf8',
  });
  add({
    name: 'overlong UTF-8 for "/"',
    path: '/api/v1/ingest',
    headers: json,
    body: withBytes([0xc0, 0xaf]),
    answer: '400 invalid_utf8',
  });
  add({
    name: 'UTF-8-encoded surrogate (CESU)',
    path: '/api/v1/ingest',
    headers: json,
    body: withBytes([0xed, 0xa0, 0x80]),
    answer: '400 invalid_utf8',
  });
  add({
    name: 'lone surrogate in a string field',
    path: '/api/v1/ingest',
    headers: json,
    // collector_run.error is a declared string field, so only the surrogate is wrong.
    body: once(
      enc(
        batch(
          `{"measurement":"collector_run","tags":{"hostname":"hostile","collector":"c"},"fields":{"error":"\\ud800"},"time":${time}}`,
        ),
      ),
    ),
    answer: '400 invalid_batch',
    message: /points\[0\]\.fields\.error: must be well-formed Unicode \(lone surrogate\)/,
  });
  add({
    name: 'lone surrogate in a tag',
    path: '/api/v1/ingest',
    headers: json,
    body: once(enc(batch(point('"uptime_s":1', '"hostname":"\\udfff"')))),
    answer: '400 invalid_batch',
    message: /points\[0\]\.tags\.hostname: must be well-formed Unicode \(lone surrogate\)/,
  });
  add({
    name: 'content-type text/plain',
    path: '/api/v1/ingest',
    headers: { 'content-type': 'text/plain' },
    body: once(enc(batch(point()))),
    answer: '415 unsupported_media_type',
  });
  add({
    name: 'no content-type',
    path: '/api/v1/ingest',
    headers: {},
    body: once(enc(batch(point()))),
    answer: '415 unsupported_media_type',
  });
  add({
    name: 'content-encoding br',
    path: '/api/v1/ingest',
    headers: { ...json, 'content-encoding': 'br' },
    body: once(enc(batch(point()))),
    answer: '415 unsupported_encoding',
  });
  add({
    name: 'enroll as form data',
    path: '/api/v1/enroll',
    auth: false,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: once(enc('token=x&hostname=y')),
    answer: '415 unsupported_media_type',
  });

  // Values.
  for (const [name, fields, answer] of [
    ['NaN', '"uptime_s":NaN', '400 malformed_json'],
    ['Infinity', '"uptime_s":Infinity', '400 malformed_json'],
    ['-Infinity', '"cpu_load_percent":-Infinity', '400 malformed_json'],
    ['1e999', '"cpu_load_percent":1e999', '400 invalid_batch'],
    ['2^64 as an integer', '"uptime_s":18446744073709551616', '400 invalid_batch'],
    ['an object as a value', '"uptime_s":{"$gt":0}', '400 invalid_batch'],
    ['null', '"uptime_s":null', '400 invalid_batch'],
  ] as const) {
    add({
      name: `field ${name}`,
      path: '/api/v1/ingest',
      headers: json,
      body: once(enc(batch(point(fields)))),
      answer,
    });
  }
  for (const body of ['null', '[]', '"batch"', '12', '', '{}', '{"batch_id":"x","points":{}}']) {
    const answer = body === '' ? '400 empty_body' : '400 invalid_batch';
    add({
      name: `body ${body || '(empty)'}`,
      path: '/api/v1/ingest',
      headers: json,
      body: once(enc(body)),
      answer,
    });
  }

  // Keys.
  add({
    name: '__proto__ at the top',
    path: '/api/v1/ingest',
    headers: json,
    body: once(enc(batch(point(), ',"__proto__":{"polluted":true}'))),
    answer: '400 invalid_batch',
  });
  add({
    name: '__proto__ and constructor as tags and fields',
    path: '/api/v1/ingest',
    headers: json,
    body: once(enc(batch(point('"constructor":1,"__proto__":{"x":1}', '"__proto__":"x","constructor":"y"')))),
    answer: '400 invalid_batch',
  });
  add({
    name: 'a stamped tag with a duplicated key (last wins, still refused)',
    path: '/api/v1/ingest',
    headers: json,
    body: once(enc(batch(point('"uptime_s":1', '"hostname":"hostile","hostname":"x","site_id":"forged"')))),
    answer: '400 invalid_batch',
  });
  add({
    name: 'a duplicated field key whose last value is the wrong type',
    path: '/api/v1/ingest',
    headers: json,
    body: once(enc(batch(point('"uptime_s":1,"uptime_s":"one"')))),
    answer: '400 invalid_batch',
  });
  add({
    name: 'enroll with __proto__',
    path: '/api/v1/enroll',
    auth: false,
    headers: json,
    body: once(
      enc(
        '{"__proto__":{"admin":true},"token":"0123456789abcdef0123","hostname":"h","machine_id":"12345678"}',
      ),
    ),
    answer: '400 invalid_enrollment',
  });
  add({
    name: 'enroll with an unknown token',
    path: '/api/v1/enroll',
    auth: false,
    headers: json,
    body: once(enc('{"token":"0123456789abcdef0123","hostname":"h","machine_id":"12345678"}')),
    answer: '401 invalid_enrollment_token',
  });

  // Forgery with a real agency PC's credential: what auditors read must not change.
  const forged = (measurement: string, tags: string, fields: string, at = time) =>
    once(enc(batch(`{"measurement":"${measurement}","tags":{${tags}},"fields":{${fields}},"time":${at}}`)));
  add({
    name: 'ping of a registry endpoint from an agency PC',
    path: '/api/v1/ingest',
    headers: json,
    body: forged(
      'ping',
      '"source":"poller-1","target_id":"core","level":"province"',
      '"up":false,"loss_percent":100',
    ),
    answer: '403 forbidden_measurement',
    message: /role "agent" may not write "ping" \(only poller credentials\)/,
  });
  add({
    name: 'a UPS on battery from an agency PC',
    path: '/api/v1/ingest',
    headers: json,
    body: forged('ups', '"device":"ups-a"', '"on_battery":true'),
    answer: '403 forbidden_measurement',
  });
  add({
    name: 'server_health from an agency PC',
    path: '/api/v1/ingest',
    headers: json,
    body: forged('server_health', '"instance":"dc1"', '"spool_bytes":0'),
    answer: '403 forbidden_measurement',
    message: /only the server itself/,
  });
  add({
    name: 'a point from 2001 (history rewrite, one shard a week)',
    path: '/api/v1/ingest',
    headers: json,
    body: once(
      enc(
        batch(point('"uptime_s":1', '"hostname":"hostile"').replace(`"time":${time}`, '"time":978307200000')),
      ),
    ),
    answer: '400 invalid_batch',
    message: /is older than the accepted/,
  });
  add({
    name: 'a point a day in the future',
    path: '/api/v1/ingest',
    headers: json,
    body: once(enc(batch(point().replace(`"time":${time}`, `"time":${time + 86_400_000}`)))),
    answer: '400 invalid_batch',
    message: /is in the future/,
  });

  // Routes that take no body.
  add({
    name: 'GET /healthz with a body',
    method: 'GET',
    path: '/healthz',
    auth: false,
    headers: { 'content-length': 4 },
    body: once(enc('abcd')),
    answer: '413 body_not_allowed',
  });
  add({
    name: 'GET /metrics with a chunked body',
    method: 'GET',
    path: '/metrics',
    auth: false,
    headers: { 'transfer-encoding': 'chunked' },
    body: () => repeat(mib, 8),
    answer: '413 body_not_allowed',
  });
  return cases;
}
