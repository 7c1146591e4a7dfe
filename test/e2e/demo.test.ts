import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runHatang } from '../harness/hatang.js';
import { freeTcpPort, waitFor } from '../harness/ports.js';

const dir = mkdtempSync(join(tmpdir(), 'hatang-demo-'));
/** What `--keep` left running, stopped here whatever the test's outcome. */
const kept: number[] = [];
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
afterAll(async () => {
  for (const pid of kept) if (alive(pid)) process.kill(pid, 'SIGTERM');
  await waitFor('the kept InfluxDB and server stopped', () => !kept.some(alive), { timeoutMs: 20_000 });
  rmSync(dir, { recursive: true, force: true });
});

/** Points per measurement from the demo's printed summary. */
function summary(output: string): Record<string, number> {
  return Object.fromEntries(
    [...output.matchAll(/^ {2}([a-z_]+) +(\d+) points since the demo started$/gm)].map((m) => [
      m[1] as string,
      Number(m[2]),
    ]),
  );
}

async function demoPorts() {
  return {
    HATANG_DEMO_DIR: dir,
    HATANG_DEMO_INFLUX_PORT: String(await freeTcpPort()),
    HATANG_DEMO_INFLUX_RPC_PORT: String(await freeTcpPort()),
    HATANG_DEMO_SERVER_PORT: String(await freeTcpPort()),
  };
}

describe('hatang demo', () => {
  it('--help explains the options and every HATANG_DEMO_* variable', async () => {
    const { code, output } = await runHatang(['demo', '--help']);
    expect(code, output).toBe(0);
    for (const v of [
      '--once',
      '--keep',
      'HATANG_DEMO_DIR',
      'HATANG_DEMO_INFLUX_PORT',
      'HATANG_DEMO_INFLUX_RPC_PORT',
      'HATANG_DEMO_SERVER_PORT',
    ])
      expect(output).toContain(v);
  });

  it('stops before starting anything when a port is taken, naming the port and its process', async () => {
    const env = await demoPorts();
    const squatter: Server = createServer();
    await new Promise<void>((resolve) =>
      squatter.listen(Number(env.HATANG_DEMO_SERVER_PORT), '127.0.0.1', resolve),
    );
    try {
      const { code, output } = await runHatang(['demo', '--once'], {
        ...env,
        HATANG_DEMO_DIR: join(dir, 'taken'),
      });
      expect(code, output).toBe(1);
      expect(output).toContain(
        `port ${env.HATANG_DEMO_SERVER_PORT} (server, HATANG_DEMO_SERVER_PORT) is taken by pid ${process.pid}: `,
      );
      expect(output).not.toContain('influxdb   http');
      expect(output).not.toContain('server     http');
    } finally {
      squatter.close();
    }
  });

  it("--once --keep (the README's first command, on free ports): every measurement lands, then what to look at, with InfluxDB and the server left running", async () => {
    const env = await demoPorts();
    const { code, output } = await runHatang(['demo', '--once', '--keep'], env, 120_000);
    const stop = /^stop {7}kill (\d+) (\d+)$/m.exec(output);
    if (stop) kept.push(Number(stop[1]), Number(stop[2]));
    expect(code, output).toBe(0);
    // The SNMP devices are not kept: nothing listens on their UDP ports once the demo has left.
    const snmp = /snmpd on udp 127\.0\.0\.1:(\d+) .*snmpsimd on udp 127\.0\.0\.1:(\d+)/.exec(output);
    expect(snmp, output).not.toBeNull();
    for (const port of [Number(snmp?.[1]), Number(snmp?.[2])])
      expect(udpPortBound(port), `udp ${port}`).toBe(false);
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

    // The closing guidance, each line something to paste.
    const server = `http://127.0.0.1:${env.HATANG_DEMO_SERVER_PORT}`;
    expect(output).toContain('look next');
    expect(output).toMatch(/^ {2}agent {7}node \S+hatang\.js agent status --config \S+agent\.yaml$/m);
    expect(output).toMatch(/^ {2}dashboards {2}\S*dashboards\/build\/vi and \S*dashboards\/build\/en: /m);
    expect(output).toContain('dashboards/README.md');
    const issue =
      /TOKEN=\$\(node \S+ (token issue --role auditor --subject demo-auditor --config \S+)\)$/m.exec(output);
    expect(issue, output).not.toBeNull();
    expect(output).toContain(
      `curl -s -H "Authorization: Bearer $TOKEN" '${server}/api/v1/availability?group=level'`,
    );
    const influx = new RegExp(
      `^ {2}InfluxDB {4}influx -port ${env.HATANG_DEMO_INFLUX_PORT} -database hatang -execute 'SHOW MEASUREMENTS'$`,
      'm',
    );
    expect(output).toMatch(influx);

    // What it prints works: the server still answers, an auditor's token reads the API, influx reads the data.
    expect((await fetch(`${server}/healthz`)).status).toBe(200);
    const token = await runHatang((issue?.[1] ?? '').split(' '));
    expect(token.code, token.output).toBe(0);
    const answer = await fetch(`${server}/api/v1/availability?group=level`, {
      headers: { authorization: `Bearer ${token.stdout.trim()}` },
    });
    expect(answer.status).toBe(200);
    // The auditors' page it points to answers with its sign-in form.
    expect(output).toContain(`  auditors    ${server}/audit/ in a browser`);
    const page = await fetch(`${server}/audit/`, { redirect: 'follow' });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<form[^>]*>/);
    expect(
      execFileSync(
        'influx',
        ['-port', env.HATANG_DEMO_INFLUX_PORT, '-database', 'hatang', '-execute', 'SHOW MEASUREMENTS'],
        {
          encoding: 'utf8',
          timeout: 10_000,
        },
      ),
    ).toContain('ping');

    // Another demo on the same ports does not borrow this one's InfluxDB: it names it and stops.
    const second = await runHatang(['demo', '--once'], env, 60_000);
    expect(second.code, second.output).toBe(1);
    expect(second.output).toContain(
      `port ${env.HATANG_DEMO_INFLUX_PORT} (InfluxDB HTTP, HATANG_DEMO_INFLUX_PORT) is taken by pid ${stop?.[2]}: /usr/bin/influxd -config `,
    );
    expect(second.output).toContain(
      `port ${env.HATANG_DEMO_SERVER_PORT} (server, HATANG_DEMO_SERVER_PORT) is taken by pid ${stop?.[1]}: `,
    );
    expect(second.output).not.toContain('points since the demo started');
  });
});

/** Whether a UDP socket is bound to `port` on any address (/proc/net/udp, local_address column). */
function udpPortBound(port: number): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/udp', 'utf8')
    .split('\n')
    .slice(1)
    .some((line) => line.trim().split(/\s+/)[1]?.endsWith(hex) === true);
}
