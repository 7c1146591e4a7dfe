import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAgainstCatalogue, type Point } from '../../../protocol/index.js';
import type { CollectContext, CollectedPoint } from '../../collector.js';
import type { ProbeOptions } from './engine.js';
import { fpingEngine } from './fping.js';
import { pingCollector } from './index.js';
import {
  addNamespace,
  createLab,
  dropEchoRequests,
  type Lab,
  linkBehind,
  linkFromRoot,
  setLink,
} from './netns-fixture.js';
import { inShard } from './shard.js';
import { summarize } from './stats.js';
import { systemPingEngine } from './system-ping.js';
import { unixPingCommand } from './system-ping.unix.js';

const never = new AbortController().signal;
const fast: ProbeOptions = { count: 4, periodMs: 20, packetIntervalMs: 1, timeoutMs: 200 };

let lab: Lab;
let stateDir: string;
const ns = { dead: '', lossy: '', core: '', d1: '', d2: '' };
const addr = { dead: '', lossy: '', core: '', d1: '', d2: '' };

beforeAll(() => {
  lab = createLab('ping');
  stateDir = mkdtempSync(join(tmpdir(), 'ht-ping-'));
  try {
    ns.dead = addNamespace(lab, 'dead');
    addr.dead = linkFromRoot(lab, ns.dead, 0).inside;
    setLink(lab, ns.dead, 'eth0', 'down');

    ns.lossy = addNamespace(lab, 'lossy');
    addr.lossy = linkFromRoot(lab, ns.lossy, 1).inside;
    dropEchoRequests(lab, ns.lossy, 3);

    // A province point with two districts behind it, routed through it.
    ns.core = addNamespace(lab, 'core');
    addr.core = linkFromRoot(lab, ns.core, 2).inside;
    ns.d1 = addNamespace(lab, 'd1');
    addr.d1 = linkBehind(lab, ns.core, addr.core, ns.d1, 3).inside;
    ns.d2 = addNamespace(lab, 'd2');
    addr.d2 = linkBehind(lab, ns.core, addr.core, ns.d2, 4).inside;
  } catch (err) {
    lab.teardown();
    throw err;
  }
});

