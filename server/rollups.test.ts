import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Endpoint } from '../lib/endpoints/types.js';
import { startInfluxd, storageOn } from '../test/harness/influxd.js';
import { seededRandom as random } from '../test/harness/random.js';
import { agentCredential, startTestServer, testServerConfig } from '../test/harness/server.js';
import { computeAvailability } from './availability.js';
import { createRollups, floorHour } from './rollups.js';
import { aroundQueries, type Storage } from './storage/index.js';

/**
 * Roll-ups against a real InfluxDB: availability and outages from roll-ups equal those from raw points
 * for windows of every shape, and a write into an hour after its roll-up (through the server, which
 * marks the hour) makes the hour read raw until it is rolled up again.
 */

const MIN = 60_000;
const HOUR = 3_600_000;
const silentLog = { info() {}, debug() {}, warn() {}, error() {} } as never;

let influxd: Awaited<ReturnType<typeof startInfluxd>>;
let storage: Storage;

beforeAll(async () => {
  influxd = await startInfluxd();
  storage = await storageOn(influxd);
}, 60_000);

afterAll(async () => {
  await influxd?.dispose();
});

const str = (v: string) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;

const writeLines = (lines: string[]) => influxd.writeLines(lines);

describe('roll-ups with outage runs', () => {
  it('give the raw availability and outages for windows starting and ending anywhere', async () => {
    // 12 endpoints over 30 hours: outages of 1–90 cycles, some across hour edges, gaps without
    // points, parent-caused ones, a 30 s endpoint, two pollers' points at the same time, points
    // exactly on the hour.
    const now = floorHour(Date.now() - 2 * 86_400_000) + 17 * MIN + 20_000;
    const start = floorHour(now) - 30 * HOUR;
    const r = random(42);
    const endpoints: Endpoint[] = [];
    const lines: string[] = [];
    for (let e = 0; e < 12; e++) {
      const id = `e${e}`;
      endpoints.push({ id, name: `Điểm ${e}`, level: 'commune', address: `127.2.0.${e + 1}` });
      const interval = e === 3 ? 30_000 : 60_000;
      let down = 0;
      let silent = 0;
      for (let t = start + (e === 5 ? 0 : e * 1_000); t < now; t += interval) {
        if (silent > 0) {
          silent--;
          continue;
        }
        if (down === 0 && r() < 0.02) down = 1 + Math.floor(r() * 90);
        if (r() < 0.003) silent = 10 + Math.floor(r() * 120);
        const isDown = down > 0;
        if (down > 0) down--;
        const parent = isDown && e % 4 === 1;
        const fields = `up=${!isDown},cause=${str(isDown ? (parent ? 'parent_down' : 'down') : '')},parent_id=${str(parent ? 'e0' : '')},interval_s=${interval / 1000},sent=3i,received=${isDown ? 0 : 3}i`;
        lines.push(`ping,source=poller-1,target_id=${id} ${fields} ${t}`);
        if (e === 7 && r() < 0.2) lines.push(`ping,source=poller-2,target_id=${id} ${fields} ${t}`);
      }
    }
    await writeLines(lines);
    const rollups = createRollups({
      storage,
      write: (p) => storage.write(p),
      log: silentLog,
      maxPointAgeMs: 7 * 86_400_000,
    });
    await rollups.rollUp(start, now, { now });

    let rolledReads = 0;
    const counting = aroundQueries(storage, (statements, run) => {
      if (statements.some((q) => q.includes('"down_runs"'))) rolledReads++;
      return run();
    });
    const windows: [number, number][] = [[start, now]];
    for (let i = 0; i < 12; i++) {
      const a = start + Math.floor(r() * 20 * HOUR);
      windows.push([a, a + Math.floor(r() * 10 * HOUR) + MIN]);
    }
    windows.push([start + 3 * HOUR, start + 9 * HOUR], [start + 3 * HOUR - 1, start + 9 * HOUR + 1]);
    let outages = 0;
    for (const [a, b] of windows) {
      const raw = await computeAvailability(storage, endpoints, a, b, { nowMs: now });
      const rolled = await computeAvailability(counting, endpoints, a, b, { nowMs: now, rollups: true });
      expect(rolled, `${new Date(a).toISOString()} – ${new Date(b).toISOString()}`).toEqual(raw);
      outages += raw.outagesTotal;
    }
    expect(outages).toBeGreaterThan(100);
    expect(rolledReads).toBeGreaterThan(5);
  }, 180_000);
});

