import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HatangProcess, runHatang } from '../test/harness/hatang.js';
import { startInfluxd } from '../test/harness/influxd.js';
import { waitFor } from '../test/harness/ports.js';
import {
  personCredential,
  serverProcess,
  serverProcessYaml,
  siteTokens,
  testSigningKey,
} from '../test/harness/server.js';

/**
 * The registry behind `endpoints_file` is re-read while a real `hatang server` process runs: an edit
 * is served without a restart, a broken edit keeps the last good registry and is logged.
 */

let influxd: Awaited<ReturnType<typeof startInfluxd>>;
let server: HatangProcess;
let url: string;
let serverDir: string | undefined;
let auditor: string;
const dir = mkdtempSync(join(tmpdir(), 'hatang-registry-'));
const registry = join(dir, 'endpoints.yaml');

/** Written beside and renamed, as `hatang endpoints import --out` and editors' safe-write do. */
function writeRegistry(text: string) {
  writeFileSync(`${registry}.tmp`, text);
  renameSync(`${registry}.tmp`, registry);
}

const twoPoints = `levels: [province, commune]
endpoints:
  - { id: core, name: Trung tâm THDL, level: province, address: 127.1.0.1 }
  - { id: xa-a, name: UBND xã A, level: commune, parent: core, address: 127.1.4.2 }
`;

async function endpoints() {
  const res = await fetch(`${url}/api/v1/endpoints`, {
    headers: { authorization: `Bearer ${auditor}` },
    signal: AbortSignal.timeout(10_000),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as {
    levels: string[];
    endpoints: { id: string; name: string; address: string }[];
  };
}

beforeAll(async () => {
  influxd = await startInfluxd();
  writeRegistry(twoPoints);
  const spawned = await serverProcess(influxd.url, { extra: `endpoints_file: "${registry}"` });
  serverDir = spawned.dir;
  url = spawned.url;
  server = spawned.start();
  await waitFor('the server to answer /healthz', async () => (await fetch(`${url}/healthz`)).ok, {
    timeoutMs: 30_000,
  });
  auditor = await personCredential('auditor', 'thanh-tra');
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await influxd?.dispose();
  rmSync(dir, { recursive: true, force: true });
  if (serverDir) rmSync(serverDir, { recursive: true, force: true });
});

describe('hatang server with endpoints_file', () => {
  it('serves an edited registry without a restart: a changed address, a renamed office, a new commune', async () => {
    expect((await endpoints()).endpoints.map((e) => e.id)).toEqual(['core', 'xa-a']);
    writeRegistry(`levels: [province, commune]
endpoints:
  - { id: core, name: Trung tâm THDL, level: province, address: 127.1.0.1 }
  - { id: xa-a, name: UBND xã A mới, level: commune, parent: core, address: 127.1.4.20 }
  - { id: xa-b, name: UBND xã B, level: commune, parent: core, address: 127.1.4.3 }
`);
    await waitFor(
      'the edited registry to be served',
      async () => (await endpoints()).endpoints.length === 3,
      {
        timeoutMs: 10_000,
        everyMs: 200,
      },
    );
    const after = await endpoints();
    expect(after.endpoints.find((e) => e.id === 'xa-a')).toMatchObject({
      name: 'UBND xã A mới',
      address: '127.1.4.20',
    });
    expect(server.output()).toContain('endpoints registry reloaded');
  });

  it('keeps the last good registry when an edit is broken, logs why, and takes the next good edit', async () => {
    const before = await endpoints();
    writeRegistry(`levels: [province, commune]
endpoints:
  - { id: core, name: Trung tâm THDL, level: province, address: 127.1.0.1 }
  - { id: xa-a, name: UBND xã A, level: commune, parent: core-typo, address: 127.1.4.2 }
`);
    // The registry is looked at when it is used: each check asks for it.
    const logged = (text: string) => async () => {
      await endpoints();
      return server.output().includes(text);
    };
    await waitFor('the broken edit to be logged', logged('core-typo'), {
      timeoutMs: 10_000,
      everyMs: 200,
    });
    expect(server.output()).toMatch(
      /endpoints registry: 1 problem in the edited file, keeping the last good one/,
    );
    expect(server.output()).toContain('endpoints[1].parent: \\"core-typo\\" is not the id of any endpoint');
    expect(await endpoints()).toEqual(before);

    writeRegistry(twoPoints.replace('UBND xã A', 'UBND xã A đã sửa'));
    await waitFor(
      'the fixed registry to be served',
      async () => (await endpoints()).endpoints.some((e) => e.name === 'UBND xã A đã sửa'),
      { timeoutMs: 10_000, everyMs: 200 },
    );
    expect((await endpoints()).endpoints).toHaveLength(2);
  });

  it('hatang server --check lists the problems of a broken registry and exits 78', async () => {
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'endpoints:\n  - { id: core, name: Lõi, level: district, address: 127.1.0.1 }\n');
    const config = join(dir, 'check.yaml');
    writeFileSync(
      config,
      serverProcessYaml({
        port: 1,
        influxUrl: influxd.url,
        spoolDir: join(dir, 'spool-check'),
        siteToken: siteTokens['so-tttt'],
        extra: `endpoints_file: "${broken}"`,
      }),
    );
    const { code, output } = await runHatang(['server', '--config', config, '--check'], {
      SIGNING_KEY: testSigningKey,
    });
    expect(code).toBe(78);
    expect(output).toContain(
      `${broken}:2:35 endpoints[0].level: "district" is not a level: use province or commune (Tỉnh, Xã/Phường/Đặc khu in spreadsheets): districts were dissolved in July 2025, keep it as tags.former_district`,
    );
  });

  it('keeps serving the last good registry when the file is deleted', async () => {
    const before = await endpoints();
    rmSync(registry);
    await waitFor(
      'the missing file to be logged',
      async () => {
        await endpoints();
        return server.output().includes('cannot read, keeping the last good one');
      },
      {
        timeoutMs: 10_000,
        everyMs: 200,
      },
    );
    expect(await endpoints()).toEqual(before);
  });
});
