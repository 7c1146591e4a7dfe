import { beforeAll, describe, expect, it } from 'vitest';
import { buildBundle, manifestBytes } from './bundle.js';
import { findChromium } from './formats/pdf.js';
import { createEd25519Signer, generateEd25519KeyPem } from './sign.js';
import { octoberContent } from './testdata/content.js';
import type { Manifest, VerifyResult } from './types.js';
import { untrustedKeyNote, verifyBundle } from './verify.js';
import { readZip, writeZip } from './zip.js';

const createdAt = Date.parse('2026-11-01T01:02:03.000Z');
const signer = createEd25519Signer(generateEd25519KeyPem(), '2026-01-01T00:00:00.000Z');
const mallory = createEd25519Signer(generateEd25519KeyPem(), '2026-01-01T00:00:00.000Z');
const trusted = { trustedKeys: [signer.publicKey] };
let zip: Buffer;
let manifest: Manifest;

beforeAll(async () => {
  ({ zip, manifest } = await buildBundle(octoberContent, signer, {
    lang: 'vi',
    createdAt,
    chromium: findChromium(),
  }));
}, 120_000);

/** The bundle's files as a map, changed by `edit`, zipped again (a well-formed zip with other content). */
function rezip(source: Buffer, edit: (files: Map<string, Buffer>) => void): Buffer {
  const files = new Map(readZip(source).map((e) => [e.path, e.read()]));
  edit(files);
  return writeZip(
    [...files].map(([path, data]) => ({ path, data })),
    createdAt,
  );
}

const flipByte = (data: Buffer, at = Math.floor(data.length / 2)) => {
  const copy = Buffer.from(data);
  copy[at] = (copy[at] ?? 0) ^ 0x01;
  return copy;
};

const kinds = (r: VerifyResult) => r.problems.map((p) => [p.kind, p.file]);

