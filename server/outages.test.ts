import { describe, expect, it } from 'vitest';
import { seededRandom as random } from '../test/harness/random.js';
import {
  type DownRun,
  decodeRuns,
  encodeRuns,
  foldDown,
  joinRun,
  outageOf,
  type PingRow,
} from './outages.js';
import { floorHour, lateHourMarks } from './rollups.js';

const HOUR = 3_600_000;
const MIN = 60_000;
const H0 = Date.UTC(2026, 10, 3, 5);

/** Down points over a few hours: runs of various lengths and gaps, some on hour edges, mixed intervals. */
function downPoints(seed: number): PingRow[] {
  const r = random(seed);
  const out: PingRow[] = [];
  let t = H0 + Math.floor(r() * 50) * MIN;
  while (t < H0 + 6 * HOUR) {
    const interval = r() < 0.2 ? 30_000 : 60_000;
    const n = 1 + Math.floor(r() * 30);
    for (let i = 0; i < n; i++) {
      out.push({
        t,
        up: false,
        cause: r() < 0.3 ? 'parent_down' : 'down',
        parent: r() < 0.3 ? `p${Math.floor(r() * 3)}` : '',
        intervalMs: interval,
      });
      // Now and then two pollers' points at the same time, and the gap of a missed cycle.
      if (r() > 0.05) t += r() < 0.1 ? Math.floor(interval * 1.4) : interval;
    }
    t += interval * (2 + Math.floor(r() * 40));
  }
  return out;
}

describe('outage runs', () => {
  it('cut by hour, encoded, decoded and joined, they are the runs of the points folded whole', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const points = downPoints(seed);
      const whole: DownRun[] = [];
      for (const p of points) foldDown(whole, p);
      const byHour = new Map<number, DownRun[]>();
      for (const p of points) {
        const h = floorHour(p.t);
        const runs = byHour.get(h) ?? [];
        byHour.set(h, runs);
        foldDown(runs, p);
      }
      const joined: DownRun[] = [];
      for (const [h, runs] of [...byHour].sort((a, b) => a[0] - b[0])) {
        for (const run of decodeRuns(h, encodeRuns(h, runs))) joinRun(joined, run);
      }
      expect(joined, `seed ${seed}`).toEqual(whole);
      expect(whole.length).toBeGreaterThan(1);
    }
  });

  it('keeps the point after each run and when it was looked up', () => {
    const run: DownRun = {
      start: H0 + 10 * MIN,
      lastDown: H0 + 59 * MIN,
      intervalMs: 60_000,
      causes: new Map([
        ['down', 40],
        ['parent_down', 10],
      ]),
      parent: 'xã "A"',
      next: { t: H0 + 60 * MIN + 20_000, up: true },
      nextSeenAt: H0 + 65 * MIN,
    };
    expect(decodeRuns(H0, encodeRuns(H0, [run]))).toEqual([run]);
    const none = { ...run, next: null };
    expect(decodeRuns(H0, encodeRuns(H0, [none]))).toEqual([none]);
  });

  it('refuses a malformed down_runs field, naming what is wrong', () => {
    expect(() => decodeRuns(H0, '{}')).toThrow(/not a list/);
    expect(() => decodeRuns(H0, '[[1,2,3]]')).toThrow(/run 0 is not 8 values/);
    expect(() => decodeRuns(H0, '[["a",2,60,"",{},null,null,null]]')).toThrow(/run 0: start is not a number/);
    expect(() => decodeRuns(H0, 'not json')).toThrow();
  });

  it('ends an outage at the point after it, or the end of its last cycle when points stop', () => {
    const run = (next: DownRun['next']): DownRun => ({
      start: H0,
      lastDown: H0 + 9 * MIN,
      intervalMs: 60_000,
      causes: new Map([['down', 10]]),
      parent: '',
      next,
    });
    const window = { fromMs: H0 - HOUR, toMs: H0 + 2 * HOUR, nowMs: H0 + 3 * HOUR };
    expect(outageOf('x', run({ t: H0 + 10 * MIN, up: true }), window)).toMatchObject({
      duration_s: 600,
      ended_by: 'up',
    });
    expect(outageOf('x', run(null), window)).toMatchObject({ duration_s: 600, ended_by: 'no_data' });
    expect(outageOf('x', run(null), { ...window, toMs: H0 + 10 * MIN, nowMs: H0 + 10 * MIN })).toMatchObject({
      ended_by: 'ongoing',
      ongoing: true,
    });
    expect(
      outageOf('x', run({ t: H0 + 10 * MIN, up: true }), { ...window, fromMs: H0 + 5 * MIN }),
    ).toMatchObject({
      duration_s: 300,
      starts_before_window: true,
    });
  });
});

describe('late marks', () => {
  const now = H0 + 2 * HOUR + 5 * MIN;
  const lines = (...xs: string[]) => Buffer.from(xs.join('\n'));

  it('mark every closed hour a ping line falls in, once, at the time of the write', () => {
    const marks = lateHourMarks(
      lines(
        `ping,target_id=a up=true,cause="",interval_s=60 ${H0 + 5 * MIN}`,
        `ping,target_id=b up=false,cause="x y",interval_s=60 ${H0 + 59 * MIN}`,
        `ping,target_id=a up=true,cause="",interval_s=60 ${H0 + HOUR + 1}`,
        `ping,target_id=a up=true,cause="",interval_s=60 ${H0 + 2 * HOUR}`,
        `ping_hourly,target_id=a cycles=60i ${H0 - HOUR}`,
        `host,hostname=ping uptime_s=5i ${H0 - 2 * HOUR}`,
      ),
      now,
    );
    expect(marks.points).toBe(2);
    expect(marks.lines).toBe(`ping_hourly late_ms=${now}i ${H0}\nping_hourly late_ms=${now}i ${H0 + HOUR}\n`);
  });

  it('mark nothing for a live write, and read a body with or without its last newline', () => {
    expect(lateHourMarks(lines(`ping,target_id=a up=true ${H0 + 2 * HOUR + MIN}`, ''), now)).toEqual({
      lines: '',
      points: 0,
    });
    expect(lateHourMarks(lines(`ping,target_id=a up=true ${H0 + MIN}`), now).points).toBe(1);
    expect(lateHourMarks(Buffer.alloc(0), now).points).toBe(0);
    // A line without a timestamp the scan can read is not guessed at.
    expect(
      lateHourMarks(lines('ping,target_id=a up=true 12x4', 'ping,target_id=a up=true'), now).points,
    ).toBe(0);
  });
});
