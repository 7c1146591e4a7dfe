/**
 * `hatang agent install` end to end: the built CLI as a real process, writing into a temp dir
 * (--config, --state-dir, --unit-dir) with --no-start, since this machine has no systemd.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../../lib/version.js';
import { runHatang } from '../../test/harness/hatang.js';
import { runCommand } from './system.js';
import { renderUnit } from './unit.js';

const root = mkdtempSync(join(tmpdir(), `ht-install-${process.pid}-`));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const token = 'enroll-so-tttt-0123456789abcdef';
let dir: string;
let n = 0;
beforeEach(() => {
  dir = join(root, String(n++));
});
const paths = () => ({
  config: join(dir, 'etc', 'agent.yaml'),
  env: join(dir, 'etc', 'agent.env'),
  state: join(dir, 'state'),
  units: join(dir, 'units'),
  unit: join(dir, 'units', 'hatang-agent.service'),
});
const install = (...extra: string[]) => {
  const p = paths();
  return runHatang([
    'agent',
    'install',
    '--config',
    p.config,
    '--state-dir',
    p.state,
    '--unit-dir',
    p.units,
    '--no-start',
    ...extra,
  ]);
};
const mode = (file: string) => statSync(file).mode & 0o777;
/** The variables of a systemd EnvironmentFile, as the service would get them. */
const envOf = (file: string) =>
  Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