describe('catching up at start', () => {
  it('rolls up again the hours a server without outage runs rolled up (no format 2 on the mark)', async () => {
    const db = 'upgraded';
    const old = await storageOn(influxd, db);
    const first = floorHour(Date.now() - 86_400_000);
    const lines: string[] = [];
    for (let t = first; t < first + 3 * HOUR; t += MIN) {
      const up = !(t >= first + 70 * MIN && t < first + 80 * MIN);
      lines.push(
        `ping,source=poller-1,target_id=a up=${up},cause=${str(up ? '' : 'down')},parent_id="",interval_s=60 ${t}`,
      );
    }
    // What the earlier roll-ups wrote: counts and rolled_at_ms, no down_runs, no format.
    for (let h = first; h < first + 3 * HOUR; h += HOUR) {
      lines.push(`ping_hourly cycles=60i,up_cycles=60i,rolled_at_ms=${h + 2 * HOUR}i ${h}`);
      lines.push(`ping_hourly,target_id=a cycles=60i,up_cycles=60i,rolled_at_ms=${h + 2 * HOUR}i ${h}`);
    }
    await influxd.writeLines(lines, db);
    const endpoints: Endpoint[] = [{ id: 'a', name: 'a', level: 'commune', address: '127.0.0.1' }];
    const now = first + 3 * HOUR + 5 * MIN;
    const window: [number, number] = [first, first + 3 * HOUR];
    const raw = await computeAvailability(old, endpoints, ...window, { nowMs: now });
    // Not used as they are: their hours are read raw, so the figures are right even before.
    expect(await computeAvailability(old, endpoints, ...window, { nowMs: now, rollups: true })).toEqual(raw);
    const rollups = createRollups({
      storage: old,
      write: (p) => old.write(p),
      log: silentLog,
      maxPointAgeMs: 7 * 86_400_000,
    });
    expect(await rollups.catchUp(now)).toBe(3);
    const marks = await old.query(
      `SELECT "format" FROM "ping_hourly" WHERE "target_id" = '' AND time >= ${first}ms`,
    );
    expect(marks[0]?.values.map((v) => v[1])).toEqual([2, 2, 2]);
    let rolledReads = 0;
    const counting = aroundQueries(old, (statements, run) => {
      if (statements.some((q) => q.includes('"down_runs"'))) rolledReads++;
      return run();
    });
    expect(await computeAvailability(counting, endpoints, ...window, { nowMs: now, rollups: true })).toEqual(
      raw,
    );
    expect(rolledReads).toBe(1);
    expect(raw.endpoints[0]).toMatchObject({ down_cycles: 10, outages: 1, outage_seconds: 600 });
    // Nothing left to catch up.
    expect(await rollups.catchUp(now)).toBe(0);
  }, 60_000);
});

describe('an endpoint flapping every second', () => {
  it('keeps its hour counted from the roll-up but its outages read raw: too many runs to keep', async () => {
    const db = 'flapping';
    const flapping = await storageOn(influxd, db);
    const first = floorHour(Date.now() - 86_400_000);
    const lines: string[] = [];
    for (let t = first; t < first + 2 * HOUR; t += 1_000) {
      // Down every other second in the first hour: 1,800 outages of one cycle. Steady in the second.
      const up = t >= first + HOUR || (t / 1_000) % 2 === 0;
      lines.push(
        `ping,source=poller-1,target_id=f up=${up},cause=${str(up ? '' : 'down')},parent_id="",interval_s=1 ${t}`,
      );
    }
    await influxd.writeLines(lines, db);
    const rollups = createRollups({
      storage: flapping,
      write: (p) => flapping.write(p),
      log: silentLog,
      maxPointAgeMs: 7 * 86_400_000,
    });
    const now = first + 2 * HOUR + 5 * MIN;
    expect(await rollups.rollUp(first, first + 2 * HOUR, { now })).toBe(2);
    const marks = await flapping.query(
      `SELECT "format" FROM "ping_hourly" WHERE "target_id" = '' AND time >= ${first}ms`,
    );
    expect(marks[0]?.values.map((v) => v[1])).toEqual([1, 2]);
    const endpoints: Endpoint[] = [{ id: 'f', name: 'f', level: 'commune', address: '127.0.0.1' }];
    const window: [number, number] = [first, first + 2 * HOUR];
    const raw = await computeAvailability(flapping, endpoints, ...window, { nowMs: now, maxOutages: 5_000 });
    expect(raw.outagesTotal).toBe(1_800);
    const rolled = await computeAvailability(flapping, endpoints, ...window, {
      nowMs: now,
      maxOutages: 5_000,
      rollups: true,
    });
    expect(rolled).toEqual(raw);
  }, 120_000);
});

