import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, startInfluxd } from '../test/harness/influxd.js';
import { agentCredential, startTestServer, testServerConfig } from '../test/harness/server.js';

let influxd: Awaited<ReturnType<typeof startInfluxd>>;
let server: Awaited<ReturnType<typeof startTestServer>>;
let credential: string;

beforeAll(async () => {
  influxd = await startInfluxd();
  server = await startTestServer(testServerConfig(influxd.url));
  credential = await agentCredential('pc-rt-000000', 'so-tttt');
});

afterAll(async () => {
  await server?.dispose();
  await influxd?.dispose();
});

async function ingest(raw: string) {
  const res = await fetch(`${server.url}/api/v1/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
    body: raw,
  });
  return { status: res.status, body: (await res.json()) as { code?: string; message?: string } };
}

/** Strings an agent legitimately sends (error texts, Vietnamese hostnames) that must come back unchanged. */
const tricky = [
  "x\\'y",
  "it's",
  'back\\slash',
  'two \\\\ backslashes',
  'ends with a backslash \\',
  'quote " and backslash-quote \\"',
  "\\'\\'\\'",
  'line one\nline two\n',
  'tab\tand crlf\r\n',
  'emoji 😀🇻🇳 and a zero-width joiner 👩‍💻',
  'Sở Thông tin và Truyền thông — UBND huyện Đắk Hà',
  'a,b=c d',
  '',
];
const trickyTags = [
  "x\\'y",
  "it's",
  'back\\slash',
  'a,b=c d',
  'Trường Sơn',
  'emoji 😀',
  'mid\\dle',
  'q"uote',
  'a\\,b',
  'a\\ b',
  'a\\=b',
  'a\\\\b',
];

describe('values round-trip exactly through the server into InfluxDB', () => {
  it('stores every tricky string field exactly as sent', async () => {
    const t0 = Date.now() - 60_000;
    const points = tricky.map((error, i) => ({
      measurement: 'collector_run',
      tags: { hostname: 'rt-fields', collector: `c${i}` },
      fields: { success: false, duration_ms: 1, points: i, error },
      time: t0 + i,
    }));
    expect((await ingest(JSON.stringify({ batch_id: 'rt-fields', points }))).status).toBe(202);
    const got = rows(
      (
        await influxd.query(
          `SELECT "points", "error" FROM collector_run WHERE hostname = 'rt-fields' ORDER BY time`,
        )
      )[0],
    );
    expect(got.map((r) => r.error)).toEqual(tricky);
  });

  it('stores every tricky tag value exactly as sent', async () => {
    const t0 = Date.now() - 50_000;
    const points = trickyTags.map((hostname, i) => ({
      measurement: 'collector_run',
      tags: { hostname, collector: 'rt-tags' },
      fields: { success: true, duration_ms: 1, points: i, error: '' },
      time: t0 + i,
    }));
    expect((await ingest(JSON.stringify({ batch_id: 'rt-tags', points }))).status).toBe(202);
    const got = rows(
      (
        await influxd.query(
          `SELECT "points", hostname FROM collector_run WHERE collector = 'rt-tags' ORDER BY time`,
        )
      )[0],
    );
    expect(got.map((r) => r.hostname)).toEqual(trickyTags);
  });

  it.each([
    ['a lone high surrogate in a string field', 'fields.error', '"error":"bad \\ud800 here"'],
    ['a lone low surrogate in a string field', 'fields.error', '"error":"\\udc00"'],
    ['reversed surrogates in a string field', 'fields.error', '"error":"\\udc00\\ud800"'],
  ])('refuses %s with a 400 naming the field', async (_what, path, fieldJson) => {
    const raw = `{"batch_id":"sur","points":[{"measurement":"collector_run","tags":{"hostname":"sur","collector":"c"},"fields":{"success":true,"duration_ms":1,"points":1,${fieldJson}},"time":${Date.now() - 1000}}]}`;
    const res = await ingest(raw);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain(`points[0].${path}: must be well-formed Unicode (lone surrogate)`);
  });

  it('refuses a lone surrogate in a tag value with a 400 naming the tag', async () => {
    const raw = `{"batch_id":"sur","points":[{"measurement":"collector_run","tags":{"hostname":"pc\\ud83d","collector":"c"},"fields":{"success":true},"time":${Date.now() - 1000}}]}`;
    const res = await ingest(raw);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain(
      'points[0].tags.hostname: must be well-formed Unicode (lone surrogate)',
    );
  });

  it('keeps a well-formed surrogate pair written as JSON escapes', async () => {
    const raw = `{"batch_id":"pair","points":[{"measurement":"collector_run","tags":{"hostname":"pair","collector":"c"},"fields":{"success":true,"error":"\\ud83d\\ude00"},"time":${Date.now() - 1000}}]}`;
    expect((await ingest(raw)).status).toBe(202);
    const got = rows((await influxd.query(`SELECT "error" FROM collector_run WHERE hostname = 'pair'`))[0]);
    expect(got.map((r) => r.error)).toEqual(['😀']);
  });
});