describe('hatang agent install', () => {
  it('writes config 0640, token file 0600, state dir 0700 and the unit, and the agent accepts the config with that token', async () => {
    const p = paths();
    const r = await install(
      '--user',
      'root',
      '--server',
      'https://hatang1.tinh.gov.vn:8443',
      '--server',
      'http://127.0.0.1:8080',
      '--token',
      token,
    );
    expect(r.output).toContain(
      'service     not started (--no-start); to start it: systemctl daemon-reload && systemctl enable --now hatang-agent',
    );
    expect(r.code).toBe(0);
    expect(mode(p.config)).toBe(0o640);
    expect(mode(p.env)).toBe(0o600);
    expect(mode(p.state)).toBe(0o700);
    expect(mode(p.unit)).toBe(0o644);
    expect(readFileSync(p.env, 'utf8')).toBe(`HATANG_ENROLLMENT_TOKEN=${token}\n`);
    expect(r.output).not.toContain(token);
    expect(readFileSync(p.unit, 'utf8')).toBe(
      renderUnit({
        nodePath: process.execPath,
        cliPath: join(projectRoot(), 'dist', 'cli', 'hatang.js'),
        configPath: p.config,
        envFile: p.env,
        stateDir: p.state,
        workingDirectory: projectRoot(),
        user: 'root',
        group: 'root',
        netRaw: false,
      }),
    );

    const env = envOf(p.env);
    const check = await runHatang(['agent', '--check', '--config', p.config], { ...env });
    expect(check.output).toBe(`${p.config}: ok\n`);
    expect(check.code).toBe(0);
    // The check can fail: the same config with a token the schema refuses.
    const bad = await runHatang(['agent', '--check', '--config', p.config], {
      HATANG_ENROLLMENT_TOKEN: 'too-short',
    });
    expect(bad.output).toContain('server.enrollment_token: too small');
    expect(bad.code).toBe(78);
  });

  it('changes nothing when run a second time with the same flags', async () => {
    const p = paths();
    const flags = ['--user', 'root', '--server', 'https://hatang.tinh.gov.vn', '--token', token];
    expect((await install(...flags)).code).toBe(0);
    const before = [p.config, p.env, p.unit].map((f) => [readFileSync(f, 'utf8'), statSync(f).mtimeMs]);
    const again = await install(...flags);
    expect(again.code).toBe(0);
    expect(again.output).toContain(`config      ${p.config} exists: kept as it is`);
    expect(again.output).toContain(`token       ${p.env} unchanged`);
    expect(again.output).toContain(`unit        ${p.unit} unchanged`);
    expect([p.config, p.env, p.unit].map((f) => [readFileSync(f, 'utf8'), statSync(f).mtimeMs])).toEqual(
      before,
    );
  });

  it('refuses to replace a unit that differs without --force, and replaces it with --force', async () => {
    const p = paths();
    const flags = ['--user', 'root', '--server', 'https://hatang.tinh.gov.vn'];
    expect((await install(...flags)).code).toBe(0);
    const written = readFileSync(p.unit, 'utf8');
    writeFileSync(p.unit, written.replace('RestartSec=10', 'RestartSec=1'));
    const refused = await install(...flags);
    expect(refused.output).toContain(
      `hatang agent install: ${p.unit} exists and differs from the unit this install writes (line 21: "RestartSec=1" here, "RestartSec=10" expected); rerun with --force to replace it`,
    );
    expect(refused.code).toBe(1);
    expect(readFileSync(p.unit, 'utf8')).toContain('RestartSec=1\n');
    const forced = await install(...flags, '--force');
    expect(forced.output).toContain(`unit        ${p.unit} replaced (--force)`);
    expect(forced.code).toBe(0);
    expect(readFileSync(p.unit, 'utf8')).toBe(written);
  });

  it('keeps an existing config, takes its state dir, and updates only the token line of the env file', async () => {
    const p = paths();
    expect((await install('--user', 'root', '--server', 'https://a.example', '--token', token)).code).toBe(0);
    const config = readFileSync(p.config, 'utf8');
    writeFileSync(p.env, `HTTPS_PROXY=http://10.0.0.1:3128\nHATANG_ENROLLMENT_TOKEN=${token}\n`, {
      mode: 0o600,
    });
    const r = await runHatang([
      'agent',
      'install',
      '--config',
      p.config,
      '--unit-dir',
      p.units,
      '--no-start',
      '--user',
      'root',
      '--server',
      'https://b.example',
      '--token',
      'second-token-0123456789abcdef',
    ]);
    expect(r.code).toBe(0);
    expect(r.output).toContain(`--server ignored: ${p.config} exists`);
    expect(r.output).toContain(`unit        ${p.unit} unchanged`); // state dir read from the config
    expect(readFileSync(p.config, 'utf8')).toBe(config);
    expect(readFileSync(p.env, 'utf8')).toBe(
      'HTTPS_PROXY=http://10.0.0.1:3128\nHATANG_ENROLLMENT_TOKEN=second-token-0123456789abcdef\n',
    );
  });

  it('writes nothing and says what is missing when there is no config and no --server, or a bad token', async () => {
    const p = paths();
    const noServer = await install('--user', 'root');
    expect(noServer.output).toBe(
      `hatang agent install: --server <url> is required: ${p.config} does not exist yet and is written with it\n`,
    );
    expect(noServer.code).toBe(1);
    const tokenFile = join(root, `short-token-${n}`);
    writeFileSync(tokenFile, 'abc\n');
    const badToken = await install(
      '--user',
      'root',
      '--server',
      'https://a.example',
      '--token-file',
      tokenFile,
    );
    expect(badToken.output).toBe(
      'hatang agent install: enrollment token: too short (3 characters, at least 16)\n',
    );
    expect(badToken.code).toBe(1);
    expect(existsSync(dir)).toBe(false);
  });

  it('prints the files and the user it would create with --dry-run, and writes nothing', async () => {
    const p = paths();
    const user = `ht-dry-${process.pid}`;
    expect((await runCommand('getent', ['passwd', user])).code).toBe(2);
    const r = await install('--user', user, '--server', 'https://a.example', '--token', token, '--dry-run');
    expect(r.code).toBe(0);
    expect(r.output).toContain(
      `user        would create ${user}: useradd --system --user-group --home-dir ${p.state} --no-create-home --shell /usr/sbin/nologin ${user}`,
    );
    expect(r.output).toContain(`    | User=${user}\n`);
    expect(r.output).toContain('    | AmbientCapabilities=CAP_NET_RAW\n'); // the generated config pings the gateway
    expect(r.output).toContain('    |     - https://a.example\n');
    expect(r.output).toContain(
      `token       would write HATANG_ENROLLMENT_TOKEN=<${token.length} characters>`,
    );
    expect(r.output).not.toContain(token);
    expect(existsSync(dir)).toBe(false);
  });

  it('creates a missing system user and gives it the state dir and read access to the config', async () => {
    const p = paths();
    const user = `ht-inst-${process.pid}`;
    try {
      const r = await install('--user', user, '--server', 'https://a.example', '--token', token);
      expect(r.output).toContain(`user        ${user} created (system account, no login)`);
      expect(r.code).toBe(0);
      const [, , uid, gid, , , shell] = (await runCommand('getent', ['passwd', user])).stdout
        .trim()
        .split(':');
      expect(Number(uid)).toBeLessThan(1000); // a system account
      expect(shell).toBe('/usr/sbin/nologin');
      expect(statSync(p.state).uid).toBe(Number(uid));
      expect(statSync(p.config).gid).toBe(Number(gid));
      expect(statSync(p.config).uid).toBe(0);
      expect(statSync(p.env).uid).toBe(0);
      expect(readFileSync(p.unit, 'utf8')).toContain(`User=${user}\nGroup=${user}\n`);
    } finally {
      await runCommand('userdel', [user]);
      await runCommand('groupdel', [user]);
    }
  });
});
