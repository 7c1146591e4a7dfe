import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addNamespace, createLab, type Lab, linkFromRoot } from '../ping/netns-fixture.js';
import { linuxGateway, parseRouteTable } from './gateway.linux.js';

const header = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n';

describe('parseRouteTable', () => {
  it('finds the default gateway in the table as this machine printed it (lines space-padded)', () => {
    const pad = (line: string) => line.padEnd(127, ' ');
    const table = [
      pad('Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT'),
      pad('eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0'),
      pad('eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0'),
      '',
    ].join('\n');
    expect(parseRouteTable(table)).toEqual({ address: '192.0.2.1', iface: 'eth0' });
  });

  it('prefers the lowest metric among several default routes and skips routes that are down', () => {
    const table =
      header +
      'wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n' +
      'eth0\t00000000\t01000A0A\t0003\t0\t0\t100\t00000000\t0\t0\t0\n' +
      'eth1\t00000000\t0100000A\t0002\t0\t0\t1\t00000000\t0\t0\t0\n';
    expect(parseRouteTable(table)).toEqual({ address: '10.10.0.1', iface: 'eth0' });
  });

  it('finds nothing in a table without a default route, or in garbage', () => {
    expect(
      parseRouteTable(`${header}eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n`),
    ).toBeUndefined();
    expect(parseRouteTable('')).toBeUndefined();
    expect(parseRouteTable('not\na\nroute table')).toBeUndefined();
  });
});

describe('linuxGateway on a namespace the test creates', () => {
  let lab: Lab;
  let pid = 0;
  let gatewayAddress = '';

  beforeAll(async () => {
    lab = createLab('cgw');
    try {
      const ns = addNamespace(lab, 'pc');
      const link = linkFromRoot(lab, ns, 0);
      gatewayAddress = link.root;
      lab.exec(ns, ['ip', 'route', 'add', 'default', 'via', link.root]);
      // A process living in the namespace exposes its routing table as /proc/<pid>/net/route.
      const child = spawn('ip', ['netns', 'exec', ns, 'sleep', '30'], { stdio: 'ignore' });
      pid = child.pid ?? 0;
      const until = Date.now() + 5_000;
      // `ip netns exec` enters the namespace, then becomes `sleep`: wait for the exec.
      while (Date.now() < until && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'sleep') {
        await new Promise((r) => setTimeout(r, 20));
      }
    } catch (err) {
      lab.teardown();
      throw err;
    }
  });
  afterAll(() => {
    if (pid) process.kill(pid);
    lab?.teardown();
  });

  it("reads the namespace's default gateway from the kernel's table", async () => {
    expect(await linuxGateway(`/proc/${pid}/net/route`, new AbortController().signal)).toEqual({
      address: gatewayAddress,
    });
  });

  it('says why when the table cannot be read', async () => {
    expect(await linuxGateway('/nonexistent/route', new AbortController().signal)).toEqual({
      error: 'cannot read /nonexistent/route: ENOENT',
    });
  });
});
