import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../config.js';
import { assetsCommand } from './cli.js';
import { importAssetsCsv } from './csv.js';
import { loadAssets } from './index.js';

const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'hatang-assets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

describe('importAssetsCsv', () => {
  it('reads the example sheet: BOM, semicolons, Vietnamese headers, a quoted ";"', () => {
    const text = readFileSync(join(here, '../../config/assets.example.csv'), 'utf8');
    const { assets, delimiter, ignored } = importAssetsCsv(text, 'assets.example.csv', {
      sites: ['so-tttt'],
    });
    expect(delimiter).toBe(';');
    expect(ignored).toEqual([]);
    expect(assets).toHaveLength(5);
    expect(assets[0]).toEqual({
      site: 'so-tttt',
      agency: 'Sở Khoa học và Công nghệ',
      hostname: 'SKHCN-VT-01',
      asset_tag: 'TS-2023-0141',
      owner: 'Nguyễn Thị Lan',
      notes: 'Văn thư',
    });
    expect(assets[2]?.notes).toBeUndefined();
    expect(assets[4]?.notes).toBe('Bộ phận một cửa; máy dự phòng');
  });

  it('reads English headers with commas and no BOM, the site from --site', () => {
    const text = 'Agency,Hostname,Asset tag,Owner,Room\nSo TTTT,pc-01,A1,Lan,201\nSo TTTT,pc-02,,,202\n';
    const { assets, ignored } = importAssetsCsv(text, 'm.csv', { site: 'so-tttt' });
    expect(ignored).toEqual(['Room']);
    expect(assets.map((a) => [a.site, a.hostname, a.asset_tag ?? null])).toEqual([
      ['so-tttt', 'pc-01', 'A1'],
      ['so-tttt', 'pc-02', null],
    ]);
  });

  it('names the line of every bad row: duplicates without case, empty hostnames, unknown sites, tags twice', () => {
    const text = [
      'Site,Đơn vị,Tên máy,Mã tài sản,Người sử dụng',
      'so-tttt,Sở A,PC-01,T1,Lan',
      'so-tttt,Sở A,,T2,Hùng',
      'so-tttt,Sở A,pc-01,T3,Đức',
      'so-khac,Sở B,pc-09,T4,Hà',
      'so-tttt,Sở A,pc-05,T1,Nam',
      'so-tttt,,pc-06,T6,Nam',
    ].join('\r\n');
    expect(problems(() => importAssetsCsv(text, 'm.csv', { sites: ['so-tttt'] }))).toEqual([
      'm.csv:3: hostname is empty',
      'm.csv:4: hostname "pc-01" at site so-tttt is listed twice (also line 2)',
      'm.csv:5: site "so-khac" is not a site of the server (auth.sites: so-tttt)',
      'm.csv:6: asset_tag "T1" is the asset tag of another machine too (line 2)',
      'm.csv:7: agency (Đơn vị) is empty',
    ]);
  });

  it('says which columns are missing, and that the site can be given instead', () => {
    expect(problems(() => importAssetsCsv('Mã tài sản;Người sử dụng\nT1;Lan\n', 'm.csv'))).toEqual([
      'm.csv:1: missing column agency (Đơn vị)',
      'm.csv:1: missing column hostname (Tên máy)',
      'm.csv:1: missing column site: add a Site column or give the site of every row (--site <id>)',
    ]);
  });

  it('refuses a stray delimiter and an unclosed quote by line', () => {
    expect(problems(() => importAssetsCsv('Site,Đơn vị,Tên máy\nso-tttt,Sở A, B,pc-1\n', 'm.csv'))).toEqual([
      'm.csv:2: 4 fields, the header has 3: is a "," missing its quotes?',
    ]);
    expect(problems(() => importAssetsCsv('Site,Đơn vị,Tên máy\nso-tttt,"Sở A,pc-1\n', 'm.csv'))).toEqual([
      'm.csv:2: a quoted field opened here is never closed (a " is missing)',
    ]);
  });
});

describe('loadAssets', () => {
  it('names file, line and path of each problem of the YAML form', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      [
        'assets:',
        '  - { site: so-tttt, agency: Sở A, hostname: pc-01 }',
        '  - { site: so-tttt, agency: Sở A, hostname: PC-01 }',
        '  - { site: so-tttt, agency: Sở A, hostname: "" }',
        '  - { site: x-site, agency: Sở A, hostname: pc-03, colour: red }',
        '',
      ].join('\n'),
    );
    expect(problems(() => loadAssets(file, { sites: ['so-tttt'] }))).toEqual([
      `${file}:4:46 assets[2].hostname: is empty`,
      `${file}:5:52 assets[3].colour: unknown key`,
      `${file}:3:46 assets[1].hostname: "PC-01" at site so-tttt is listed twice (also assets[0])`,
      `${file}:5:13 assets[3].site: "x-site" is not a site of the server (auth.sites: so-tttt)`,
    ]);
  });
});

describe('hatang assets', () => {
  it('imports the example sheet to YAML that check reads back unchanged', async () => {
    const out = join(dir, 'assets.yaml');
    const server = join(dir, 'server.yaml');
    writeFileSync(server, 'auth:\n  signing_key: ${HATANG_SIGNING_KEY}\n  sites:\n    - { id: so-tttt }\n');
    const a = io();
    const code = await assetsCommand(
      ['import', join(here, '../../config/assets.example.csv'), '--out', out, '--config', server],
      a.io,
    );
    expect(a.err.join('')).toContain(`${out}: 5 machines imported`);
    expect(code).toBe(0);
    const b = io();
    expect(await assetsCommand(['check', out, '--config', server], b.io)).toBe(0);
    expect(b.out.join('')).toContain(`${out}: 5 machines, no problems`);
    expect(b.out.join('')).toContain('so-tttt\tUBND xã Xuân Quan\t2');
    expect(loadAssets(out).assets[4]?.notes).toBe('Bộ phận một cửa; máy dự phòng');
  });

  it('exits 1 and prints each problem with its line', async () => {
    const csv = join(dir, 'bad.csv');
    writeFileSync(csv, 'Site,Đơn vị,Tên máy\nso-tttt,Sở A,pc-1\nso-tttt,Sở A,\n');
    const a = io();
    expect(await assetsCommand(['check', csv, '--sites', 'so-tttt'], a.io)).toBe(1);
    expect(a.err.join('')).toBe(`${csv}:3: hostname is empty\n${csv}: 1 problem\n`);
  });
});
