import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAgainstCatalogue } from '../../../protocol/index.js';
import { detectLinux } from './antivirus.linux.js';
import { toPoints } from './finding.js';
import { antivirusCollector } from './index.js';
import { processNames } from './procs.js';
import { config, context } from './test-helpers.js';

const DAY = 86_400_000;
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** A CVD in the real layout: 512-byte space-padded header (as sigtool writes it), then a gzip body. */
function cvd(buildTime: number, version: number): Buffer {
  // Written in Vietnam's +0700, as a local mirror's sigtool would; the parser must convert.
  const t = new Date(buildTime + 7 * 3_600_000);
  const stamp = `${two(t.getUTCDate())} ${months[t.getUTCMonth()]} ${t.getUTCFullYear()} ${two(t.getUTCHours())}-${two(t.getUTCMinutes())} +0700`;
  const body = gzipSync(Buffer.from('daily.info\0hatang test body'));
  const header = `ClamAV-VDB:${stamp}:${version}:2071542:90:0123456789abcdef0123456789abcdef:X:hatang-test:${Math.floor(buildTime / 1000)}`;
  return Buffer.concat([Buffer.from(header.padEnd(512, ' '), 'latin1'), body]);
}

// Built on the minute, because the header format has minutes only.
const BUILD = Math.floor(Date.UTC(2026, 10, 20, 8, 15) / 60_000) * 60_000;

let tmp: string;
let dbDir: string;
let clamdConf: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), `ht-av-${process.pid}-`));
  dbDir = join(tmp, 'db');
  await mkdir(dbDir);
  clamdConf = join(tmp, 'clamd.conf');
  await writeFile(
    clamdConf,
    `# test clamd.conf\nLocalSocket ${join(tmp, 'clamd.ctl')}\nDatabaseDirectory ${dbDir}\nForeground true\n`,
  );
  await writeFile(join(dbDir, 'daily.cvd'), cvd(BUILD, 27800));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function detect(over: Record<string, unknown>, now = BUILD + DAY) {
  const found = await detectLinux(config(over), context({ now: () => now }));
  const pts = toPoints(found, 'srv-test').map((p) => ({ ...p, time: now }));
  expect(checkAgainstCatalogue(pts)).toEqual([]);
  return { found, pts };
}

/**
 * clamd cannot start here (it needs genuine signed signatures and the network is closed), so "running"
 * is proven with a real process whose name is clamd: /bin/sleep started through a symlink named clamd,
 * which gives it comm "clamd" and argv[0] ".../clamd" — exactly what the collector looks at.
 */
