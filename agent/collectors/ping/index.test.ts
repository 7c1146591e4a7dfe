import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../../../lib/config.js';
import { checkAgainstCatalogue, type Point } from '../../../protocol/index.js';
import type { CollectContext, CollectedPoint } from '../../collector.js';
import { agentConfigSchema } from '../../config.js';
import { pingCollector } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'ht-ping-index-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ctx(signal = new AbortController().signal): CollectContext {
  return {
    signal,
    log: pino({ level: 'silent' }),
    now: () => Date.now(),
    hostname: 'poller-1',
    stateDir: dir,
    memory: new Map(),
  };
}
const asPoints = (points: CollectedPoint[]): Point[] =>
  points.map((p) => ({ ...p, time: p.time ?? Date.now() }));

const loopback = (n: number, from = 1) =>
  Array.from({ length: n }, (_v, i) => ({
    id: `lo-${from + i}`,
    name: `Loopback ${from + i}`,
    level: 'commune' as const,
    district: 'Văn Lâm',
    address: `127.1.0.${from + i}`,
  }));
const fastKeys = { count: 3, period: '20ms', packet_interval: '1ms', packet_timeout: '300ms' };

describe('ping collector on loopback', () => {
  it('reports every 127.x target up with loss, latency and jitter, fitting the catalogue', async () => {
    const cfg = pingCollector.config.parse({ targets: loopback(3), ...fastKeys });
    const points = await pingCollector.collect(cfg, ctx());
    expect(points).toHaveLength(3);
    expect(checkAgainstCatalogue(asPoints(points))).toEqual([]);
    for (const p of points) {
      expect(p.measurement).toBe('ping');
      expect(p.fields).toMatchObject({
        sent: 3,
        received: 3,
        loss_percent: 0,
        up: true,
        cause: '',
        error: '',
      });
      expect(p.fields.rtt_avg_ms).toBeLessThan(50);
      expect(p.fields.jitter_ms).toBeGreaterThanOrEqual(0);
      // A three-tier target: its district also travels as former_district, the dashboards' grouping.
      expect(Object.keys(p.tags).sort()).toEqual([
        'district',
        'former_district',
        'level',
        'name',
        'source',
        'target_id',
      ]);
      // No interval in a bare collector config: the collector's default cycle, 60 s.
      expect(p.fields.interval_s).toBe(60);
    }
  });

  it('tags points of a two-tier registry with name, level and grouping tags, and stores the cycle interval', async () => {
    const file = join(dir, 'two-tier.yaml');
    writeFileSync(
      file,
      `levels: [province, commune]
sla_targets: { province: 99.9 }
endpoints:
  - id: core
    name: Trung tâm THDL
    level: province
    address: 127.1.0.20
    lat: 20.65
    lon: 106.05
    tags: { carrier: vnpt, role: core-router }
  - id: xa-xuan-quan
    name: UBND xã Xuân Quan
    level: commune
    parent: core
    address: 127.1.0.21
    tags: { former_district: Văn Giang, area: Bắc, carrier: viettel, circuit: HY-0403 }
`,
    );
    // As the agent hands it over: its own keys plus `interval` from the collectors entry.
    const cfg = { ...pingCollector.config.parse({ endpoints_file: file, ...fastKeys }), interval: 30_000 };
    const points = await pingCollector.collect(cfg, ctx());
    expect(checkAgainstCatalogue(asPoints(points))).toEqual([]);
    const [core, commune] = points;
    expect(core?.tags).toEqual({
      source: 'poller-1',
      target_id: 'core',
      name: 'Trung tâm THDL',
      level: 'province',
      carrier: 'vnpt',
    });
    expect(core?.fields).toMatchObject({ interval_s: 30, lat: 20.65, lon: 106.05, up: true });
    // The level's availability target travels too: the registry's for province, the default for commune.
    expect(core?.fields.sla_target_percent).toBe(99.9);
    expect(points[1]?.fields.sla_target_percent).toBe(99);
    expect(commune?.tags).toEqual({
      source: 'poller-1',
      target_id: 'xa-xuan-quan',
      name: 'UBND xã Xuân Quan',
      level: 'commune',
      former_district: 'Văn Giang',
      area: 'Bắc',
      carrier: 'viettel',
      circuit: 'HY-0403',
    });
    expect(commune?.fields.interval_s).toBe(30);
    expect(commune?.fields.lat).toBeUndefined();
  });

  it("joins inline targets to a two-tier registry file under the file's levels", async () => {
    const file = join(dir, 'two-tier-mixed.yaml');
    writeFileSync(
      file,
      'levels: [province, commune]\nendpoints:\n  - { id: core2, name: Lõi, level: province, address: 127.1.0.30 }\n',
    );
    const cfg = pingCollector.config.parse({
      endpoints_file: file,
      targets: [{ id: 'xa-c', name: 'UBND xã C', level: 'commune', parent: 'core2', address: '127.1.0.31' }],
      ...fastKeys,
    });
    const points = await pingCollector.collect(cfg, ctx());
    expect(points.map((p) => [p.tags.target_id, p.tags.level, p.fields.up])).toEqual([
      ['core2', 'province', true],
      ['xa-c', 'commune', true],
    ]);
  });

  it('gives the same answer through the system ping fallback', async () => {
    const cfg = pingCollector.config.parse({
      targets: loopback(2),
      ...fastKeys,
      period: '200ms',
      engine: 'system',
    });
    const points = await pingCollector.collect(cfg, ctx());
    expect(checkAgainstCatalogue(asPoints(points))).toEqual([]);
    expect(points.map((p) => [p.tags.target_id, p.fields.received, p.fields.up])).toEqual([
      ['lo-1', 3, true],
      ['lo-2', 3, true],
    ]);
  });

  it('reads targets from endpoints_file together with inline targets', async () => {
    const file = join(dir, 'endpoints.yaml');
    writeFileSync(
      file,
      `endpoints:
  - id: lo-10
    name: Mười
    level: district
    district: Mỹ Hào
    address: 127.1.0.10
`,
    );
    const cfg = pingCollector.config.parse({ endpoints_file: file, targets: loopback(1), ...fastKeys });
    const points = await pingCollector.collect(cfg, ctx());
    expect(points.map((p) => [p.tags.target_id, p.tags.district, p.fields.up])).toEqual([
      ['lo-10', 'Mỹ Hào', true],
      ['lo-1', 'Văn Lâm', true],
    ]);
  });

  it('fails naming the clash when an inline target reuses an id of endpoints_file', async () => {
    const file = join(dir, 'clash.yaml');
    writeFileSync(
      file,
      'endpoints:\n  - {id: lo-1, name: A, level: province, district: X, address: 127.1.0.99}\n',
    );
    const cfg = pingCollector.config.parse({ endpoints_file: file, targets: loopback(1), ...fastKeys });
    await expect(pingCollector.collect(cfg, ctx())).rejects.toThrow(
      `ping: inline targets clash with ${file}: targets[0].id "lo-1" is already used at endpoints[0]`,
    );
  });

  it('spreads chunks over the spread window instead of sending them at once', async () => {
    const cfg = pingCollector.config.parse({
      targets: loopback(6),
      ...fastKeys,
      count: 1,
      chunk_size: 2,
      spread: '300ms',
    });
    const started = performance.now();
    const points = await pingCollector.collect(cfg, ctx());
    // Three chunks start at 0, 100 and 200 ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
    expect(points.filter((p) => p.fields.up === true)).toHaveLength(6);
  });

  it('splits targets between shards with none lost or doubled', async () => {
    const targets = loopback(8);
    const seen: string[] = [];
    for (const shard of ['1/2', '2/2']) {
      const cfg = pingCollector.config.parse({ targets, ...fastKeys, count: 1, shard });
      seen.push(...(await pingCollector.collect(cfg, ctx())).map((p) => p.tags.target_id ?? ''));
    }
    expect(seen.sort()).toEqual(targets.map((t) => t.id).sort());
  });

  it('throws "ping: sweep of …" keeping the cause when the run is aborted', async () => {
    const cfg = pingCollector.config.parse({
      targets: loopback(1),
      ...fastKeys,
      count: 100,
      period: '200ms',
    });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('run timeout')), 100);
    const err = await pingCollector.collect(cfg, ctx(ac.signal)).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('ping: sweep of 1 targets with fping');
    expect(((err as Error).cause as Error).message).toBe('fping: aborted');
  });
});

