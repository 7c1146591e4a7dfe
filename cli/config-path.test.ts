import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runHatang } from '../test/harness/hatang.js';
import { serverProcessYaml, siteTokens, testSigningKey } from '../test/harness/server.js';
import { configCandidates, findConfig, parseEnvFile } from './config-path.js';

const root = mkdtempSync(join(tmpdir(), 'hatang-config-path-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A working directory with no config/ folder, and an /etc/hatang-style folder given by HATANG_CONFIG_DIR. */
function machine(name: string) {
  const cwd = join(root, name, 'home');
  const etc = join(root, name, 'etc', 'hatang');
  mkdirSync(cwd, { recursive: true });
  mkdirSync(etc, { recursive: true });
  return { cwd, etc, env: { HATANG_CONFIG_DIR: etc, SIGNING_KEY: testSigningKey } };
}

const agentYaml = (stateDir: string) => `agent: { state_dir: "${stateDir}" }
server: { urls: ["http://127.0.0.1:9"] }
collectors: [{ type: host }]
`;

describe('where commands look for their config', () => {
  it('looks in ./config first, then /etc/hatang (or HATANG_CONFIG_DIR, or %ProgramData%\\hatang)', () => {
    expect(configCandidates('agent', { cwd: '/home/op', env: {}, platform: 'linux' })).toEqual([
      '/home/op/config/agent.yaml',
      '/etc/hatang/agent.yaml',
    ]);
    expect(configCandidates('server', { cwd: '/x', env: { HATANG_CONFIG_DIR: '/srv/h' } })).toEqual([
      '/x/config/server.yaml',
      '/srv/h/server.yaml',
    ]);
    expect(
      configCandidates('agent', { env: { ProgramData: 'D:\\PD' }, platform: 'win32', local: false }),
    ).toEqual(['D:\\PD\\hatang\\agent.yaml']);
  });

  it('uses --config as given, even when it does not exist (loading it then says so)', () => {
    expect(findConfig('agent', 'nowhere.yaml', { cwd: root, env: {} })).toEqual({
      file: 'nowhere.yaml',
      how: 'given',
    });
  });

  it("prefers the checkout's config/ over the installed one", () => {
    const m = machine('both');
    mkdirSync(join(m.cwd, 'config'));
    writeFileSync(join(m.cwd, 'config', 'agent.yaml'), '');
    writeFileSync(join(m.etc, 'agent.yaml'), '');
    expect(findConfig('agent', undefined, { cwd: m.cwd, env: m.env }).file).toBe(
      join(m.cwd, 'config', 'agent.yaml'),
    );
  });

  it('`hatang token issue` from another directory finds the installed server.yaml and says so', async () => {
    const m = machine('token');
    writeFileSync(
      join(m.etc, 'server.yaml'),
      serverProcessYaml({
        port: 1,
        influxUrl: 'http://127.0.0.1:9',
        spoolDir: join(m.etc, 'spool'),
        siteToken: siteTokens['so-tttt'],
      }),
    );
    const r = await runHatang(
      ['token', 'issue', '--role', 'auditor', '--subject', 'kiem-toan'],
      m.env,
      30_000,
      {
        cwd: m.cwd,
      },
    );
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(`config: ${join(m.etc, 'server.yaml')}`);
    expect(r.stdout.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('`hatang agent status` and `hatang agent --check` from another directory use the installed agent.yaml', async () => {
    const m = machine('agent');
    writeFileSync(join(m.etc, 'agent.yaml'), agentYaml(join(m.etc, 'state')));
    const status = await runHatang(['agent', 'status'], m.env, 30_000, { cwd: m.cwd });
    expect(status.output).toContain(`config:      ${join(m.etc, 'agent.yaml')}`);
    expect(status.output).toContain('enrolled:    no');
    const check = await runHatang(['agent', '--check'], m.env, 30_000, { cwd: m.cwd });
    expect(check.code, check.output).toBe(0);
    expect(check.output).toContain(`${join(m.etc, 'agent.yaml')}: ok`);
  });

  it('reads the ${NAME}s the systemd unit would from the EnvironmentFile beside the config (server.env)', async () => {
    const m = machine('env-file');
    writeFileSync(
      join(m.etc, 'server.yaml'),
      serverProcessYaml({
        port: 1,
        influxUrl: 'http://127.0.0.1:9',
        spoolDir: join(m.etc, 'spool'),
        siteToken: siteTokens['so-tttt'],
      }).replace('${SIGNING_KEY}', '${HATANG_TEST_SIGNING_KEY}'),
    );
    const args = ['token', 'issue', '--role', 'auditor', '--subject', 'kiem-toan'];
    const without = await runHatang(args, { HATANG_CONFIG_DIR: m.etc }, 30_000, { cwd: m.cwd });
    expect(without.code, without.output).toBe(78);
    expect(without.output).toContain('environment variable HATANG_TEST_SIGNING_KEY is not set');
    writeFileSync(
      join(m.etc, 'server.env'),
      `# as /etc/hatang/server.env\nexport HATANG_TEST_SIGNING_KEY="${testSigningKey}"\n`,
    );
    const r = await runHatang(args, { HATANG_CONFIG_DIR: m.etc }, 30_000, { cwd: m.cwd });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(`environment: ${join(m.etc, 'server.env')}`);
    expect(r.stdout.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('parses a systemd EnvironmentFile: comments, export, quotes', () => {
    expect(parseEnvFile('# secrets\nA=1\nexport B="two words"\n  C = \'x\'\nnot a line\n')).toEqual({
      A: '1',
      B: 'two words',
      C: 'x',
    });
  });

  it('names every place it looked when there is no config at all (exit 78)', async () => {
    const m = machine('none');
    for (const [args, name] of [
      [['agent', 'status'], 'agent'],
      [['server', '--check'], 'server'],
      [['token', 'issue', '--role', 'auditor', '--subject', 'a'], 'server'],
      [['readiness'], 'server'],
    ] as const) {
      const r = await runHatang([...args], m.env, 30_000, { cwd: m.cwd });
      expect(r.code, r.output).toBe(78);
      expect(r.output).toContain(
        `not found: looked at ${join(m.cwd, 'config', `${name}.yaml`)}, ${join(m.etc, `${name}.yaml`)}; pass --config <file> or set HATANG_CONFIG_DIR`,
      );
    }
  });
});
