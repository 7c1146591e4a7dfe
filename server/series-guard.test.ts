import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { Point } from '../protocol/index.js';
import { SeriesGuard, seriesKey } from './series-guard.js';

const dir = mkdtempSync(join(tmpdir(), 'hatang-series-'));
const file = join(dir, 'known-series.txt');
const log = pino({ level: 'silent' });
const options = { perSitePerHour: 100, perAgentPerHour: 10, log };
const HOUR = 3_600_000;

const host = (hostname: string, agent = 'pc-1', site = 's1'): Point => ({
  measurement: 'host',
  tags: { hostname, agent_id: agent, site_id: site },
  fields: { uptime_s: 1 },
  time: 0,
});
const hosts = (n: number, agent = 'pc-1', site = 's1') =>
  Array.from({ length: n }, (_, i) => host(`h-${agent}-${i}`, agent, site));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SeriesGuard', () => {
  it('admits new series up to the hourly allowance, then refuses with the time to wait', async () => {
    const guard = await SeriesGuard.open(file, options);
    const t = 1_700_000_000_000;
    expect(guard.admit(hosts(8), 's1', 'pc-1', t)).toBeUndefined();
    expect(guard.admit(hosts(12), 's1', 'pc-1', t)).toEqual({
      scope: 'agent',
      wanted: 4,
      limit: 10,
      retryAfterSeconds: 720,
    });
    // Known series are free; the allowance refills with time.
    expect(guard.admit(hosts(8), 's1', 'pc-1', t + 1)).toBeUndefined();
    expect(guard.admit(hosts(12), 's1', 'pc-1', t + 0.4 * HOUR)).toBeUndefined();
    expect(guard.refused).toBe(4);
    await guard.flushed();
  });

  it('bounds a site whose many agents each stay within their own allowance', async () => {
    const guard = await SeriesGuard.open(join(dir, 'site.txt'), options);
    for (let a = 0; a < 10; a++) expect(guard.admit(hosts(10, `a${a}`), 's2', `a${a}`, 0)).toBeUndefined();
    expect(guard.admit(hosts(1, 'a10'), 's2', 'a10', 0)?.scope).toBe('site');
    expect(guard.admit(hosts(1, 'b0', 's3'), 's3', 'b0', 0)).toBeUndefined();
  });

  it('remembers known series across a restart, so existing machines do not look new', async () => {
    const reopened = await SeriesGuard.open(file, options);
    expect(reopened.size).toBe(12);
    expect(reopened.admit(hosts(12), 's1', 'pc-1', 0)).toBeUndefined();
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(12);
  });

  it('keys a series by measurement and every tag, whatever order the tags came in', () => {
    const a = host('x');
    const b: Point = { ...a, tags: { site_id: 's1', agent_id: 'pc-1', hostname: 'x' } };
    expect(seriesKey(a)).toBe(seriesKey(b));
    expect(seriesKey(a)).not.toBe(seriesKey(host('x', 'pc-2')));
    expect(seriesKey(a)).not.toBe(seriesKey({ ...a, measurement: 'host_disk' }));
  });
});
