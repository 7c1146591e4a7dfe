import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runHatang } from '../harness/hatang.js';
import { freeTcpPort } from '../harness/ports.js';

const dir = mkdtempSync(join(tmpdir(), 'hatang-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Points per measurement from the demo's printed summary. */
function summary(output: string): Record<string, number> {
  return Object.fromEntries(
    [...output.matchAll(/^ {2}([a-z_]+) +(\d+) points in the last hour$/gm)].map((m) => [
      m[1] as string,
      Number(m[2]),
    ]),
  );
}

describe("hatang demo --once (the README's first command, on free ports)", () => {
  it('runs InfluxDB, server, SNMP devices and an agent, and every measurement lands', async () => {
    const env = {
      HATANG_DEMO_DIR: dir,
      HATANG_DEMO_INFLUX_PORT: String(await freeTcpPort()),
      HATANG_DEMO_INFLUX_RPC_PORT: String(await freeTcpPort()),
      HATANG_DEMO_SERVER_PORT: String(await freeTcpPort()),
    };
    const { code, output } = await runHatang(['demo', '--once'], env, 120_000);
    expect(code, output).toBe(0);
    const counts = summary(output);
    // The 166 endpoints of config/endpoints.yaml; the agent's own probe is its connectivity.
    expect(counts.ping).toBe(166);
    expect(counts.connectivity).toBe(1);
    expect(counts.snmp_device).toBe(11); // snmpd and the 10 recorded devices
    expect(counts.snmp_interface).toBeGreaterThan(10);
    expect(counts.ups).toBe(3);
    expect(counts.pdu).toBeGreaterThanOrEqual(6); // the fullest field: current_a of 3 rows per PDU, two PDUs
    expect(counts.environment).toBeGreaterThanOrEqual(5);
    for (const m of [
      'host',
      'host_disk',
      'inventory',
      'antivirus',
      'connectivity_dns',
      'collector_run',
      'agent_health',
    ]) {
      expect(counts[m], m).toBeGreaterThan(0);
    }
    // The demo data center's readiness, from its simulated devices: ups-dc-b runs on battery, so the
    // pair no longer carries the load and electrical is below Rated-1.
    expect(output).toContain(
      'TIA-942 readiness demo-dc: overall below Rated-1, target Rated-3 (readiness self-assessment, not a certification)',
    );
    expect(output).toMatch(
      /^ {2}E1 failed @ Rated-1: declared N\+1, measured less than N: load [\d.]+ kW, 10 kW available \(ups-b on battery\)/m,
    );
    expect(output).toMatch(/^ {2}E5 failed @ Rated-1: ups-b on battery$/m);
  });
});
