import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../lib/config.js';
import { runHatang, spawnHatang } from '../test/harness/hatang.js';
import { waitFor } from '../test/harness/ports.js';
import { serverProcess, testSigningKey } from '../test/harness/server.js';
import { makeTestCertificates } from '../test/harness/tls.js';
import { loadRunnableServerConfig } from './config-files.js';

const fixtures = 'server/testdata/start';
let tls: ReturnType<typeof makeTestCertificates>;
let work: string;
let env: Record<string, string>;

beforeAll(() => {
  tls = makeTestCertificates();
  writeFileSync(join(tls.dir, 'revoked.txt'), '# nobody yet\n');
  work = mkdtempSync(join(tmpdir(), 'hatang-start-'));
  env = { SIGNING_KEY: testSigningKey, TLS_DIR: tls.dir, SPOOL_DIR: join(work, 'spool') };
});
afterAll(() => {
  rmSync(tls.dir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

function problems(name: string): string[] {
  try {
    loadRunnableServerConfig(join(fixtures, `${name}.yaml`), { env });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => p.replaceAll(tls.dir, '<tls>'));
    throw err;
  }
  return [];
}

/** One fixture per file server.yaml may name, with the exact message an operator reads. */
const cases: Record<string, string[]> = {
  ok: [],
  'cert-missing': [
    `${fixtures}/cert-missing.yaml:2:55 listen.tls.cert_file: cannot read <tls>/missing-cert.pem: no such file (ENOENT)`,
  ],
  'key-missing': [
    `${fixtures}/key-missing.yaml:2:90 listen.tls.key_file: cannot read <tls>/missing-key.pem: no such file (ENOENT)`,
  ],
  'revocation-missing': [
    `${fixtures}/revocation-missing.yaml:6:20 auth.revocation_file: cannot read <tls>/missing-revoked.txt: no such file (ENOENT)`,
  ],
  'endpoints-missing': [
    `${fixtures}/endpoints-missing.yaml:9:17 endpoints_file: cannot read config/missing-endpoints.yaml: no such file (ENOENT)`,
  ],
  'endpoints-directory': [
    `${fixtures}/endpoints-directory.yaml:9:17 endpoints_file: cannot read config: is a directory, not a file`,
  ],
  'datacenter-missing': [
    `${fixtures}/datacenter-missing.yaml:10:31 readiness.datacenter_file: cannot read config/missing-datacenter.yaml: no such file (ENOENT)`,
  ],
  'all-missing': [
    `${fixtures}/all-missing.yaml:2:55 listen.tls.cert_file: cannot read <tls>/missing-cert.pem: no such file (ENOENT)`,
    `${fixtures}/all-missing.yaml:2:96 listen.tls.key_file: cannot read <tls>/missing-key.pem: no such file (ENOENT)`,
    `${fixtures}/all-missing.yaml:6:20 auth.revocation_file: cannot read <tls>/missing-revoked.txt: no such file (ENOENT)`,
    `${fixtures}/all-missing.yaml:9:17 endpoints_file: cannot read config/missing-endpoints.yaml: no such file (ENOENT)`,
    `${fixtures}/all-missing.yaml:10:31 readiness.datacenter_file: cannot read config/missing-datacenter.yaml: no such file (ENOENT)`,
  ],
};

describe('server.yaml: every file it names must be readable (--check and start)', () => {
  it('has a case for every fixture', () => {
    expect(
      readdirSync(fixtures)
        .map((f) => f.replace(/\.yaml$/, ''))
        .sort(),
    ).toEqual([...Object.keys(cases), 'key-mismatch'].sort());
  });

  for (const [name, expected] of Object.entries(cases)) {
    it(`${name}: ${expected.length === 0 ? 'loads' : 'names the key, its line and the file'}`, () => {
      expect(problems(name)).toEqual(expected);
    });
  }

  it("key-mismatch: a key that is not the certificate's is refused before listen()", () => {
    const [only, ...rest] = problems('key-mismatch');
    expect(rest).toEqual([]);
    expect(only).toMatch(
      /^server\/testdata\/start\/key-mismatch\.yaml:2:42 listen\.tls: certificate <tls>\/server\.pem and key <tls>\/ca\.key do not load together: .*key values mismatch/,
    );
  });

  it('`hatang server --check` fails with exit 78 naming the missing certificate', async () => {
    const r = await runHatang(['server', '--check', '--config', join(fixtures, 'cert-missing.yaml')], env);
    expect(r.code, r.output).toBe(78);
    expect(r.output).toContain(
      `listen.tls.cert_file: cannot read ${tls.dir}/missing-cert.pem: no such file (ENOENT)`,
    );
    expect(r.output).not.toContain(': ok');
  });

  it('a real start with a missing certificate says so without a stack and creates no spool', async () => {
    const r = await runHatang(['server', '--config', join(fixtures, 'cert-missing.yaml')], env);
    expect(r.code, r.output).toBe(78);
    expect(r.output).toContain(`cannot read ${tls.dir}/missing-cert.pem`);
    expect(r.output).not.toMatch(/"level"|stack|at .*\.js:\d+/);
    expect(existsSync(env.SPOOL_DIR as string)).toBe(false);
  });
});

describe('one spool, one server', () => {
  it('refuses a second server on the same spool naming the PID holding it, and takes over a stale lock', async () => {
    // InfluxDB need not answer: a server starts and spools without it.
    const s = await serverProcess('http://127.0.0.1:9');
    const running = [] as ReturnType<typeof s.start>[];
    try {
      const first = s.start();
      running.push(first);
      await waitFor('the first server answering', () =>
        fetch(`${s.url}/healthz`, { signal: AbortSignal.timeout(1000) }).then(
          () => true,
          () => false,
        ),
      );
      const second = spawnHatang(['server', '--config', s.config], { SIGNING_KEY: testSigningKey });
      running.push(second);
      const code = await second.exited;
      expect(code, second.output()).toBe(1);
      expect(second.output()).toContain(
        `hatang: spool ${join(s.dir, 'spool')} is in use by another hatang server (pid ${first.child.pid}, lock file ${join(s.dir, 'spool', 'server.lock')}): two servers must not replay one spool`,
      );
      expect(second.output()).not.toContain('"level"');

      // A crash leaves the lock behind; its process is gone, so the next server takes it over.
      await first.stop('SIGKILL');
      expect(existsSync(join(s.dir, 'spool', 'server.lock'))).toBe(true);
      const third = s.start();
      running.push(third);
      await waitFor('the server after the crash answering', () =>
        fetch(`${s.url}/healthz`, { signal: AbortSignal.timeout(1000) }).then(
          () => true,
          () => false,
        ),
      );
      expect(await third.stop()).toBe(0);
      // A clean stop gives the spool back.
      expect(existsSync(join(s.dir, 'spool', 'server.lock'))).toBe(false);
    } finally {
      for (const p of running) await p.stop('SIGKILL');
      rmSync(s.dir, { recursive: true, force: true });
    }
  }, 60_000);
});
