import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../../../lib/config.js';
import { checkAgainstCatalogue, type Point } from '../../../protocol/index.js';
import type { CollectContext, CollectedPoint } from '../../collector.js';
import { agentConfigSchema } from '../../config.js';
import { addNamespace, createLab, type Lab, linkFromRoot } from '../ping/netns-fixture.js';
import { type DnsFixture, startDnsFixture } from './dns-fixture.js';
import { connectivityCollector } from './index.js';

let lab: Lab;
let dns: DnsFixture;
let sleeper = 0;
let gatewayAddress = '';
const dir = mkdtempSync(join(tmpdir(), 'ht-conn-'));

beforeAll(async () => {
  dns = await startDnsFixture({ 'portal.test': ['127.0.0.42'] });
  lab = createLab('conn');
  try {
    // The "PC" is a namespace whose default route points at the test's side of a veth pair.
    const ns = addNamespace(lab, 'pc');
    const link = linkFromRoot(lab, ns, 0);
    gatewayAddress = link.root;
    lab.exec(ns, ['ip', 'route', 'add', 'default', 'via', link.root]);
    sleeper = spawn('ip', ['netns', 'exec', ns, 'sleep', '60'], { stdio: 'ignore' }).pid ?? 0;
    const until = Date.now() + 5_000;
    while (Date.now() < until && readFileSync(`/proc/${sleeper}/comm`, 'utf8').trim() !== 'sleep') {
      await new Promise((r) => setTimeout(r, 20));
    }
  } catch (err) {
    lab.teardown();
    throw err;
  }
});

afterAll(async () => {
  if (sleeper) process.kill(sleeper);
  lab?.teardown();
  await dns?.close();
  rmSync(dir, { recursive: true, force: true });
});

function ctx(): CollectContext {
  return {
    signal: new AbortController().signal,
    log: pino({ level: 'silent' }),
    now: () => Date.now(),
    hostname: 'pc-ubnd-07',
    stateDir: dir,
    memory: new Map(),
  };
}
const asPoints = (points: CollectedPoint[]): Point[] =>
  points.map((p) => ({ ...p, time: p.time ?? Date.now() }));
const fast = { count: 3, period: '20ms', packet_interval: '1ms', packet_timeout: '300ms' };

describe('connectivity collector', () => {
  it('pings the detected gateway, the data center and targets, and checks DNS names', async () => {
    const cfg = connectivityCollector.config.parse({
      ...fast,
      route_file: `/proc/${sleeper}/net/route`,
      datacenter: '127.0.0.1',
      targets: [{ id: 'portal', address: '127.0.0.2' }],
      dns: { names: ['portal.test', 'missing.test'], servers: [dns.server], timeout: '1s' },
    });
    const points = await connectivityCollector.collect(cfg, ctx());
    expect(checkAgainstCatalogue(asPoints(points))).toEqual([]);

    expect(points.some((p) => p.measurement === 'ping')).toBe(false);
    const pings = points.filter((p) => p.measurement === 'connectivity');
    expect(pings.map((p) => [p.tags.target, p.fields.address, p.fields.up, p.fields.received])).toEqual([
      ['gateway', gatewayAddress, true, 3],
      ['datacenter', '127.0.0.1', true, 3],
      ['portal', '127.0.0.2', true, 3],
    ]);
    expect(pings[0]?.tags).toEqual({ hostname: 'pc-ubnd-07', target: 'gateway' });

    const names = points.filter((p) => p.measurement === 'connectivity_dns');
    expect(names.map((p) => [p.tags.name, p.fields.resolved, p.fields.addresses, p.fields.error])).toEqual([
      ['portal.test', true, '127.0.0.42', ''],
      ['missing.test', false, '', 'ENOTFOUND'],
    ]);
    expect(names[0]?.tags.hostname).toBe('pc-ubnd-07');
  });

  it('reports a missing default route as a down gateway point saying why', async () => {
    const routes = join(dir, 'route');
    writeFileSync(
      routes,
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n',
    );
    const cfg = connectivityCollector.config.parse({ ...fast, route_file: routes });
    const points = await connectivityCollector.collect(cfg, ctx());
    expect(checkAgainstCatalogue(asPoints(points))).toEqual([]);
    expect(points).toEqual([
      {
        measurement: 'connectivity',
        tags: { hostname: 'pc-ubnd-07', target: 'gateway' },
        fields: {
          sent: 0,
          received: 0,
          loss_percent: 100,
          up: false,
          address: '',
          error: `no IPv4 default route in ${routes}`,
        },
      },
    ]);
  });

  it('checks only DNS when the gateway is off and no address is configured', async () => {
    const cfg = connectivityCollector.config.parse({ gateway: 'off', dns: { names: ['localhost'] } });
    const points = await connectivityCollector.collect(cfg, ctx());
    expect(points.map((p) => [p.measurement, p.fields.resolved])).toEqual([['connectivity_dns', true]]);
  });
});

describe('connectivity collector config', () => {
  const collectorsOnly = z.strictObject({ collectors: agentConfigSchema.shape.collectors });

  it('accepts example.yaml as part of an agent.yaml', () => {
    const cfg = loadConfig(fileURLToPath(new URL('./example.yaml', import.meta.url)), collectorsOnly);
    expect(cfg.collectors[0]).toMatchObject({ type: 'connectivity', gateway: 'auto', count: 4 });
  });

  const problems = (yaml: string): string[] => {
    try {
      loadConfig('agent.yaml', collectorsOnly, { text: `collectors:\n${yaml.replace(/^/gm, '  ')}` });
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
  };
  const bad: [string, string, string][] = [
    [
      'a target named like a built-in probe',
      '- type: connectivity\n  targets: [{id: gateway, address: 127.0.0.1}]\n',
      'agent.yaml:3:20 collectors[0].targets[0].id: is reserved for the built-in probes',
    ],
    [
      'a target listed twice',
      '- type: connectivity\n  targets: [{id: a, address: 127.0.0.1}, {id: a, address: 127.0.0.2}]\n',
      'agent.yaml:3:49 collectors[0].targets[1].id: "a" is listed twice',
    ],
    [
      'a DNS server that is not an IP',
      '- type: connectivity\n  dns: {names: [x.test], servers: [dns.example]}\n',
      'agent.yaml:3:38 collectors[0].dns.servers[0]: must be an IP address, optionally with :port (e.g. 10.0.0.53 or 127.0.0.1:5353)',
    ],
    [
      'a gateway that is not an address',
      '- type: connectivity\n  gateway: "10.0.0.300"\n',
      'agent.yaml:3:14 collectors[0].gateway: "10.0.0.300" is not an IP address or hostname',
    ],
  ];
  for (const [what, yaml, message] of bad) {
    it(`refuses ${what}`, () => {
      expect(problems(yaml)).toContain(message);
    });
  }
});