describe('ping collector config', () => {
  const collectorsOnly = z.strictObject({ collectors: agentConfigSchema.shape.collectors });

  it('accepts example.yaml as part of an agent.yaml', () => {
    const example = fileURLToPath(new URL('./example.yaml', import.meta.url));
    const cfg = loadConfig(example, collectorsOnly);
    expect(cfg.collectors[0]).toMatchObject({ type: 'ping', interval: 60_000, count: 4, period: 1000 });
  });

  const problems = (yaml: string): string[] => {
    try {
      loadConfig('agent.yaml', collectorsOnly, { text: yaml });
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
  };
  const target = '{id: a, name: A, level: province, district: X, address: 127.0.0.1}';

  const bad: [string, string, string][] = [
    [
      'no targets at all',
      '- type: ping\n',
      'agent.yaml:2:5 collectors[0].targets: give endpoints_file, targets, or both',
    ],
    [
      'a shard that does not exist',
      `- type: ping\n  targets: [${target}]\n  shard: 5/4\n`,
      'agent.yaml:4:12 collectors[0].shard: "5/4" is not a shard: write k/n with 1 ≤ k ≤ n, e.g. 2/4',
    ],
    [
      'a period under 10 ms',
      `- type: ping\n  targets: [${target}]\n  period: 5ms\n`,
      'agent.yaml:4:13 collectors[0].period: must be at least 10ms',
    ],
    [
      'an unknown engine',
      `- type: ping\n  targets: [${target}]\n  engine: nmap\n`,
      'agent.yaml:4:13 collectors[0].engine: invalid option: expected one of "auto"|"fping"|"system"',
    ],
    [
      'an inline target whose parent is not listed',
      '- type: ping\n  targets:\n    - {id: a, name: A, level: district, district: X, address: 127.0.0.1, parent: zz}\n',
      'agent.yaml:4:84 collectors[0].targets[0].parent: "zz" is not the id of any endpoint',
    ],
  ];
  for (const [what, yaml, message] of bad) {
    it(`refuses ${what}`, () => {
      expect(problems(`collectors:\n${yaml.replace(/^/gm, '  ')}`)).toContain(message);
    });
  }
});
