import { execFile } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, startInfluxd } from '../../test/harness/influxd.js';
import { siteTokens, startTestServer, testServerConfig } from '../../test/harness/server.js';
import { type AgentPackages, buildAgentPackages, packagedGlibcTunables, packagedNodeFlags } from './build.js';

let pkgs: AgentPackages;
let influxd: Awaited<ReturnType<typeof startInfluxd>>;
let server: Awaited<ReturnType<typeof startTestServer>>;
let dir: string;
/** A PATH with every tool of /usr/bin and /bin except Node: the package must bring its own runtime. */
let pathWithoutNode: string;

function run(file: string, args: string[], env: Record<string, string>, timeoutMs = 120_000) {
  return new Promise<{ code: number; out: string }>((resolve) => {
    execFile(file, args, { env, timeout: timeoutMs, maxBuffer: 16 * 1024 ** 2 }, (err, stdout, stderr) => {
      const code = (err as { code?: unknown } | null)?.code;
      resolve({ code: typeof code === 'number' ? code : err ? -1 : 0, out: stdout + stderr });
    });
  });
}

beforeAll(async () => {
  pkgs = await buildAgentPackages();
  influxd = await startInfluxd();
  server = await startTestServer(testServerConfig(influxd.url));
  dir = mkdtempSync(join(tmpdir(), 'ht-deb-'));
  pathWithoutNode = join(dir, 'bin');
  mkdirSync(pathWithoutNode);
  for (const from of ['/usr/bin', '/bin', '/usr/sbin']) {
    for (const name of readdirSync(from)) {
      if (/^(node|nodejs|npm|npx|corepack)$/.test(name)) continue;
      try {
        symlinkSync(join(from, name), join(pathWithoutNode, name));
      } catch {} // the same name in two of the directories: the first wins, as PATH would have it
    }
  }
}, 600_000);

