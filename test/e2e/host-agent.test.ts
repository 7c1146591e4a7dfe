import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHatang } from '../harness/hatang.js';
import { rows, startInfluxd } from '../harness/influxd.js';
import { siteTokens, startTestServer, testServerConfig } from '../harness/server.js';

let influxd: Awaited<ReturnType<typeof startInfluxd>>;
let server: Awaited<ReturnType<typeof startTestServer>>;
const dir = mkdtempSync(join(tmpdir(), 'hatang-host-agent-'));
const config = join(dir, 'agent.yaml');
const stateFile = join(dir, 'state', 'collectors', 'inventory', 'inventory.json');
const q = async (sql: string) => rows((await influxd.query(sql))[0]);
const once = () => runHatang(['agent', '--config', config, '--once'], { TOKEN: siteTokens['so-tttt'] });

beforeAll(async () => {
  influxd = await startInfluxd();
  server = await startTestServer(testServerConfig(influxd.url));
  writeFileSync(
    config,
    `agent: { state_dir: "${join(dir, 'state')}", hostname: pc-kt-07 }
server: { urls: ["${server.url}"], enrollment_token: "\${TOKEN}" }
collectors:
  # Other tests create and delete veth interfaces on this machine at the same time: leave NICs out
  # so their comings and goings are not this test's change events.
  - { type: inventory, exclude_interfaces: ["*"] }
  - { type: antivirus }
  - type: connectivity
    gateway: "off"
    datacenter: 127.0.0.1
    dns: { names: [localhost] }
    count: 3
    period: 100ms
`,
  );
});

afterAll(async () => {
  await server?.dispose();
  await influxd?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('the host agent on this machine, through the real server', () => {
  it('reports inventory, antivirus and connectivity', async () => {
    const { code, output } = await once();
    expect(code, output).toBe(0);
    const [inv] = await q(`SELECT * FROM inventory WHERE hostname = 'pc-kt-07'`);
    expect(inv).toMatchObject({ changed: false, os_platform: 'linux', site_id: 'so-tttt' });
    expect(Math.abs(Number(inv?.mem_total_bytes) - totalmem())).toBeLessThan(128 * 2 ** 20);
    expect(inv?.inventory_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(inv?.fqdn === hostname() || inv?.fqdn === 'unknown' || typeof inv?.fqdn === 'string').toBe(true);

    // ClamAV is installed here (setup.sh) but its daemon is not running and it has no signatures:
    // never "protected".
    const av = await q(`SELECT * FROM antivirus WHERE hostname = 'pc-kt-07'`);
    expect(av.length).toBeGreaterThan(0);
    const clam = av.find((r) => r.product === 'ClamAV');
    expect(clam).toBeDefined();
    expect(clam?.state).not.toBe('protected');
    expect(String(clam?.reason)).toMatch(/daemon_not_running|no_signatures|signatures/);

    // A PC's own probes are its connectivity, never the WAN endpoints' ping.
    expect(await q(`SELECT * FROM ping`)).toEqual([]);
    const [dc] = await q(`SELECT * FROM connectivity WHERE target = 'datacenter'`);
    expect(dc).toMatchObject({
      up: true,
      sent: 3,
      received: 3,
      loss_percent: 0,
      agent_id: expect.stringMatching(/^pc-kt-07-/),
    });
    const [dns] = await q(`SELECT * FROM connectivity_dns WHERE "name" = 'localhost'`);
    expect(dns).toMatchObject({ resolved: true });
    expect(await q(`SELECT * FROM inventory_change`)).toEqual([]);
  });

  it('sends no inventory and no change event when nothing changed', async () => {
    expect((await once()).code).toBe(0);
    expect(await q(`SELECT count(inventory_hash) FROM inventory`)).toEqual([
      expect.objectContaining({ count: 1 }),
    ]);
    expect(await q(`SELECT * FROM inventory_change`)).toEqual([]);
  });

  it('reports a memory module that went missing as one change event with before and after', async () => {
    // Make the stored "previous" inventory say this machine had twice the memory in two modules.
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    const mem = state.inventory.memory;
    mem.total_bytes *= 2;
    mem.modules = [
      { slot: 'DIMM A1', size_bytes: mem.total_bytes / 2, type: 'DDR4', serial: 'SN-A1' },
      { slot: 'DIMM B1', size_bytes: mem.total_bytes / 2, type: 'DDR4', serial: 'SN-B1' },
    ];
    writeFileSync(stateFile, JSON.stringify(state));
    const { code, output } = await once();
    expect(code, output).toBe(0);
    const changes = await q(`SELECT * FROM inventory_change WHERE hostname = 'pc-kt-07'`);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ component: 'memory', site_id: 'so-tttt' });
    expect(String(changes[0]?.summary)).toMatch(/^memory .*GiB → .*GiB/);
    expect(String(changes[0]?.before)).toContain('SN-A1');
    expect(String(changes[0]?.after)).not.toContain('SN-A1');
    const latest = await q(`SELECT last(changed) FROM inventory WHERE hostname = 'pc-kt-07'`);
    expect(latest).toEqual([expect.objectContaining({ last: true })]);
  });
});