async function startNamed(name: string): Promise<ChildProcess> {
  const bin = join(tmp, 'bin');
  await mkdir(bin, { recursive: true });
  await symlink('/bin/sleep', join(bin, name)).catch((err) => {
    if (err.code !== 'EEXIST') throw err;
  });
  const child = spawn(join(bin, name), ['60'], { stdio: 'ignore' });
  // Poll (bounded) until the kernel shows the process under its name.
  for (let i = 0; i < 100; i++) {
    if ((await processNames('/proc', AbortSignal.timeout(5_000))).has(name)) return child;
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  throw new Error(`${name}: did not appear in /proc`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

describe('detectLinux on this machine (ClamAV installed, clamd not running, no signatures downloaded)', () => {
  it('reports ClamAV unprotected with reason daemon_not_running', async () => {
    const { found } = await detect({});
    expect(found).toEqual([
      expect.objectContaining({
        product: 'ClamAV',
        source: 'clamav',
        state: 'unprotected',
        reason: 'daemon_not_running',
        enabled: false,
      }),
    ]);
  });

  it('reports daemon_not_running even with fresh signatures in the configured DatabaseDirectory', async () => {
    const { found } = await detect({ clamd_conf: clamdConf });
    expect(found[0]).toMatchObject({
      state: 'unprotected',
      reason: 'daemon_not_running',
      enabled: false,
      upToDate: true,
      signatureVersion: '27800',
      signatureTimeS: BUILD / 1000,
    });
  });

  it('reports product "none", unprotected, no_product when nothing is installed (empty root_dir)', async () => {
    const empty = await mkdtemp(join(tmp, 'root-'));
    const { pts } = await detect({ root_dir: empty });
    expect(pts).toEqual([
      expect.objectContaining({
        tags: { hostname: 'srv-test', product: 'none' },
        fields: { state: 'unprotected', reason: 'no_product', host_state: 'unprotected', source: 'none' },
      }),
    ]);
  });

  it('reports a Kaspersky install whose daemon is not seen as unknown, never unprotected by guess', async () => {
    const root = await mkdtemp(join(tmp, 'root-'));
    await mkdir(join(root, 'opt/kaspersky/kesl'), { recursive: true });
    const { found } = await detect({ root_dir: root });
    expect(found).toEqual([
      {
        product: 'Kaspersky Endpoint Security for Linux',
        source: 'process',
        state: 'unknown',
        reason: 'daemon_not_found',
      },
    ]);
  });

  it('reports unknown/proc_unreadable when the process list cannot be read', async () => {
    const { found } = await detect({ clamd_conf: clamdConf, proc_dir: join(tmp, 'no-proc') });
    expect(found[0]).toMatchObject({ product: 'ClamAV', state: 'unknown', reason: 'proc_unreadable' });
    const empty = await mkdtemp(join(tmp, 'root-'));
    const none = await detect({ root_dir: empty, proc_dir: join(tmp, 'no-proc') });
    expect(none.found).toEqual([
      expect.objectContaining({ product: 'unknown', state: 'unknown', reason: 'proc_unreadable' }),
    ]);
  });
});

describe('detectLinux with a process named clamd running', () => {
  let clamd: ChildProcess;
  beforeAll(async () => {
    clamd = await startNamed('clamd');
  });
  afterAll(async () => {
    await stop(clamd);
  });

  it('reports ClamAV protected with the header build time, 1 day after the build', async () => {
    const { pts } = await detect({ clamd_conf: clamdConf });
    expect(pts).toEqual([
      {
        measurement: 'antivirus',
        tags: { hostname: 'srv-test', product: 'ClamAV' },
        fields: {
          state: 'protected',
          reason: 'ok',
          host_state: 'protected',
          source: 'clamav',
          enabled: true,
          up_to_date: true,
          updater_running: false,
          signature_age_days: 1,
          signature_time_s: BUILD / 1000,
          signature_version: '27800',
        },
        time: BUILD + DAY,
      },
    ]);
  });

  it('reports signatures_out_of_date past max_signature_age, and honours a longer limit', async () => {
    const late = await detect({ clamd_conf: clamdConf }, BUILD + 5 * DAY);
    expect(late.found[0]).toMatchObject({
      state: 'unprotected',
      reason: 'signatures_out_of_date',
      signatureAgeDays: 5,
    });
    const relaxed = await detect({ clamd_conf: clamdConf, max_signature_age: '7d' }, BUILD + 5 * DAY);
    expect(relaxed.found[0]).toMatchObject({ state: 'protected', reason: 'ok' });
  });

  it('uses the build time in the header, not the file mtime (the file was written just now)', async () => {
    const { found } = await detect({ clamd_conf: clamdConf }, Date.now());
    expect(found[0]?.signatureTimeS).toBe(BUILD / 1000);
  });

  it('prefers daily.cld over daily.cvd when its header version is higher', async () => {
    const dir = await mkdtemp(join(tmp, 'db-'));
    await writeFile(join(dir, 'daily.cvd'), cvd(BUILD - 10 * DAY, 27790));
    await writeFile(join(dir, 'daily.cld'), cvd(BUILD, 27800));
    const conf = join(dir, 'clamd.conf');
    await writeFile(conf, `DatabaseDirectory ${dir}\n`);
    const { found } = await detect({ clamd_conf: conf });
    expect(found[0]).toMatchObject({ state: 'protected', signatureVersion: '27800' });
  });

  it('reports no_signatures when the database directory has no daily database', async () => {
    const dir = await mkdtemp(join(tmp, 'db-'));
    const conf = join(dir, 'clamd.conf');
    await writeFile(conf, `DatabaseDirectory ${dir}\n`);
    const { found } = await detect({ clamd_conf: conf });
    expect(found[0]).toMatchObject({ state: 'unprotected', reason: 'no_signatures', upToDate: false });
  });

  it.each([
    ['truncated', (b: Buffer) => b.subarray(0, 200), 'parse_error:cvd_header_truncated'],
    ['garbage', () => Buffer.from('\x1f\x8b garbage'.padEnd(600, 'x')), 'parse_error:cvd_not_a_header'],
    ['empty', () => Buffer.alloc(0), 'parse_error:cvd_header_truncated'],
  ])('reports a %s daily.cvd as unknown, never protected', async (_what, mangle, reason) => {
    const dir = await mkdtemp(join(tmp, 'db-'));
    await writeFile(join(dir, 'daily.cvd'), mangle(cvd(BUILD, 27800)));
    const conf = join(dir, 'clamd.conf');
    await writeFile(conf, `DatabaseDirectory ${dir}\n`);
    const { found } = await detect({ clamd_conf: conf });
    expect(found[0]).toMatchObject({ state: 'unknown', reason, enabled: true });
    expect(found[0]?.signatureAgeDays).toBeUndefined();
  });

  it('reports freshclam running as updater_running', async () => {
    const freshclam = await startNamed('freshclam');
    try {
      const { found } = await detect({ clamd_conf: clamdConf });
      expect(found[0]).toMatchObject({ updaterRunning: true, state: 'protected' });
    } finally {
      await stop(freshclam);
    }
  });

  it('runs end to end through the collector and its registry entry', async () => {
    const pts = await antivirusCollector.collect(
      config({ clamd_conf: clamdConf }),
      context({ now: () => BUILD + DAY }),
    );
    expect(pts).toHaveLength(1);
    expect(pts[0]?.fields).toMatchObject({ state: 'protected', reason: 'ok' });
    expect(checkAgainstCatalogue(pts.map((p) => ({ ...p, time: BUILD })))).toEqual([]);
  });
});

describe('detectLinux with a process named kesl running', () => {
  it('reports Kaspersky enabled but unknown (its own state is not read)', async () => {
    const kesl = await startNamed('kesl');
    try {
      const empty = await mkdtemp(join(tmp, 'root-'));
      const { found, pts } = await detect({ root_dir: empty });
      expect(found).toEqual([
        {
          product: 'Kaspersky Endpoint Security for Linux',
          source: 'process',
          state: 'unknown',
          reason: 'state_not_read',
          enabled: true,
        },
      ]);
      expect(pts[0]?.fields.host_state).toBe('unknown');
    } finally {
      await stop(kesl);
    }
  });
});
