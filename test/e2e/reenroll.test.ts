import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson } from '../../agent/runtime/state.js';
import { spawnHatang } from '../harness/hatang.js';
import { rows, startInfluxd } from '../harness/influxd.js';
import { freeTcpPort, waitFor } from '../harness/ports.js';
import { siteTokens, startTestServer, testServerConfig } from '../harness/server.js';

let influxd: Awaited<ReturnType<typeof startInfluxd>>;
const dir = mkdtempSync(join(tmpdir(), 'hatang-reenroll-'));

beforeAll(async () => {
  influxd = await startInfluxd();
});
afterAll(async () => {
  await influxd?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const runsAfter = async (t: number) =>
  rows(
    (
      await influxd.query(`SELECT points FROM collector_run WHERE hostname = 'pc-rekey' AND time > ${t}ms`)
    )[0],
  ).length;

describe('a collector whose signing key changed', () => {
  it('refuses the old credential with 401, and the agent enrolls again with its token and delivers', async () => {
    const port = await freeTcpPort();
    const listen = { host: '127.0.0.1', port };
    const stateDir = join(dir, 'state');
    const config = join(dir, 'agent.yaml');
    writeFileSync(
      config,
      `agent: { state_dir: "${stateDir}", hostname: pc-rekey }
server: { urls: ["http://127.0.0.1:${port}"], enrollment_token: "\${TOKEN}" }
queue: { send_interval: 300ms, backoff_max: 1s }
collectors: [{ type: host, interval: 1s }]
`,
    );
    let server = await startTestServer(testServerConfig(influxd.url, { listen }));
    const agent = spawnHatang(['agent', '--config', config], { TOKEN: siteTokens['so-tttt'] });
    try {
      await waitFor('first deliveries', async () => (await runsAfter(0)) >= 2, { timeoutMs: 30_000 });
      const first = await readJson<{ credential: string }>(join(stateDir, 'credential.json'));

      await server.dispose();
      const base = testServerConfig(influxd.url, { listen });
      server = await startTestServer({
        ...base,
        auth: { ...base.auth, signing_key: 'a-new-signing-key-after-rotation-0123456789' },
      });
      const rotatedAt = Date.now();
      await waitFor('deliveries under the new key', async () => (await runsAfter(rotatedAt)) >= 2, {
        timeoutMs: 30_000,
      });

      expect(agent.output()).toContain('credential refused (401): enrolling again');
      const second = await readJson<{ credential: string }>(join(stateDir, 'credential.json'));
      expect(second?.credential).not.toBe(first?.credential);
    } finally {
      expect(await agent.stop()).toBe(0);
      await server.dispose();
    }
  });
});
