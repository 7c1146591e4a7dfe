import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../config.js';
import { endpointsCommand } from './cli.js';
import { importEndpointsCsv } from './csv.js';
import { loadEndpoints } from './index.js';

const exampleCsv = fileURLToPath(new URL('../../config/endpoints.example.csv', import.meta.url));

/** Runs the command as `hatang endpoints ...` would, keeping what it printed. */
async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await endpointsCommand(argv, {
    out: (t) => {
      stdout += t;
    },
    err: (t) => {
      stderr += t;
    },
  });
  return { code, stdout, stderr };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), `ht-endpoints-${process.pid}-`));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('hatang endpoints import', () => {
  it('writes --out a registry that loads back equal to the sheet', async () => {
    const out = join(dir, 'endpoints.yaml');
    const result = await run('import', exampleCsv, '--out', out);
    expect(result).toEqual({
      code: 0,
      stdout: '',
      stderr:
        `${exampleCsv}: levels province → commune; columns kept as tags: Huyện cũ → tags.former_district, Nhà mạng → tags.carrier, Mã mạch → tags.circuit\n` +
        `${out}: 12 endpoints imported from ${exampleCsv}\n`,
    });
    const expected = importEndpointsCsv(await readFile(exampleCsv, 'utf8'), exampleCsv).endpoints;
    expect(loadEndpoints(out)).toEqual(expected);
    expect((await readdir(dir)).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('does not replace an existing registry without --force: lists what would change and writes nothing', async () => {
    const out = join(dir, 'kept.yaml');
    expect((await run('import', exampleCsv, '--out', out)).code).toBe(0);
    const before = await readFile(out, 'utf8');
    // The sheet a month later: Bảo Khê gone, Hồng Nam new, Phụng Công moved, Cửu Cao readdressed.
    const edited = join(dir, 'edited.csv');
    const rows = (await readFile(exampleCsv, 'utf8'))
      .split('\n')
      .filter((l) => !l.startsWith('12,tp-hung-yen-bao-khe'))
      .map((l) =>
        l
          .replace(
            '8,van-giang-phung-cong,UBND xã Phụng Công,Xã,nut-van-giang',
            '8,van-giang-phung-cong,UBND xã Phụng Công,Xã,trung-tam-thdl',
          )
          .replace('127.1.4.5,', '127.1.4.50,'),
      );
    rows.splice(
      12,
      0,
      '13,tp-hung-yen-hong-nam,UBND xã Hồng Nam,Xã,nut-tp-hung-yen,127.1.1.10,20.63,106.07,TP Hưng Yên,vnpt,HY-0130,,',
    );
    await writeFile(edited, rows.join('\n'));

    const refused = await run('import', edited, '--out', out);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `${out} would change: 1 added, 1 removed, 2 changed\n` +
        '  + tp-hung-yen-hong-nam\n' +
        '  - tp-hung-yen-bao-khe\n' +
        '  ~ van-giang-phung-cong: parent nut-van-giang → trung-tam-thdl\n' +
        '  ~ van-giang-cuu-cao: address 127.1.4.5 → 127.1.4.50\n' +
        `not written: ${out} exists; run again with --force to replace it, or choose another --out\n`,
    );
    expect(await readFile(out, 'utf8')).toBe(before);

    const forced = await run('import', edited, '--out', out, '--force');
    expect(forced.code).toBe(0);
    expect(forced.stderr).toContain(
      `${out} changes: 1 added, 1 removed, 2 changed\n  + tp-hung-yen-hong-nam\n`,
    );
    expect(forced.stderr).toContain(`${out}: 12 endpoints imported from ${edited}\n`);
    expect(loadEndpoints(out).map((e) => e.id)).toContain('tp-hung-yen-hong-nam');
  });

  it('re-importing the same sheet over its registry changes nothing and needs no --force', async () => {
    const out = join(dir, 'same.yaml');
    expect((await run('import', exampleCsv, '--out', out)).code).toBe(0);
    const again = await run('import', exampleCsv, '--out', out);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`${out}: already up to date (12 endpoints); not written\n`);
  });

  it('says so when --out exists but is not a registry, and replaces it only with --force', async () => {
    const out = join(dir, 'notes.yaml');
    await writeFile(out, 'just: some notes\n');
    const refused = await run('import', exampleCsv, '--out', out);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${out} exists and is not a valid registry; it would be replaced\n`);
    expect(await readFile(out, 'utf8')).toBe('just: some notes\n');
    expect((await run('import', exampleCsv, '--out', out, '--force')).code).toBe(0);
    expect(loadEndpoints(out)).toHaveLength(12);
  });

  it('prints the YAML on stdout without --out', async () => {
    const result = await run('import', exampleCsv);
    expect(result.code).toBe(0);
    expect(loadEndpoints('stdout.yaml', { text: result.stdout }).map((e) => e.id)).toContain(
      'van-giang-xuan-quan',
    );
  });

  it('exits 1 with every problem on stderr and writes nothing when rows are bad', async () => {
    const csv = join(dir, 'bad.csv');
    const out = join(dir, 'never.yaml');
    await writeFile(
      csv,
      'Mã;Tên;Cấp;Huyện;Địa chỉ IP\r\nso-y-te;Sở Y tế;Tỉnh;TP Hưng Yên;10.0.0.300\r\nso-y-te;Sở Tư pháp;Tỉnh;TP Hưng Yên;127.1.0.8\r\n',
    );
    const result = await run('import', csv, '--out', out);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `${csv}:2: address "10.0.0.300" is not an IP address or hostname\n` +
        `${csv}:3: id "so-y-te" is already used at line 2\n` +
        `${csv}: 2 problems\n`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a sheet saved in a Windows code page instead of garbling the names', async () => {
    const csv = join(dir, 'cp1258.csv');
    // "Sở" in Windows-1258 is S, 0xD5 (Ơ) and the hook-above tone mark 0xD2: not UTF-8.
    await writeFile(csv, Buffer.from([...Buffer.from('id,name\r\nso-y-te,S'), 0xd5, 0xd2, 0x0d, 0x0a]));
    const result = await run('import', csv);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `${csv}: not UTF-8 text: save the sheet as "CSV UTF-8 (Comma delimited)" in Excel, or pick UTF-8 in LibreOffice\n${csv}: 1 problem\n`,
    });
  });

  it('reports a file that does not exist', async () => {
    const result = await run('import', join(dir, 'missing.csv'));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('missing.csv: cannot read: ENOENT');
  });

  it('throws a usage error when the file is not named', async () => {
    await expect(run('import')).rejects.toThrow(UsageError);
    await expect(run('frobnicate')).rejects.toThrow('hatang endpoints: expected "import" or "check"');
  });
});

describe('hatang endpoints check', () => {
  it('summarises the two-tier demo registry by level and former district', async () => {
    const result = await run('check');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('config/endpoints.yaml: 166 endpoints, no problems');
    expect(lines[1]).toBe('levels: province → commune');
    expect(lines[2]).toBe('by level: province 30, commune 136');
    expect(lines).toContain('former_district  province  commune  total');
    expect(lines).toContain('Ân Thi                  1       16     17');
    expect(lines).toContain('TP Hưng Yên            21       14     35');
    expect(lines).toContain('straight to the data center (no parent): 1 (trung-tam-thdl)');
  });

  it('summarises an old three-tier registry by level and district', async () => {
    const result = await run('check', 'lib/endpoints/testdata/three-tier/hung-yen-2024.yaml');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[1]).toBe('levels: province → district → commune (three-tier, before July 2025)');
    expect(lines[2]).toBe('by level: province 20, district 10, commune 136');
    expect(lines).toContain('Ân Thi              0         1       16     17');
  });

  it('names what looks unfinished: districts without their office, points without coordinates', async () => {
    const file = join(dir, 'partial.yaml');
    await writeFile(
      file,
      'endpoints:\n  - { id: core, name: Core, level: province, district: TP Hưng Yên, address: 127.1.0.1 }\n' +
        '  - { id: xa-a, name: UBND xã A, level: commune, district: Văn Giang, parent: core, address: 127.1.4.2, lat: 20.9, lon: 105.9 }\n',
    );
    const result = await run('check', file);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('districts with communes and no district point: Văn Giang\n');
    expect(result.stdout).toContain('without lat/lon (left off map panels): 1 (core)\n');
  });

  it('exits 1 listing the problems of a bad registry', async () => {
    const result = await run('check', 'lib/endpoints/testdata/missing-parent.yaml');
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'lib/endpoints/testdata/missing-parent.yaml:6:13 endpoints[0].parent: "trung-tam-thdl" is not the id of any endpoint\n' +
        'lib/endpoints/testdata/missing-parent.yaml: 1 problem\n',
    });
  });
});