describe('verifyBundle()', () => {
  it('accepts an untouched bundle with a trusted key', () => {
    const r = verifyBundle(zip, trusted);
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.key).toEqual({ key_id: signer.keyId, source: 'trusted' });
    expect(r.notes).toBeUndefined();
    expect(r.manifest).toEqual(manifest);
  });

  it('accepts an untouched bundle with its own key, and says that proves no signer', () => {
    const r = verifyBundle(zip);
    expect(r.ok).toBe(true);
    expect(r.key).toEqual({ key_id: signer.keyId, source: 'bundle' });
    expect(r.notes).toEqual([untrustedKeyNote]);
  });

  it('names each listed file when one of its bytes changed', () => {
    expect(manifest.files.length).toBeGreaterThanOrEqual(13);
    for (const f of manifest.files) {
      const r = verifyBundle(
        rezip(zip, (files) => files.set(f.path, flipByte(files.get(f.path)!))),
        trusted,
      );
      expect(r.ok, f.path).toBe(false);
      expect(kinds(r), f.path).toEqual([['edited', f.path]]);
      expect(r.problems[0]!.message).toMatch(
        new RegExp(`^${f.path}: sha256 [0-9a-f]{64} \\(\\d+ bytes\\), the manifest says ${f.sha256}`),
      );
    }
  });

  it('names a file changed inside the zip without re-zipping it (CRC-32)', () => {
    const entry = readZip(zip).find((e) => e.path === 'data/readiness.csv')!;
    const raw = Buffer.from(zip);
    const at = raw.indexOf(Buffer.from('data/readiness.csv')) + 'data/readiness.csv'.length + 3;
    raw[at] = (raw[at] ?? 0) ^ 0xff;
    expect(entry.compressedSize).toBeGreaterThan(3);
    const r = verifyBundle(raw, trusted);
    expect(kinds(r)).toEqual([['edited', 'data/readiness.csv']]);
    expect(r.problems[0]!.message).toContain('cannot be read back');
  });

  it('refuses a manifest with one byte changed: the signature no longer holds', () => {
    const r = verifyBundle(
      rezip(zip, (files) => {
        const m = files.get('manifest.json')!;
        files.set(
          'manifest.json',
          Buffer.from(m.toString('utf8').replace('"reporting": 47', '"reporting": 48')),
        );
      }),
      trusted,
    );
    expect(kinds(r)).toEqual([['bad_signature', 'manifest.sig']]);
    expect(r.manifest?.denominators.reporting).toBe(48);
  });

  it('refuses a signature with one byte changed', () => {
    const r = verifyBundle(
      rezip(zip, (files) => files.set('manifest.sig', flipByte(files.get('manifest.sig')!, 5))),
    );
    expect(kinds(r)).toEqual([['bad_signature', 'manifest.sig']]);
    expect(r.problems[0]!.message).toContain(`by key ${signer.keyId}`);
  });

  it('names a file added to the bundle', () => {
    const r = verifyBundle(
      rezip(zip, (files) => files.set('data/extra.csv', Buffer.from('\ufeffhostname\r\nPC-GHOST\r\n'))),
      trusted,
    );
    expect(kinds(r)).toEqual([['added', 'data/extra.csv']]);
  });

  it('names a file removed from the bundle', () => {
    const r = verifyBundle(
      rezip(zip, (files) => files.delete('data/outages.csv')),
      trusted,
    );
    expect(kinds(r)).toEqual([['removed', 'data/outages.csv']]);
  });

  it('refuses a bundle whose signature was removed', () => {
    const r = verifyBundle(rezip(zip, (files) => files.delete('manifest.sig')));
    expect(kinds(r)).toEqual([['removed', 'manifest.sig']]);
  });

  it('refuses a signature swapped in from another snapshot by the same key', async () => {
    const other = structuredClone(octoberContent);
    other.window.to = '2026-10-31T00:00:00.000Z';
    const theirs = await buildBundle(other, signer, { lang: 'vi', createdAt, chromium: null });
    const theirSig = readZip(theirs.zip)
      .find((e) => e.path === 'manifest.sig')!
      .read();
    const r = verifyBundle(
      rezip(zip, (files) => files.set('manifest.sig', theirSig)),
      trusted,
    );
    expect(kinds(r)).toEqual([['bad_signature', 'manifest.sig']]);
  });

  it('refuses a bundle re-made and signed with another key when trusted keys are given', async () => {
    const forged = await buildBundle(octoberContent, mallory, { lang: 'vi', createdAt, chromium: null });
    // On its own the forgery is consistent: that is why a trusted key matters.
    expect(verifyBundle(forged.zip).ok).toBe(true);
    expect(verifyBundle(forged.zip).key).toEqual({ key_id: mallory.keyId, source: 'bundle' });
    const r = verifyBundle(forged.zip, trusted);
    expect(kinds(r)).toEqual([['unknown_key', 'manifest.sig']]);
    expect(r.problems[0]!.message).toBe(
      `signed with key ${mallory.keyId}, which is not among the trusted keys (${signer.keyId})`,
    );
  });

  it('refuses a manifest claiming the trusted key but signed with another', () => {
    const forged = rezip(zip, (files) => {
      const m = JSON.parse(files.get('manifest.json')!.toString('utf8')) as Manifest;
      m.summary.ratios[0]!.numerator = 50;
      const bytes = manifestBytes(m);
      files.set('manifest.json', bytes);
      files.set('manifest.sig', mallory.sign(bytes));
      files.set(`keys/${signer.keyId}.pem`, Buffer.from(mallory.publicKey.public_key_pem));
    });
    const withTrusted = verifyBundle(forged, trusted);
    expect(kinds(withTrusted)).toEqual([
      ['bad_signature', 'manifest.sig'],
      ['edited', `keys/${signer.keyId}.pem`],
    ]);
    const alone = verifyBundle(forged);
    expect(kinds(alone)).toEqual([
      ['unknown_key', `keys/${signer.keyId}.pem`],
      ['edited', `keys/${signer.keyId}.pem`],
    ]);
    expect(alone.problems[0]!.message).toContain(
      `holds key ${mallory.keyId}, not the manifest's ${signer.keyId}`,
    );
  });

  it('calls a manifest that is not JSON, or not of this format, malformed', () => {
    const notJson = verifyBundle(
      rezip(zip, (files) => files.set('manifest.json', Buffer.from('{"format": '))),
    );
    expect(kinds(notJson)).toEqual([['malformed_manifest', 'manifest.json']]);
    expect(notJson.problems[0]!.message).toMatch(/^manifest\.json: not JSON: /);
    const otherFormat = verifyBundle(
      rezip(zip, (files) => {
        const m = JSON.parse(files.get('manifest.json')!.toString('utf8'));
        files.set('manifest.json', Buffer.from(JSON.stringify({ ...m, format: 'hatang-snapshot/9' })));
      }),
    );
    expect(kinds(otherFormat)).toEqual([['malformed_manifest', 'manifest.json']]);
    expect(otherFormat.problems[0]!.message).toMatch(/^manifest\.json: format: /);
    const unsafe = verifyBundle(
      rezip(zip, (files) => {
        const m = JSON.parse(files.get('manifest.json')!.toString('utf8'));
        m.files[0].path = '../../etc/passwd';
        files.set('manifest.json', Buffer.from(JSON.stringify(m)));
      }),
    );
    expect(unsafe.problems[0]!.message).toBe('manifest.json: files.0.path: unsafe path');
    const twice = verifyBundle(
      rezip(zip, (files) => {
        const m = JSON.parse(files.get('manifest.json')!.toString('utf8'));
        m.files.push(m.files[0]);
        files.set('manifest.json', Buffer.from(JSON.stringify(m)));
      }),
    );
    expect(twice.problems[0]!.message).toBe('manifest.json: files: a path is listed twice');
  });

  it('calls what is not a zip, or a zip without a manifest, not a bundle', () => {
    const text = verifyBundle(Buffer.from('hostname,state\r\nPC-01,protected\r\n'));
    expect(kinds(text)).toEqual([['not_a_bundle', undefined]]);
    expect(text.problems[0]!.message).toBe('zip: not a zip file (no end of central directory record)');
    const truncated = verifyBundle(zip.subarray(0, zip.length - 100));
    expect(truncated.problems[0]!.kind).toBe('not_a_bundle');
    const noManifest = verifyBundle(writeZip([{ path: 'a.txt', data: Buffer.from('a') }], createdAt));
    expect(kinds(noManifest)).toEqual([['not_a_bundle', 'manifest.json']]);
  });
});
