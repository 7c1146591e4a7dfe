import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd } from '../test/harness/influxd.js';
import { personCredential, startTestServer, testServerConfig } from '../test/harness/server.js';

/**
 * Availability against a real InfluxDB holding points with known gaps and outages. Points are written
 * straight to InfluxDB's /write in line protocol (fast bulk writes; the ingest path has its own tests):
 * what is under test is what the API derives from stored points.
 */

const MIN = 60_000;
const DAY = 86_400_000;
let influxd: Awaited<ReturnType<typeof startInfluxd>>;
let server: Awaited<ReturnType<typeof startTestServer>>;
let auditor: string;
const dir = mkdtempSync(join(tmpdir(), 'hatang-availability-'));
const now = Date.now();
/** A window of one hour, two hours ago, on minute boundaries. */
const T0 = Math.floor((now - 3 * 3_600_000) / MIN) * MIN;
const T1 = T0 + 60 * MIN;

const registry = `levels: [province, commune]
endpoints:
  - { id: core, name: "Trung tâm THDL", level: province, address: 127.1.0.1, tags: { carrier: vnpt } }
  - { id: gap, name: "UBND xã Có Khoảng Trống", level: commune, parent: core, address: 127.1.1.1, tags: { former_district: Ân Thi, carrier: vnpt } }
  - { id: early, name: "UBND xã Sớm", level: commune, parent: core, address: 127.1.1.2, tags: { former_district: Ân Thi, carrier: viettel } }
  - { id: late, name: "UBND xã Muộn", level: commune, parent: core, address: 127.1.1.3, tags: { former_district: Kim Động, carrier: viettel } }
  - { id: blips, name: "UBND xã Chập Chờn", level: commune, parent: core, address: 127.1.1.4, tags: { former_district: Kim Động, carrier: vnpt } }
  - { id: recovered, name: "UBND xã Đã Lên", level: commune, parent: core, address: 127.1.1.5 }
  - { id: down-now, name: "UBND xã Đang Mất", level: commune, parent: core, address: 127.1.1.6 }
  - { id: sparse, name: "UBND xã Ít Số Liệu", level: commune, parent: core, address: 127.1.1.7 }
  - { id: old-points, name: "UBND xã Điểm Cũ", level: commune, parent: core, address: 127.1.1.8 }
  - { id: silent, name: "UBND xã Im Lặng", level: commune, parent: core, address: 127.1.1.9 }
  - { id: fast, name: "UBND xã Nhanh", level: commune, parent: core, address: 127.1.1.10 }
`;

const tagText = (v: string) => v.replace(/[ ,=\\]/g, (c) => `\\${c}`);

/** One ping point in line protocol; `interval_s` null leaves the field out (points from before it existed). */
function line(
  target: string,
  t: number,
  up: boolean,
  o: { cause?: string; parent?: string; interval?: number | null; source?: string } = {},
) {
  const tags = `source=${tagText(o.source ?? 'poller-1')},target_id=${tagText(target)}`;
  const cause = up ? '' : (o.cause ?? 'down');
  const interval = o.interval === undefined ? 60 : o.interval;
  const fields = [
    `up=${up}`,
    `loss_percent=${up ? 0 : 100}`,
    `sent=3i`,
    `received=${up ? 3 : 0}i`,
    `cause="${cause}"`,
    `parent_id="${o.parent ?? ''}"`,
    ...(interval === null ? [] : [`interval_s=${interval}`]),
  ].join(',');
  return `ping,${tags} ${fields} ${t}`;
}

const writeLines = (lines: string[]) => influxd.writeLines(lines);

async function api(path: string, token = auditor) {
  const res = await fetch(`${server.url}${path}`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(120_000),
  });
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers, inspected by the matchers below
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const iso = (t: number) => new Date(t).toISOString();
const at = (i: number) => T0 + i * MIN;
// biome-ignore lint/suspicious/noExplicitAny: rows of a JSON answer
const byKey = (rows: any[]) => Object.fromEntries(rows.map((r) => [r.key, r]));

