import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle } from '../server/snapshot/bundle.js';
import { createEd25519Signer, generateEd25519KeyPem } from '../server/snapshot/sign.js';
import { octoberContent } from '../server/snapshot/testdata/content.js';
import { readZip, writeZip } from '../server/snapshot/zip.js';
import { runHatang } from '../test/harness/hatang.js';

const dir = mkdtempSync(join(tmpdir(), 'hatang-snapshot-verify-'));
const path = (name: string) => join(dir, name);
const signer = createEd25519Signer(generateEd25519KeyPem(), '2026-01-01T00:00:00.000Z');
const other = createEd25519Signer(generateEd25519KeyPem(), '2026-06-01T00:00:00.000Z');
const verify = (...args: string[]) => runHatang(['snapshot', 'verify', ...args]);

beforeAll(async () => {
  const createdAt = Date.parse('2026-11-01T01:02:03.000Z');
  const { zip } = await buildBundle(octoberContent, signer, { lang: 'en', createdAt, chromium: null });
  writeFileSync(path('good.zip'), zip);
  const files = readZip(zip).map((e) => ({ path: e.path, data: e.read() }));
  const csv = files.find((f) => f.path === 'data/antivirus.csv')!;
  csv.data = Buffer.from(csv.data.toString('utf8').replace('disabled', 'protected'));
  writeFileSync(path('edited.zip'), writeZip(files, createdAt));
  writeFileSync(path('signer.pem'), signer.publicKey.public_key_pem);
  writeFileSync(path('both.pem'), other.publicKey.public_key_pem + signer.publicKey.public_key_pem);
  writeFileSync(path('other.pem'), other.publicKey.public_key_pem);
  writeFileSync(path('keys.json'), JSON.stringify({ keys: [other.publicKey, signer.publicKey] }));
  writeFileSync(path('list.json'), JSON.stringify([signer.publicKey]));
  writeFileSync(path('lying.json'), JSON.stringify([{ ...signer.publicKey, key_id: other.keyId }]));
  writeFileSync(path('garbage.pem'), 'not a key\n');
  writeFileSync(path('notes.txt'), 'hostname,state\r\nSO-TTTT-PC001,protected\r\n');
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hatang snapshot verify', () => {
  it('exits 0 for an untouched bundle and a trusted PEM key', async () => {
    const { code, output } = await verify(path('good.zip'), '--public-key', path('signer.pem'));
    expect(code, output).toBe(0);
    expect(output).toContain(`valid: ${path('good.zip')}`);
    expect(output).toContain(`key       ${signer.keyId} (trusted, from ${path('signer.pem')})`);
    expect(output).not.toContain('note:');
    expect(output).toContain('  omitted   report.pdf: PDF not requested');
  });

  it.each(['both.pem', 'keys.json', 'list.json'])('accepts the trusted keys from %s', async (file) => {
    const { code, output } = await verify(path('good.zip'), '--public-key', path(file));
    expect(code, output).toBe(0);
  });

  it('exits 0 without --public-key and says the key inside the bundle proves no signer', async () => {
    const { code, output } = await verify(path('good.zip'));
    expect(code, output).toBe(0);
    expect(output).toContain('(the key inside the bundle)');
    expect(output).toContain(
      'note: signature valid for the key inside the bundle; pass --public-key to check who signed',
    );
  });

  it('exits 1 and names the edited file', async () => {
    const { code, output } = await verify(path('edited.zip'), '--public-key', path('signer.pem'));
    expect(code, output).toBe(1);
    expect(output).toContain(`INVALID: ${path('edited.zip')}`);
    expect(output).toMatch(/ {2}edited {2}data\/antivirus\.csv: sha256 /);
  });

  it('exits 1 when the signer is not a trusted key', async () => {
    const { code, output } = await verify(path('good.zip'), '--public-key', path('other.pem'));
    expect(code, output).toBe(1);
    expect(output).toContain(
      `unknown_key  signed with key ${signer.keyId}, which is not among the trusted keys`,
    );
  });

  it('prints the result as JSON with --json', async () => {
    const { code, output } = await verify(path('edited.zip'), '--json');
    expect(code, output).toBe(1);
    const result = JSON.parse(output);
    expect(result).toMatchObject({ bundle: path('edited.zip'), ok: false, key: { source: 'bundle' } });
    expect(result.problems).toEqual([
      {
        kind: 'edited',
        file: 'data/antivirus.csv',
        message: expect.stringContaining('data/antivirus.csv: sha256'),
      },
    ]);
    expect(result.manifest.key_id).toBe(signer.keyId);
  });

  it('exits 1 for a file that is not a zip', async () => {
    const { code, output } = await verify(path('notes.txt'));
    expect(code, output).toBe(1);
    expect(output).toContain('not_a_bundle  zip: not a zip file (no end of central directory record)');
  });

  it.each([
    [['missing.zip'], 'bundle {dir}/missing.zip: ENOENT'],
    [['good.zip', '--public-key', 'missing.pem'], '--public-key {dir}/missing.pem: ENOENT'],
    [
      ['good.zip', '--public-key', 'garbage.pem'],
      'no "-----BEGIN PUBLIC KEY-----" block and not the keys JSON',
    ],
    [
      ['good.zip', '--public-key', 'lying.json'],
      `key 1: states key_id ${other.keyId} but the key's id is ${signer.keyId}`,
    ],
  ])('exits 3 when an input cannot be read: %j', async (args, message) => {
    const full = args.map((a) => (a.startsWith('--') ? a : path(a)));
    const { code, output } = await verify(...full);
    expect(code, output).toBe(3);
    expect(output).toContain(message.replace('{dir}', dir));
  });

  it.each([[[]], [['a.zip', 'b.zip']], [['--frob', 'a.zip']]])(
    'exits 2 for a usage error: %j',
    async (args) => {
      const { code, output } = await verify(...args);
      expect(code, output).toBe(2);
    },
  );

  it('documents the exit codes in --help', async () => {
    const { code, output } = await verify('--help');
    expect(code).toBe(0);
    expect(output).toMatch(
      /exit codes:\n {2}0 {2}valid\n {2}1 {2}invalid.*\n {2}2 {2}usage error\n {2}3 {2}the bundle or a key file cannot be read/,
    );
  });

  it('refuses an unknown snapshot subcommand with exit 2', async () => {
    const { code, output } = await runHatang(['snapshot', 'frob']);
    expect(code).toBe(2);
    expect(output).toContain(
      'snapshot: unknown subcommand "frob" (known: verify, create, list, keys, audit-log)',
    );
  });
});
