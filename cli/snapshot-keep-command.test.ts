import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAuditLog } from '../server/snapshot/audit-log.js';
import { openSnapshotKeys } from '../server/snapshot/keys.js';
import { verifyBundle } from '../server/snapshot/verify.js';
import { runHatang } from '../test/harness/hatang.js';
import { startInfluxd } from '../test/harness/influxd.js';
import { serverProcessYaml, siteTokens, testSigningKey } from '../test/harness/server.js';

/** `hatang snapshot create|list|keys|audit-log` as an operator runs them, with a real InfluxDB. */
let influxd: Awaited<ReturnType<typeof startInfluxd>>;
const dir = mkdtempSync(join(tmpdir(), 'hatang-snapshot-cli-'));
const config = join(dir, 'server.yaml');
const snapshots = join(dir, 'snapshots');
const env = { SIGNING_KEY: testSigningKey };
const hatang = (...args: string[]) => runHatang(['snapshot', ...args, '--config', config], env, 120_000);

beforeAll(async () => {
  influxd = await startInfluxd();
  // The server made its database when it first started; the command reads it as it is.
  await influxd.query('CREATE DATABASE hatang');
  writeFileSync(
    config,
    serverProcessYaml({
      port: 0,
      influxUrl: influxd.url,
      spoolDir: join(dir, 'spool'),
      siteToken: siteTokens['so-tttt'],
      extra: 'snapshots: { chromium: none }',
    }),
  );
});

afterAll(async () => {
  await influxd?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('hatang snapshot (keeping)', () => {
  it('create keeps a signed snapshot beside the spool and writes it to --out; list shows it', async () => {
    const out = join(dir, 'oct.zip');
    const made = await hatang(
      'create',
      '--from',
      '2026-10-01',
      '--to',
      '2026-11-01',
      '--scope',
      'so-tttt',
      '--out',
      out,
    );
    expect(made.code, made.output).toBe(0);
    const id = /made: ([0-9a-f]{64})/.exec(made.output)?.[1];
    expect(id, made.output).toBeDefined();
    expect(statSync(join(snapshots, 'store', `${id}.zip`)).mode & 0o777).toBe(0o444);
    const result = verifyBundle(readFileSync(out), { trustedKeys: openSnapshotKeys(snapshots).list() });
    expect(result.problems).toEqual([]);
    expect(result.manifest?.window).toEqual({
      from: '2026-09-30T17:00:00.000Z',
      to: '2026-10-31T17:00:00.000Z',
    });
    const listed = await hatang('list');
    expect(listed.code).toBe(0);
    expect(listed.output).toContain(`${id}`);
    expect(listed.output).toContain('2026-10-01..2026-10-31  scope=so-tttt');
    const again = await hatang('create', '--from', '2026-10-01', '--to', '2026-11-01', '--scope', 'so-tttt');
    expect(again.output).toContain(`already kept: ${id}`);
  });

  it('keys rotate retires the current key and keys list shows both; the rotation is audited', async () => {
    const before = openSnapshotKeys(snapshots).list();
    const rotated = await hatang('keys', 'rotate');
    expect(rotated.code, rotated.output).toBe(0);
    expect(rotated.output).toContain(`retired ${before[0]?.key_id}`);
    const listed = await hatang('keys', 'list');
    expect(listed.output.trim().split('\n')).toHaveLength(2);
    expect(listed.output).toMatch(new RegExp(`${before[0]?.key_id}  created \\S+  retired \\S+`));
    expect(listed.output).toMatch(/current\n$/);
    const log = await openAuditLog(snapshots).read();
    expect(log.map((r) => r.action)).toEqual(['create', 'download', 'create', 'rotate_keys']);
  });

  it('audit-log exports CSV with a BOM', async () => {
    const out = join(dir, 'log.csv');
    const res = await hatang('audit-log', '--format', 'csv', '--out', out);
    expect(res.code, res.output).toBe(0);
    const csv = readFileSync(out, 'utf8');
    expect(csv.startsWith('\ufefftime,subject,role,action,snapshot_id,source,detail\r\n')).toBe(true);
    expect(csv).toMatch(
      /,cli:[^,]+,,rotate_keys,,local,"cli: retired [0-9a-f]{16}, now signing with [0-9a-f]{16}"\r\n/,
    );
  });

  it('refuses a bad window or an unknown site, naming it (exit 2)', async () => {
    const bad = await hatang('create', '--from', 'yesterday', '--to', '2026-11-01');
    expect(bad.code).toBe(2);
    expect(bad.output).toContain('--from: "yesterday" is not a date');
    const site = await hatang('create', '--from', '2026-10-01', '--to', '2026-11-01', '--scope', 'nowhere');
    expect(site.code).toBe(2);
    expect(site.output).toContain('unknown site "nowhere" (known: so-tttt)');
  });
});