beforeAll(async () => {
  writeFileSync(join(dir, 'endpoints.yaml'), registry);
  influxd = await startInfluxd();
  server = await startTestServer(
    testServerConfig(influxd.url, { endpoints_file: join(dir, 'endpoints.yaml') }),
  );
  auditor = await personCredential('auditor', 'thanh-tra');
  const lines: string[] = [];
  for (let i = -10; i < 70; i++) {
    lines.push(line('core', at(i), true));
    // Known gap: points for the first half hour only.
    if (i >= 0 && i < 30) lines.push(line('gap', at(i), true));
    // An outage crossing the window's start: down from T0 − 5 min, up again at T0 + 5 min.
    lines.push(line('early', at(i), i < -5 || i >= 5));
    // One crossing the window's end: down from T0 + 55 min to T0 + 64 min.
    lines.push(line('late', at(i), i < 55 || i >= 65));
    // Two one-minute outages, the case once reported as 71,741 s ending in the future.
    lines.push(line('blips', at(i), i !== 10 && i !== 30));
    // Points from before interval_s existed: counted at the collector's default interval, 60 s.
    if (i >= 0 && i < 60) lines.push(line('old-points', at(i), true, { interval: null }));
    // A poller sweeping every 30 s for the first half hour, then every 60 s.
    if (i >= 0 && i < 30) {
      lines.push(
        line('fast', at(i), true, { interval: 30 }),
        line('fast', at(i) + 30_000, true, { interval: 30 }),
      );
    } else lines.push(line('fast', at(i), true));
  }
  // Three minutes of data in a 30-day window.
  for (let i = 0; i < 3; i++) lines.push(line('sparse', at(i), true));
  // Near now: one endpoint down for three cycles then back up, one down at its latest cycle.
  const recent = Math.floor(now / MIN) * MIN - 10 * MIN;
  // The endpoint down now has its latest cycle seconds ago, as a running poller would.
  const latest = Date.now() - 5_000;
  for (let i = 0; i <= 9; i++) {
    lines.push(line('recovered', recent + i * MIN, !(i >= 4 && i <= 6)));
    lines.push(line('down-now', latest - (9 - i) * MIN, i < 8));
  }
  await writeLines(lines);
}, 120_000);