describe('a write into an hour after its roll-up', () => {
  it('is marked by the server, read raw until the hour is rolled up again, then read from the roll-up', async () => {
    const db = 'late';
    const server = await startTestServer(
      testServerConfig(influxd.url, {
        storage: { kind: 'influxdb-v1', url: influxd.url, database: db, timeout: '3s' },
      }),
    );
    try {
      const lateStorage = await storageOn(influxd, db);
      const poller = await agentCredential('poller-1-aaaaaa', 'so-tttt', 'poller');
      const ingest = async (batch: string, points: object[]) => {
        const res = await fetch(`${server.url}/api/v1/ingest`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${poller}` },
          body: JSON.stringify({ batch_id: batch, points }),
        });
        expect(res.status, await res.text()).toBe(202);
      };
      const point = (id: string, t: number, up: boolean) => ({
        measurement: 'ping',
        tags: { source: 'poller-1', target_id: id, level: 'commune' },
        fields: up
          ? { sent: 3, received: 3, loss_percent: 0, up: true, cause: '', parent_id: '', interval_s: 60 }
          : {
              sent: 3,
              received: 0,
              loss_percent: 100,
              up: false,
              cause: 'down',
              parent_id: '',
              interval_s: 60,
            },
        time: t,
      });
      // Three closed hours of two endpoints, sent now: late for every one of them.
      const first = floorHour(Date.now()) - 4 * HOUR;
      const points = [];
      for (let t = first; t < first + 3 * HOUR; t += MIN) {
        points.push(
          point('a', t, true),
          point('b', t, !(t >= first + HOUR + 50 * MIN && t < first + HOUR + 70 * MIN)),
        );
      }
      await ingest('history', points);
      const marks = async () =>
        (
          await lateStorage.query(
            `SELECT "late_ms", "rolled_at_ms" FROM "ping_hourly" WHERE "target_id" = '' AND time >= ${first}ms`,
          )
        )[0]?.values ?? [];
      expect((await marks()).map((v) => v[0])).toEqual([first, first + HOUR, first + 2 * HOUR]);

      const rollups = createRollups({
        storage: lateStorage,
        write: (p) => lateStorage.write(p),
        log: silentLog,
        maxPointAgeMs: 7 * 86_400_000,
        lateSlackMs: 0,
      });
      const endpoints: Endpoint[] = ['a', 'b'].map((id) => ({
        id,
        name: id,
        level: 'commune',
        address: '127.0.0.1',
      }));
      const window: [number, number] = [first - 10 * MIN, first + 3 * HOUR + 10 * MIN];
      const rawReads: string[] = [];
      const watched = aroundQueries(lateStorage, (statements, run) => {
        for (const q of statements)
          if (q.includes('FROM "ping"') && q.includes('count("up") AS cycles')) rawReads.push(q);
        return run();
      });
      const both = async () => {
        rawReads.length = 0;
        const nowMs = Date.now();
        const raw = await computeAvailability(lateStorage, endpoints, ...window, { nowMs });
        const rolled = await computeAvailability(watched, endpoints, ...window, {
          nowMs,
          rollups: { lateSlackMs: 0 },
        });
        expect(rolled).toEqual(raw);
        return raw;
      };
      // Marked but never rolled up: all raw. Rolled up after the write: whole hours from the roll-ups.
      await both();
      expect(rawReads).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await rollups.rollUp(first, first + 3 * HOUR);
      const before = await both();
      expect(rawReads.map((q) => /time >= (\d+)ms AND time < (\d+)ms/.exec(q)?.slice(1).map(Number))).toEqual(
        [
          [window[0], first],
          [first + 3 * HOUR, window[1]],
        ],
      );
      expect(before.endpoints.find((r) => r.key === 'b')).toMatchObject({
        down_cycles: 20,
        outages: 1,
        outage_seconds: 1200,
      });

      // A backlog reaches the last two hours: b was down 5 more minutes, a once. Their roll-ups are stale.
      await new Promise((resolve) => setTimeout(resolve, 5));
      const backlog = [point('a', first + 2 * HOUR + 5 * MIN, false)];
      for (let t = first + HOUR + 20 * MIN; t < first + HOUR + 25 * MIN; t += MIN)
        backlog.push(point('b', t, false));
      await ingest('backlog', backlog);
      const after = await both();
      expect(after.endpoints.find((r) => r.key === 'b')).toMatchObject({
        down_cycles: 25,
        outages: 2,
        outage_seconds: 1500,
      });
      expect(after.endpoints.find((r) => r.key === 'a')).toMatchObject({ down_cycles: 1, outages: 1 });
      // Only the first hour is read from its roll-up now.
      expect(rawReads.map((q) => /time >= (\d+)ms AND time < (\d+)ms/.exec(q)?.slice(1).map(Number))).toEqual(
        [
          [window[0], first],
          [first + HOUR, window[1]],
        ],
      );

      // The next pass rolls the marked hours up again, in one go: read from roll-ups once more, the same figures.
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(await rollups.late()).toBe(2);
      expect(await rollups.late()).toBe(0);
      expect(await both()).toEqual(after);
      expect(rawReads).toHaveLength(2);
    } finally {
      await server.dispose();
    }
  }, 120_000);
});