afterAll(async () => {
  await server?.dispose();
  await influxd?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the .deb', () => {
  it('holds its own Node runtime, the bundle, the hardened unit and maintainer scripts creating the user', async () => {
    const info = await run('dpkg-deb', ['--info', pkgs.deb], process.env as Record<string, string>);
    expect(info.out).toMatch(/Package: hatang-agent\n\s*Version: \d+\.\d+\.\d+\n\s*Architecture: amd64/);
    expect(info.out).not.toMatch(/Depends:.*node/);
    const list = await run('dpkg-deb', ['--contents', pkgs.deb], process.env as Record<string, string>);
    expect(list.out).toMatch(/-rwxr-xr-x root\/root +\d+ .* \.\/usr\/lib\/hatang-agent\/hatang-agent\n/);
    expect(list.out).toMatch(/-rwxr-xr-x root\/root +\d{8,} .* \.\/usr\/lib\/hatang-agent\/node\n/);
    expect(list.out).toContain('./usr/lib/hatang-agent/hatang-agent.cjs\n');
    expect(list.out).toContain('./usr/bin/hatang-agent -> ../lib/hatang-agent/hatang-agent');
    expect(list.out).toContain('./lib/systemd/system/hatang-agent.service');

    const root = join(dir, 'unpacked');
    await run('dpkg-deb', ['-x', pkgs.deb, root], process.env as Record<string, string>);
    const unit = readFileSync(join(root, 'lib/systemd/system/hatang-agent.service'), 'utf8');
    expect(unit).toContain('ExecStart=/usr/lib/hatang-agent/hatang-agent --config /etc/hatang/agent.yaml\n');
    // The unit runs the launcher, which starts the runtime with the agent's memory settings.
    const launcher = readFileSync(join(root, 'usr/lib/hatang-agent/hatang-agent'), 'utf8');
    expect(launcher).toContain(`"$d/node" ${packagedNodeFlags.join(' ')} "$d/hatang-agent.cjs" "$@"\n`);
    expect(launcher).toContain(packagedGlibcTunables);
    for (const line of ['User=hatang', 'NoNewPrivileges=true', 'ProtectSystem=strict', 'ProtectHome=true'])
      expect(unit).toContain(`${line}\n`);
    await run('dpkg-deb', ['-e', pkgs.deb, join(dir, 'control')], process.env as Record<string, string>);
    expect(readFileSync(join(dir, 'control', 'postinst'), 'utf8')).toContain('useradd --system --user-group');
    for (const script of ['postinst', 'prerm', 'postrm']) {
      expect(
        (await run('sh', ['-n', join(dir, 'control', script)], process.env as Record<string, string>)).code,
      ).toBe(0);
    }
  });

  it('installed into a fresh root and run with no Node on PATH, enrolls and its points arrive', async () => {
    const root = join(dir, 'root');
    await run('dpkg-deb', ['-x', pkgs.deb, root], process.env as Record<string, string>);
    const env = { PATH: pathWithoutNode, HOME: dir, LANG: 'C.UTF-8' };
    expect((await run('sh', ['-c', 'command -v node || echo none'], env)).out.trim()).toBe('none');
    const agent = join(root, 'usr/lib/hatang-agent/hatang-agent');
    const tokenFile = join(dir, 'token.txt');
    writeFileSync(tokenFile, `${siteTokens['so-tttt']}\n`);
    const config = join(root, 'etc/hatang/agent.yaml');
    const envFile = join(root, 'etc/hatang/agent.env');
    const stateDir = join(root, 'var/lib/hatang-agent');
    // The one post-install step, as root; --no-start: no systemd here, and the unit stays the packaged one.
    const install = await run(
      agent,
      [
        'install',
        ...['--server', server.url, '--token-file', tokenFile, '--config', config],
        ...[
          '--state-dir',
          stateDir,
          '--user',
          'root',
          '--unit-dir',
          join(root, 'etc/systemd/system'),
          '--no-start',
        ],
      ],
      env,
    );
    expect(install.out).toContain(`config      ${config} written`);
    expect(install.code).toBe(0);
    expect(readFileSync(join(root, 'etc/systemd/system/hatang-agent.service'), 'utf8')).toContain(
      `ExecStart=${join(root, 'usr/lib/hatang-agent/hatang-agent')} --config ${config}\n`,
    );
    // Loopback only: the template's collectors would probe the real default gateway.
    const yaml = readFileSync(config, 'utf8');
    writeFileSync(
      config,
      `${yaml.slice(0, yaml.indexOf('\nlog:'))}\nlog:\n  file: ${join(stateDir, 'agent.log')}\n  stderr: "off"\ncollectors:
  - type: host
  - type: connectivity
    gateway: "off"
    datacenter: 127.0.0.1
    count: 2
`.replace('agent:\n', `agent:\n  hostname: deb-pc-01\n`),
    );
    const token = /HATANG_ENROLLMENT_TOKEN=(\S+)/.exec(readFileSync(envFile, 'utf8'))?.[1] ?? '';
    const once = await run(agent, ['--config', config, '--once'], { ...env, HATANG_ENROLLMENT_TOKEN: token });
    expect(once.out).toBe(''); // stderr is off: everything went to the log file
    expect(once.code).toBe(0);
    expect(readFileSync(join(stateDir, 'agent.log'), 'utf8')).toContain('"msg":"enrolled"');

    const host = rows((await influxd.query(`SELECT * FROM host WHERE hostname = 'deb-pc-01'`))[0]);
    expect(host).toEqual([expect.objectContaining({ site_id: 'so-tttt' })]);
    const conn = rows((await influxd.query(`SELECT * FROM connectivity WHERE hostname = 'deb-pc-01'`))[0]);
    expect(conn).toEqual([expect.objectContaining({ target: 'datacenter', loss_percent: 0 })]);
    const status = await run(agent, ['status', '--config', config], env);
    expect(status.out).toMatch(/enrolled: +yes, agent deb-pc-01-/);
  });

  it('`status` says why enrollment failed', async () => {
    const state = join(dir, 'refused');
    const config = join(dir, 'refused.yaml');
    writeFileSync(
      config,
      `agent: { state_dir: "${state}", hostname: refused-pc }\nserver: { urls: ["${server.url}"], enrollment_token: wrong-token-0123456789abcdef }\nlog: { stderr: "off" }\ncollectors: [{ type: host }]\n`,
    );
    const env = { PATH: pathWithoutNode, HOME: dir };
    const once = await run(pkgs.linuxBinary, ['--config', config, '--once'], env);
    expect(once.code).not.toBe(0);
    const status = await run(pkgs.linuxBinary, ['status', '--config', config], env);
    // The reason is on the enrolled line itself (with when the agent last tried).
    expect(status.out).toMatch(
      /enrolled: +no: enrollment refused by http:\/\/127\.0\.0\.1:\d+: 40[13] .* \(at \d{4}-/,
    );
  });
});