afterAll(async () => {
  await server?.dispose();
  await influxd?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('availability over a past window', () => {
  const window = `from=${iso(T0)}&to=${iso(T1)}`;

  it('reports expected cycles, recorded cycles and coverage beside availability; unmonitored time is unknown', async () => {
    const { status, body } = await api(`/api/v1/availability?${window}`);
    expect(status).toBe(200);
    const rows = byKey(body.rows);
    expect(rows.core).toMatchObject({
      name: 'Trung tâm THDL',
      level: 'province',
      carrier: 'vnpt',
      interval_s: 60,
      expected_cycles: 60,
      cycles: 60,
      coverage_percent: 100,
      unknown_seconds: 0,
      availability_percent: 100,
      outages: 0,
    });
    // Half the window has no point: availability of what was measured, coverage 50 %, 1,800 s unknown.
    expect(rows.gap).toMatchObject({
      expected_cycles: 60,
      cycles: 30,
      up_cycles: 30,
      monitored_seconds: 1800,
      unknown_seconds: 1800,
      coverage_percent: 50,
      availability_percent: 100,
      former_district: 'Ân Thi',
    });
    // Registered, never measured: nothing is up; the whole window is unknown.
    expect(rows.silent).toMatchObject({
      expected_cycles: 60,
      cycles: 0,
      coverage_percent: 0,
      unknown_seconds: 3600,
      availability_percent: null,
    });
    expect(rows['old-points']).toMatchObject({ cycles: 60, coverage_percent: 100, interval_s: 60 });
    // Each point stands for its own interval: 60 × 30 s + 30 × 60 s is the whole hour.
    expect(rows.fast).toMatchObject({
      cycles: 90,
      monitored_seconds: 3600,
      coverage_percent: 100,
      interval_s: 60,
    });
  });

  it('clips outages crossing the window edges and ends each at the first up point', async () => {
    const { body } = await api(`/api/v1/availability?${window}`);
    const rows = byKey(body.rows);
    const outagesOf = (id: string) => body.outages.filter((o: { target_id: string }) => o.target_id === id);
    expect(outagesOf('early')).toEqual([
      {
        target_id: 'early',
        name: 'UBND xã Sớm',
        level: 'commune',
        start: iso(T0),
        end: iso(at(5)),
        duration_s: 300,
        cause: 'down',
        parent_id: '',
        ended_by: 'up',
        starts_before_window: true,
        ends_after_window: false,
        ongoing: false,
      },
    ]);
    expect(outagesOf('late')).toEqual([
      expect.objectContaining({
        start: iso(at(55)),
        end: iso(T1),
        duration_s: 300,
        ended_by: 'after_window',
        starts_before_window: false,
        ends_after_window: true,
        ongoing: false,
      }),
    ]);
    expect(rows.early).toMatchObject({ cycles: 60, down_cycles: 5, outages: 1, outage_seconds: 300 });
    expect(rows.late).toMatchObject({ cycles: 60, down_cycles: 5, outages: 1, outage_seconds: 300 });
    expect(outagesOf('blips').map((o: { start: string; end: string; duration_s: number }) => o)).toEqual([
      expect.objectContaining({ start: iso(at(10)), end: iso(at(11)), duration_s: 60, ended_by: 'up' }),
      expect.objectContaining({ start: iso(at(30)), end: iso(at(31)), duration_s: 60, ended_by: 'up' }),
    ]);
    expect(rows.blips).toMatchObject({ outages: 2, outage_seconds: 120, availability_percent: 96.6667 });
  });

  it('rolls up by a grouping tag from the registry, shares recomputed from the sums', async () => {
    const { status, body } = await api(`/api/v1/availability?${window}&group=former_district`);
    expect(status).toBe(200);
    const rows = byKey(body.rows);
    expect(rows['Ân Thi']).toMatchObject({
      endpoints: 2,
      expected_cycles: 120,
      cycles: 90,
      up_cycles: 85,
      coverage_percent: 75,
      availability_percent: 94.4444,
      outages: 1,
    });
    expect(rows['(none)']).toMatchObject({ endpoints: 7 });
    const carriers = byKey((await api(`/api/v1/availability?${window}&group=carrier`)).body.rows);
    expect(carriers.viettel).toMatchObject({ endpoints: 2, cycles: 120, up_cycles: 110, outages: 2 });
  });
});

describe('a window ending in the future', () => {
  it('is clipped to now: expected cycles up to now, a recovered endpoint not ongoing, a down one ongoing', async () => {
    const from = Math.floor(now / MIN) * MIN - 10 * MIN;
    const { status, body } = await api(
      `/api/v1/availability?from=${iso(from)}&to=${iso(now + 12 * 3_600_000)}`,
    );
    expect(status).toBe(200);
    const to = Date.parse(body.to);
    expect(to).toBeGreaterThanOrEqual(now);
    expect(to).toBeLessThan(Date.now() + 1000);
    expect(body.requested_to).toBe(iso(now + 12 * 3_600_000));
    const rows = byKey(body.rows);
    const windowS = (to - from) / 1000;
    expect(rows.recovered.expected_cycles).toBe(Math.round(windowS / 60));
    expect(rows.recovered).toMatchObject({ cycles: 10, down_cycles: 3, outages: 1, outage_seconds: 180 });
    const recovered = body.outages.find((o: { target_id: string }) => o.target_id === 'recovered');
    expect(recovered).toMatchObject({ duration_s: 180, ended_by: 'up', ongoing: false });
    const downNow = body.outages.find((o: { target_id: string }) => o.target_id === 'down-now');
    expect(downNow).toMatchObject({ ended_by: 'ongoing', ongoing: true, ends_after_window: false });
    // Ends now, not at the requested end 12 h ahead.
    expect(Date.parse(downNow.end)).toBe(to);
    expect(Date.parse(downNow.end)).toBeLessThan(now + 60_000);
  });
});

describe('a 30-day window with three minutes of data', () => {
  it('is not reported as 100 % without saying it rests on 0.007 % coverage', async () => {
    const { body } = await api(
      `/api/v1/availability?from=${iso(T0 + 3 * MIN - 30 * DAY)}&to=${iso(T0 + 3 * MIN)}`,
    );
    const sparse = byKey(body.rows).sparse;
    expect(sparse).toMatchObject({
      expected_cycles: 43_200,
      cycles: 3,
      monitored_seconds: 180,
      unknown_seconds: 30 * 86_400 - 180,
      coverage_percent: 0.0069,
      availability_percent: 100,
    });
  });
});

describe('bad windows', () => {
  it.each([
    ['from', '1000-01-01T00:00:00Z'],
    ['from', '1677-01-01T00:00:00Z'],
    ['to', '2262-12-31T00:00:00Z'],
    ['to', '9999-12-31T23:59:59Z'],
  ])('answers 400 naming %s and the storable range for %s', async (param, value) => {
    const other = param === 'from' ? `to=${iso(T1)}` : `from=${iso(T0)}`;
    const { status, body } = await api(`/api/v1/availability?${param}=${value}&${other}`);
    expect(status).toBe(400);
    expect(body.message).toBe(
      `availability query: ${param}: must be between 1677-09-22T00:00:00.000Z and 2262-04-11T00:00:00.000Z (the time range InfluxDB stores)`,
    );
  });

  it('answers 400 for a window starting in the future and an unknown grouping', async () => {
    const future = await api(`/api/v1/availability?from=${iso(now + DAY)}&to=${iso(now + 2 * DAY)}`);
    expect(future).toMatchObject({
      status: 400,
      body: { message: 'availability query: from: is in the future: nothing is measured there yet' },
    });
    const group = await api(`/api/v1/availability?group=huyen`);
    expect(group.status).toBe(400);
    expect(group.body.message).toBe(
      'availability query: group: "huyen" is not a grouping: use endpoint, level, district, former_district, area, carrier, circuit',
    );
  });
});

describe('a window holding more than 150,000 down points', () => {
  /** 45 days ago, far from the other tests' windows. */
  const B0 = Math.floor((now - 45 * DAY) / MIN) * MIN;
  const bigTargets = 30;
  const downCycles = 5_200;

  beforeAll(async () => {
    const lines: string[] = [];
    for (let k = 0; k < bigTargets; k++) {
      const id = `big-${String(k).padStart(2, '0')}`;
      for (let i = 0; i < downCycles; i++) {
        lines.push(
          `${line(id, B0 + i * MIN, false)}`.replace('ping,', `ping,former_district=Khu\\ ${k % 3},`),
        );
      }
    }
    // Three pollers ping one target: pages of 5,000 points end between points of one time, which must
    // be neither lost nor read twice.
    for (let i = 0; i < 4_000; i++) {
      for (const source of ['poller-a', 'poller-b', 'poller-c']) {
        lines.push(line('triple', B0 + i * MIN, i < 1_600 || i >= 1_700, { source }));
      }
    }
    await writeLines(lines);
  }, 180_000);

  it('answers for every grouping, counting each outage once, with exact durations', async () => {
    const window = `from=${iso(B0)}&to=${iso(B0 + 6_000 * MIN)}`;
    const started = Date.now();
    const byEndpoint = await api(`/api/v1/availability?${window}`);
    const elapsed = Date.now() - started;
    expect(byEndpoint.status).toBe(200);
    const rows = byKey(byEndpoint.body.rows);
    expect(rows['big-07']).toMatchObject({
      former_district: 'Khu 1',
      cycles: downCycles,
      down_cycles: downCycles,
      expected_cycles: 6_000,
      availability_percent: 0,
      outages: 1,
      // Points stop after the last down cycle: the outage lasts to its end, the rest is unknown.
      outage_seconds: downCycles * 60,
    });
    expect(rows.triple).toMatchObject({
      cycles: 12_000,
      down_cycles: 300,
      outages: 1,
      outage_seconds: 6_000,
    });
    const triple = byEndpoint.body.outages.filter((o: { target_id: string }) => o.target_id === 'triple');
    expect(triple).toEqual([
      expect.objectContaining({ start: iso(B0 + 1_600 * MIN), end: iso(B0 + 1_700 * MIN), ended_by: 'up' }),
    ]);
    const big = byEndpoint.body.outages.find((o: { target_id: string }) => o.target_id === 'big-07');
    expect(big).toMatchObject({ ended_by: 'no_data', end: iso(B0 + downCycles * MIN), ongoing: false });
    expect(byEndpoint.body.outages_total).toBe(bigTargets + 1);
    // Logged so a slow machine shows in the test output, not as a figure in the docs.
    console.log(`availability over ${bigTargets * downCycles + 300} down points: ${elapsed} ms`);

    for (const group of ['former_district', 'level', 'district']) {
      const { status, body } = await api(`/api/v1/availability?${window}&group=${group}`);
      expect(status, group).toBe(200);
      const total = body.rows.reduce((n: number, r: { down_cycles: number }) => n + r.down_cycles, 0);
      expect(total, group).toBe(bigTargets * downCycles + 300);
    }
    const khu = byKey((await api(`/api/v1/availability?${window}&group=former_district`)).body.rows);
    expect(khu['Khu 0']).toMatchObject({ endpoints: 10, down_cycles: 52_000, outages: 10 });
  }, 300_000);
});
