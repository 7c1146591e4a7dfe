import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson } from '../../agent/runtime/state.js';
import { spawnHatang } from '../harness/hatang.js';
import { rows, startInfluxd } from '../harness/influxd.js';
import { freeTcpPort, waitFor } from '../harness/ports.js';
import { siteTokens, startTestServer, testAuthInput, testServerConfig } from '../harness/server.js';

/**
 * A real agent process enrolled as an agency PC, against the real server: it renews its short-lived
 * credential on its own, and a ping collector configured by mistake is refused on the agent itself,
 * so its host data still arrives and the WAN endpoints' ping stays the poller's alone.
 */
let influxd: Awaited<ReturnType<typeof startInfluxd>>;
const dir = mkdtempSync(join(tmpdir(), 'hatang-roles-'));

beforeAll(async () => {
  influxd = await startInfluxd();
});
afterAll(async () => {
  await influxd?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

interface StoredCredential {
  credential: string;
  role?: string;
  expires_at?: string;
}

describe('an agency PC agent', () => {
  it('renews its credential before it expires, keeps delivering, and never sends ping', async () => {
    const port = await freeTcpPort();
    const stateDir = join(dir, 'state');
    const config = join(dir, 'agent.yaml');
    writeFileSync(
      config,
      `agent: { state_dir: "${stateDir}", hostname: pc-roles }
server: { urls: ["http://127.0.0.1:${port}"], enrollment_token: "\${TOKEN}" }
queue: { send_interval: 300ms, backoff_max: 1s }
collectors:
  - { type: host, interval: 1s }
  - type: ping
    interval: 1s
    timeout: 900ms
    count: 1
    packet_timeout: 200ms
    targets: [{ id: core, name: Core, level: province, district: TP, address: 127.0.0.1 }]
`,
    );
    const server = await startTestServer(
      testServerConfig(influxd.url, {
        listen: { host: '127.0.0.1', port },
        auth: { ...testAuthInput(), credential_lifetime: { machine: '9s' } },
      }),
    );
    const agent = spawnHatang(['agent', '--config', config], { TOKEN: siteTokens['so-tttt'] });
    try {
      await waitFor('enrollment', async () => Boolean(await readJson(join(stateDir, 'credential.json'))), {
        timeoutMs: 30_000,
      });
      const first = (await readJson<StoredCredential>(join(stateDir, 'credential.json'))) as StoredCredential;
      expect(first.role).toBe('agent');
      const firstExpiry = Date.parse(first.expires_at ?? '');
      await waitFor(
        'a renewed credential',
        async () =>
          (await readJson<StoredCredential>(join(stateDir, 'credential.json')))?.credential !==
          first.credential,
        { timeoutMs: 20_000, everyMs: 200 },
      );
      const renewed = (await readJson<StoredCredential>(
        join(stateDir, 'credential.json'),
      )) as StoredCredential;
      expect(Date.parse(renewed.expires_at ?? '')).toBeGreaterThan(firstExpiry);
      // Past the first credential's expiry, the agent still delivers.
      await waitFor(
        'host points after the first credential expired',
        async () =>
          rows(
            (
              await influxd.query(
                `SELECT uptime_s FROM host WHERE hostname = 'pc-roles' AND time > ${firstExpiry + 1000}ms`,
              )
            )[0],
          ).length >= 2,
        { timeoutMs: 20_000, everyMs: 300 },
      );
      expect(agent.output()).not.toContain('enrolling again');
    } finally {
      expect(await agent.stop()).toBe(0);
      await server.dispose();
    }
    expect(rows((await influxd.query('SELECT * FROM ping'))[0])).toEqual([]);
    const runs = rows(
      (
        await influxd.query(
          `SELECT success, "error" FROM collector_run WHERE collector = 'ping' AND hostname = 'pc-roles'`,
        )
      )[0],
    );
    expect(runs.length).toBeGreaterThan(0);
    expect(String(runs[0]?.error)).toContain(
      `role "agent" may not write "ping" (enroll this agent with the site's poller token)`,
    );
  });
});
