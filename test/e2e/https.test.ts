import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHatang } from '../harness/hatang.js';
import { rows, startInfluxd } from '../harness/influxd.js';
import { siteTokens, startTestServer, testServerConfig } from '../harness/server.js';
import { makeTestCertificates } from '../harness/tls.js';

let influxd: Awaited<ReturnType<typeof startInfluxd>>;
let server: Awaited<ReturnType<typeof startTestServer>>;
let certs: ReturnType<typeof makeTestCertificates>;
const dir = mkdtempSync(join(tmpdir(), 'hatang-https-'));

beforeAll(async () => {
  certs = makeTestCertificates();
  influxd = await startInfluxd();
  server = await startTestServer(
    testServerConfig(influxd.url, {
      listen: { host: '127.0.0.1', port: 0, tls: { cert_file: certs.cert, key_file: certs.key } },
    }),
  );
});
afterAll(async () => {
  await server?.dispose();
  await influxd?.dispose();
  rmSync(dir, { recursive: true, force: true });
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
});

function agentConfig(name: string, caLine: string) {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `agent: { state_dir: "${join(dir, name)}", hostname: ${name} }
server:
  urls: ["${server.url}"]
  enrollment_token: \${TOKEN}
${caLine}
collectors: [{ type: host }]
`,
  );
  return file;
}

describe('HTTPS', () => {
  it('serves over TLS and an agent trusting the private CA enrolls and sends', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const file = agentConfig('pc-tls', `  ca_file: ${certs.ca}`);
    const { code, output } = await runHatang(['agent', '--config', file, '--once'], {
      TOKEN: siteTokens['so-tttt'],
    });
    expect(output).toContain('"msg":"enrolled"');
    expect(code).toBe(0);
    expect(
      rows((await influxd.query(`SELECT count(uptime_s) FROM host WHERE hostname = 'pc-tls'`))[0]),
    ).toEqual([expect.objectContaining({ count: 1 })]);
  });

  it('refuses a server whose certificate the agent does not trust', async () => {
    const file = agentConfig('pc-untrusting', '');
    const { code, output } = await runHatang(['agent', '--config', file, '--once'], {
      TOKEN: siteTokens['so-tttt'],
    });
    expect(code).toBe(1);
    expect(output).toMatch(/self[- ]signed certificate|unable to verify/);
  });
});
