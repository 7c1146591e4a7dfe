import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHatang } from '../harness/hatang.js';
import { rows, startInfluxd } from '../harness/influxd.js';
import { siteTokens, startTestServer, testServerConfig } from '../harness/server.js';

let influxd: Awaited<ReturnType<typeof startInfluxd>>;
let server: Awaited<ReturnType<typeof startTestServer>>;
const dirs: string[] = [];

function agentYaml(opts: { token: string; hostname: string; urls?: string[] }) {
  const dir = mkdtempSync(join(tmpdir(), 'hatang-agent-'));
  dirs.push(dir);
  const file = join(dir, 'agent.yaml');
  writeFileSync(
    file,
    `agent: { state_dir: "${join(dir, 'state')}", hostname: "${opts.hostname}" }
server:
  urls: ${JSON.stringify(opts.urls ?? [server.url])}
  enrollment_token: \${TEST_TOKEN:-}
collectors:
  - type: host
`,
  );
  return { file, stateDir: join(dir, 'state'), env: { TEST_TOKEN: opts.token } };
}

beforeAll(async () => {
  influxd = await startInfluxd();
  server = await startTestServer(testServerConfig(influxd.url));
});

afterAll(async () => {
  await server?.dispose();
  await influxd?.dispose();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('a real agent process', () => {
  it('enrolls, runs host once and its points land in InfluxDB with agent_id and site_id stamped', async () => {
    const agent = agentYaml({ token: siteTokens['huyen-a'], hostname: 'PC-KT-07' });
    const { code, output } = await runHatang(['agent', '--config', agent.file, '--once'], agent.env);
    expect(output).toContain('"msg":"enrolled"');
    expect(code).toBe(0);

    const credential = statSync(join(agent.stateDir, 'credential.json'));
    expect(credential.mode & 0o777).toBe(0o600);

    const host = rows((await influxd.query(`SELECT * FROM host WHERE hostname = 'PC-KT-07'`))[0]);
    expect(host).toHaveLength(1);
    const [h] = host as [Record<string, unknown>];
    expect(h.site_id).toBe('huyen-a');
    expect(h.agent_id).toMatch(/^pc-kt-07-[a-z2-7]{26}$/);
    expect(h.mem_total_bytes).toBe(totalmem());
    expect(h.cpu_load_percent).toBeGreaterThanOrEqual(0);
    expect(h.cpu_load_percent).toBeLessThanOrEqual(100);
    expect(h.uptime_s).toBeGreaterThan(0);

    const disks = rows((await influxd.query(`SELECT * FROM host_disk WHERE hostname = 'PC-KT-07'`))[0]);
    expect(disks.length).toBeGreaterThan(0);
    expect(disks.map((d) => d.mount)).toContain('/');
    for (const d of disks) expect(d.agent_id).toBe(h.agent_id);

    const nics = rows((await influxd.query(`SELECT * FROM host_net WHERE hostname = 'PC-KT-07'`))[0]);
    expect(nics.length).toBeGreaterThan(0);
    const runs = rows((await influxd.query(`SELECT * FROM collector_run WHERE hostname = 'PC-KT-07'`))[0]);
    expect(runs).toEqual([
      expect.objectContaining({ collector: 'host', success: true, points: 1 + disks.length + nics.length }),
    ]);
    const health = rows((await influxd.query(`SELECT * FROM agent_health WHERE hostname = 'PC-KT-07'`))[0]);
    expect(health).toEqual([expect.objectContaining({ dropped_points: 0, rejected_points: 0 })]);

    // A second start reuses the stored credential: same agent id, no new enrollment.
    const again = await runHatang(['agent', '--config', agent.file, '--once'], {
      TEST_TOKEN: 'unused-and-wrong-token',
    });
    expect(again.code).toBe(0);
    expect(again.output).not.toContain('"msg":"enrolled"');
    const ids = rows(
      (await influxd.query(`SHOW TAG VALUES FROM host WITH KEY = agent_id WHERE hostname = 'PC-KT-07'`))[0],
    );
    expect(ids).toEqual([{ key: 'agent_id', value: h.agent_id }]);

    const status = await runHatang(['agent', 'status', '--config', agent.file]);
    expect(status.output).toMatch(new RegExp(`enrolled: +yes, agent ${h.agent_id} at site huyen-a`));
    expect(status.output).toMatch(/queue: +0 batches, 0 points/);
    expect(status.output).toMatch(/host +ok/);
  });

  it('fails over to the next collector URL when the first does not answer', async () => {
    const agent = agentYaml({
      token: siteTokens['so-tttt'],
      hostname: 'pc-failover',
      urls: ['http://127.0.0.1:9', server.url],
    });
    const { code } = await runHatang(['agent', '--config', agent.file, '--once'], agent.env);
    expect(code).toBe(0);
    expect(
      rows((await influxd.query(`SELECT count(uptime_s) FROM host WHERE hostname = 'pc-failover'`))[0]),
    ).toEqual([expect.objectContaining({ count: 1 })]);
  });

  it('refuses to enroll with a wrong token, saying so, and stores nothing', async () => {
    const agent = agentYaml({ token: 'not-a-real-token-at-all-0000', hostname: 'pc-intruder' });
    const { code, output } = await runHatang(['agent', '--config', agent.file, '--once'], agent.env);
    expect(code).toBe(1);
    expect(output).toContain('enrollment refused by');
    expect(output).toContain('401 token: not a valid enrollment token for any site');
    expect(await influxd.query(`SELECT * FROM host WHERE hostname = 'pc-intruder'`)).toEqual([]);
  });
});
