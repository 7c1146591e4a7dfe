import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HatangProcess, runHatang, spawnHatang } from '../harness/hatang.js';
import { freeTcpPort, waitFor } from '../harness/ports.js';
import { serverProcess } from '../harness/server.js';

/**
 * `hatang agent status` says why the agent is not enrolled: the server's refusal of a wrong token,
 * or the network error, as the agent last saw it (status.json's last_error).
 */
let server: Awaited<ReturnType<typeof serverProcess>>;
let running: HatangProcess;
const dir = mkdtempSync(join(tmpdir(), 'hatang-enroll-status-'));

beforeAll(async () => {
  // InfluxDB need not answer for enrollment: the server spools.
  server = await serverProcess('http://127.0.0.1:9');
  running = server.start();
  await waitFor(
    'the server answering',
    () =>
      fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(1000) }).then(
        () => true,
        () => false,
      ),
    { timeoutMs: 30_000 },
  );
}, 60_000);
afterAll(async () => {
  await running?.stop();
  rmSync(server.dir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

function agentYaml(name: string, url: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `agent: { state_dir: "${join(dir, name)}" }
server: { urls: ["${url}"], enrollment_token: not-the-site-token-0123456789, request_timeout: 5s }
collectors: [{ type: host }]
`,
  );
  return file;
}

const refusal = (url: string) =>
  `enrollment refused by ${url}: 401 token: not a valid enrollment token for any site`;

describe('hatang agent status when enrollment fails', () => {
  it('a wrong token: `agent --once` says the refusal in one line and `agent status` shows it', async () => {
    const config = agentYaml('wrong-token', server.url);
    const once = await runHatang(['agent', '--once', '--config', config]);
    expect(once.code, once.output).toBe(1);
    expect(once.output).toContain(`hatang: ${refusal(server.url)}`);
    expect(once.output).not.toContain('"stack"');
    const status = await runHatang(['agent', 'status', '--config', config]);
    expect(status.output).toMatch(
      new RegExp(
        `^enrolled: {4}no: ${refusal(server.url).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(at \\d{4}-`,
        'm',
      ),
    );
  });

  it('a running agent with a wrong token: status shows it running and why it is not enrolled', async () => {
    const config = agentYaml('running', server.url);
    const agent = spawnHatang(['agent', '--config', config]);
    try {
      let output = '';
      await waitFor(
        'agent status showing the refusal',
        async () => {
          output = (await runHatang(['agent', 'status', '--config', config])).output;
          return output.includes(refusal(server.url));
        },
        { timeoutMs: 30_000, everyMs: 500 },
      );
      expect(output).toContain(`process:     running, pid ${agent.child.pid}`);
    } finally {
      await agent.stop();
    }
  }, 60_000);

  it('no server listening: status shows the network error', async () => {
    const url = `http://127.0.0.1:${await freeTcpPort()}`;
    const config = agentYaml('unreachable', url);
    const once = await runHatang(['agent', '--once', '--config', config]);
    expect(once.code, once.output).toBe(1);
    const status = await runHatang(['agent', 'status', '--config', config]);
    expect(status.output).toContain(
      `enrolled:    no: enrollment: no collector gave a usable answer (post ${url}/api/v1/enroll: connect ECONNREFUSED`,
    );
  });
});
