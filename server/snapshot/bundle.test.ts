import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle } from './bundle.js';
import { canonicalJson, contentId } from './canonical.js';
import { findChromium } from './formats/pdf.js';
import { createEd25519Signer, generateEd25519KeyPem } from './sign.js';
import { octoberContent } from './testdata/content.js';
import type { Manifest, SnapshotContent } from './types.js';
import { readZip } from './zip.js';

const createdAt = Date.parse('2026-11-01T01:02:03.000Z');
const signer = createEd25519Signer(generateEd25519KeyPem(), '2026-01-01T00:00:00.000Z');
const chromium = findChromium();
const dir = mkdtempSync(join(tmpdir(), 'hatang-bundle-'));
let bundle: { manifest: Manifest; zip: Buffer };

beforeAll(async () => {
  bundle = await buildBundle(octoberContent, signer, { lang: 'vi', createdAt, chromium });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('buildBundle()', () => {
  it('holds the manifest, its signature, the public key, README, one CSV per table and the reports', () => {
    const paths = readZip(bundle.zip).map((e) => e.path);
    expect(paths).toEqual([
      'manifest.json',
      'manifest.sig',
      `keys/${signer.keyId}.pem`,
      'README.txt',
      ...octoberContent.tables.map((t) => `data/${t.name}.csv`),
      'report.html',
      'report.xlsx',
      ...(chromium ? ['report.pdf'] : []),
    ]);
    expect(bundle.manifest.files.map((f) => f.path)).toEqual(paths.slice(2));
  });

  it('lists each file with its sha256, size and (CSV) data rows', () => {
    const entries = new Map(readZip(bundle.zip).map((e) => [e.path, e.read()]));
    for (const f of bundle.manifest.files) {
      const data = entries.get(f.path)!;
      expect(f.bytes).toBe(data.length);
      expect(f.sha256).toBe(execFileSync('sha256sum', { input: data, encoding: 'utf8' }).slice(0, 64));
    }
    const antivirus = bundle.manifest.files.find((f) => f.path === 'data/antivirus.csv')!;
    expect(antivirus.rows).toBe(51);
    expect(bundle.manifest.files.find((f) => f.path === 'report.html')!.rows).toBeUndefined();
  });

  it('states the window, cut-off, generator, scope, queries, denominators and the signing key', () => {
    const m = bundle.manifest;
    expect(m).toMatchObject({
      format: 'hatang-snapshot/1',
      created_at: '2026-11-01T01:02:03.000Z',
      window: octoberContent.window,
      as_of: octoberContent.as_of,
      generator: { name: 'hatang', version: '0.1.0' },
      requested_by: 'thanh-tra-so',
      lang: 'vi',
      key_id: signer.keyId,
      denominators: { registered: 50, reporting: 47, not_reporting: 3, not_registered: 1 },
    });
    expect(m.queries).toEqual(octoberContent.queries);
    expect(m.summary.ratios.map((r) => r.denominator_kind)).toContain('registered');
    const json = JSON.parse(readZip(bundle.zip)[0]!.read().toString('utf8'));
    expect(json).toEqual(m);
  });

  it('makes the id the sha256 of the content canonical JSON: key order does not matter, any value does', () => {
    expect(bundle.manifest.id).toBe(contentId(octoberContent));
    const reordered = JSON.parse(
      canonicalJson(octoberContent),
      function reverse(this: unknown, _k: string, v: unknown) {
        if (v && typeof v === 'object' && !Array.isArray(v))
          return Object.fromEntries(Object.entries(v).reverse());
        return v;
      },
    ) as SnapshotContent;
    expect(Object.keys(reordered)[0]).toBe('window');
    expect(contentId(reordered)).toBe(bundle.manifest.id);
    const changed = structuredClone(octoberContent);
    changed.tables[0]!.rows[0]!.state = 'disabled';
    expect(contentId(changed)).not.toBe(bundle.manifest.id);
  });

  it('gives the same bytes for the same content, time, language and key, PDF included', async () => {
    const again = await buildBundle(structuredClone(octoberContent), signer, {
      lang: 'vi',
      createdAt,
      chromium,
    });
    expect(again.zip.equals(bundle.zip)).toBe(true);
    const later = await buildBundle(octoberContent, signer, {
      lang: 'vi',
      createdAt: createdAt + 60_000,
      chromium: null,
    });
    expect(later.manifest.id).toBe(bundle.manifest.id);
    expect(later.zip.equals(bundle.zip)).toBe(false);
  }, 120_000);

  it('says in the manifest and README why a bundle has no PDF', async () => {
    const { manifest, zip } = await buildBundle(octoberContent, signer, {
      lang: 'en',
      createdAt,
      chromium: null,
    });
    expect(manifest.omitted).toEqual([
      { path: 'report.pdf', reason: expect.stringContaining('PDF not requested') },
    ]);
    expect(manifest.files.map((f) => f.path)).not.toContain('report.pdf');
    const readme = readZip(zip)
      .find((e) => e.path === 'README.txt')!
      .read()
      .toString('utf8');
    expect(readme).toContain('report.pdf: PDF not requested');
    expect(readme.startsWith('\ufeffhatang compliance snapshot / Ảnh chụp tuân thủ hatang\r\n')).toBe(true);
    expect(readme.replaceAll('\r\n', '')).not.toContain('\n');
  });

  it('refuses a table name that is not kebab-case ASCII or is used twice', async () => {
    const bad = structuredClone(octoberContent);
    bad.tables[0]!.name = '../antivirus';
    await expect(buildBundle(bad, signer, { lang: 'vi', chromium: null })).rejects.toThrow(
      'bundle: table name "../antivirus": expected kebab-case ASCII',
    );
    const twice = structuredClone(octoberContent);
    twice.tables[1]!.name = 'antivirus';
    await expect(buildBundle(twice, signer, { lang: 'vi', chromium: null })).rejects.toThrow(
      'bundle: table name "antivirus": used twice',
    );
  });

  it('verifies with unzip, openssl and sha256sum alone, as README.txt says', () => {
    const zipPath = join(dir, 'bundle.zip');
    writeFileSync(zipPath, bundle.zip);
    execFileSync('unzip', ['-q', zipPath, '-d', join(dir, 'x')]);
    const cwd = join(dir, 'x');
    const readme = readFileSync(join(cwd, 'README.txt'), 'utf8');
    const openssl = readme
      .split('\n')
      .find((l) => l.trim().startsWith('openssl pkeyutl'))!
      .trim();
    const sums = readme
      .split('\n')
      .find((l) => l.trim().startsWith('jq -r'))!
      .trim();
    expect(execFileSync('bash', ['-c', openssl], { cwd, encoding: 'utf8' })).toContain(
      'Signature Verified Successfully',
    );
    const checked = execFileSync('bash', ['-o', 'pipefail', '-c', sums], { cwd, encoding: 'utf8' });
    expect(checked.trim().split('\n')).toHaveLength(bundle.manifest.files.length);
    expect(checked).not.toMatch(/FAILED/);
    writeFileSync(join(cwd, 'data', 'antivirus.csv'), 'edited');
    const failed = spawnSync('bash', ['-o', 'pipefail', '-c', sums], { cwd, encoding: 'utf8' });
    expect(failed.status).not.toBe(0);
    expect(failed.stdout).toContain('data/antivirus.csv: FAILED');
    expect(failed.stdout.match(/FAILED/g)).toHaveLength(1);
  });
});