afterAll(() => {
  lab?.teardown();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

function ctx(signal = never): CollectContext {
  return {
    signal,
    log: pino({ level: 'silent' }),
    now: () => Date.now(),
    hostname: 'poller-1',
    stateDir,
    memory: new Map(),
  };
}

const asPoints = (points: CollectedPoint[]): Point[] =>
  points.map((p) => ({ ...p, time: p.time ?? Date.now() }));

describe('engines against a namespace whose link is down', () => {
  it('fping reports 100 % loss, up=false and no rtt fields', async () => {
    const r = (await fpingEngine('/usr/bin/fping').probe([addr.dead], fast, never)).get(addr.dead)!;
    expect(summarize(r.sent, r.rttsMs, { received: r.received })).toEqual({
      sent: 4,
      received: 0,
      loss_percent: 100,
      up: false,
    });
  });

  it('the system ping fallback reports 100 % loss and up=false', async () => {
    const engine = systemPingEngine(unixPingCommand, { concurrency: 2 });
    const r = (await engine.probe([addr.dead], { ...fast, count: 2, periodMs: 200 }, never)).get(addr.dead)!;
    expect(r).toMatchObject({ sent: 2, received: 0, rttsMs: [] });
    expect(summarize(r.sent, r.rttsMs, { received: r.received }).up).toBe(false);
  });
});

describe('engines against a namespace dropping 30 % of echo requests (nftables)', () => {
  it('fping measures loss within 15–45 % over 100 echoes', async () => {
    const r = (await fpingEngine('/usr/bin/fping').probe([addr.lossy], { ...fast, count: 100 }, never)).get(
      addr.lossy,
    )!;
    const stats = summarize(r.sent, r.rttsMs, { received: r.received });
    expect(stats.sent).toBe(100);
    expect(stats.loss_percent).toBeGreaterThanOrEqual(15);
    expect(stats.loss_percent).toBeLessThanOrEqual(45);
    expect(stats.up).toBe(true);
    expect(stats.jitter_ms).toBeGreaterThanOrEqual(0);
  });
});

describe('ping collector: outage attribution over namespaces', () => {
  const targets = () => [
    { id: 'core-p', name: 'Core', level: 'province', district: 'Trung tâm', address: addr.core },
    {
      id: 'district-1',
      name: 'D1',
      level: 'district',
      district: 'Văn Giang',
      parent: 'core-p',
      address: addr.d1,
    },
    {
      id: 'district-2',
      name: 'D2',
      level: 'district',
      district: 'Khoái Châu',
      parent: 'core-p',
      address: addr.d2,
    },
    { id: 'local-a', name: 'Loopback', level: 'province', district: 'Trung tâm', address: '127.0.0.1' },
  ];
  const config = (extra: Record<string, unknown> = {}) =>
    pingCollector.config.parse({
      targets: targets(),
      count: 3,
      period: '20ms',
      packet_interval: '1ms',
      packet_timeout: '200ms',
      ...extra,
    });
  const byId = (points: CollectedPoint[]) => new Map(points.map((p) => [p.tags.target_id, p.fields]));

  it('reports every target up with cause "" when all links are up', async () => {
    setLink(lab, ns.core, 'eth0', 'up');
    setLink(lab, ns.d2, 'eth0', 'up');
    const points = await pingCollector.collect(config(), ctx());
    expect(checkAgainstCatalogue(asPoints(points))).toEqual([]);
    const f = byId(points);
    for (const id of ['core-p', 'district-1', 'district-2', 'local-a']) {
      expect(f.get(id), id).toMatchObject({
        up: true,
        cause: '',
        parent_id: '',
        sent: 3,
        received: 3,
        loss_percent: 0,
      });
    }
    expect(points.find((p) => p.tags.target_id === 'district-1')?.tags).toEqual({
      source: 'poller-1',
      target_id: 'district-1',
      name: 'D1',
      level: 'district',
      district: 'Văn Giang',
      former_district: 'Văn Giang',
    });
  });

  it('reports cause=down for a down target whose parent is up', async () => {
    setLink(lab, ns.core, 'eth0', 'up');
    setLink(lab, ns.d2, 'eth0', 'down');
    const f = byId(await pingCollector.collect(config(), ctx()));
    expect(f.get('district-2')).toMatchObject({ up: false, loss_percent: 100, cause: 'down', parent_id: '' });
    expect(f.get('district-2')?.rtt_avg_ms).toBeUndefined();
    expect(f.get('district-1')).toMatchObject({ up: true, cause: '' });
  });

  it('reports the children of a down parent as cause=parent_down naming it', async () => {
    setLink(lab, ns.core, 'eth0', 'down');
    setLink(lab, ns.d2, 'eth0', 'up');
    const points = await pingCollector.collect(config(), ctx());
    expect(checkAgainstCatalogue(asPoints(points))).toEqual([]);
    const f = byId(points);
    expect(f.get('core-p')).toMatchObject({ up: false, cause: 'down', parent_id: '' });
    expect(f.get('district-1')).toMatchObject({ up: false, cause: 'parent_down', parent_id: 'core-p' });
    expect(f.get('district-2')).toMatchObject({ up: false, cause: 'parent_down', parent_id: 'core-p' });
    expect(f.get('local-a')).toMatchObject({ up: true, cause: '' });
  });

  it('reports every down target as cause=down when attribution is off', async () => {
    setLink(lab, ns.core, 'eth0', 'down');
    const f = byId(await pingCollector.collect(config({ outage_attribution: 'off' }), ctx()));
    expect(f.get('district-1')).toMatchObject({ up: false, cause: 'down', parent_id: '' });
  });

  it('attributes to a parent probed by another shard, without reporting that parent', async () => {
    setLink(lab, ns.core, 'eth0', 'down');
    let shard: string | undefined;
    for (let n = 2; n <= 8 && !shard; n++) {
      for (let k = 1; k <= n && !shard; k++) {
        const s = { index: k, count: n };
        if (inShard('district-1', s) && !inShard('core-p', s)) shard = `${k}/${n}`;
      }
    }
    expect(shard).toBeDefined();
    const points = await pingCollector.collect(config({ shard }), ctx());
    const f = byId(points);
    expect(f.has('core-p')).toBe(false);
    expect(f.get('district-1')).toMatchObject({ up: false, cause: 'parent_down', parent_id: 'core-p' });
  });
});
