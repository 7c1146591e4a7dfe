import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createEd25519Signer, generateEd25519KeyPem, publicKeyRecord, verifySignature } from './sign.js';

describe('createEd25519Signer()', () => {
  const signer = createEd25519Signer(generateEd25519KeyPem(), '2026-11-01T00:00:00.000Z');
  const data = Buffer.from('{"format":"hatang-snapshot/1"}\n');

  it('names the key by the first 16 hex of sha256 of its raw 32-byte public key', () => {
    const der = createPublicKey(signer.publicKey.public_key_pem).export({ type: 'spki', format: 'der' });
    const raw = der.subarray(12);
    expect(raw).toHaveLength(32);
    expect(signer.keyId).toBe(createHash('sha256').update(raw).digest('hex').slice(0, 16));
    expect(signer.publicKey).toMatchObject({ key_id: signer.keyId, created_at: '2026-11-01T00:00:00.000Z' });
    expect(signer.publicKey.public_key_pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
  });

  it('makes 64-byte deterministic signatures that verify, and fail on one changed byte or another key', () => {
    const sig = signer.sign(data);
    expect(sig).toHaveLength(64);
    expect(signer.sign(data)).toEqual(sig);
    expect(verifySignature(signer.publicKey, data, sig)).toBe(true);
    const edited = Buffer.from(data);
    edited[3] = (edited[3] ?? 0) ^ 1;
    expect(verifySignature(signer.publicKey, edited, sig)).toBe(false);
    const other = createEd25519Signer(generateEd25519KeyPem(), 'x');
    expect(verifySignature(other.publicKey, data, sig)).toBe(false);
    expect(verifySignature(signer.publicKey, data, sig.subarray(1))).toBe(false);
  });

  it('refuses a record whose key id does not match its key', () => {
    const sig = signer.sign(data);
    expect(verifySignature({ ...signer.publicKey, key_id: '0000000000000000' }, data, sig)).toBe(false);
  });

  it('refuses a key that is not Ed25519, naming the type', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() =>
      createEd25519Signer(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'x'),
    ).toThrow('snapshot signing key: expected Ed25519, got ec');
    expect(() => publicKeyRecord(publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'x')).toThrow(
      'public key: expected Ed25519, got ec',
    );
    expect(() => createEd25519Signer('not a key', 'x')).toThrow(
      'snapshot signing key: not a PEM private key',
    );
  });

  it('signs what openssl pkeyutl verifies with the published PEM', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'hatang-sign-'));
    try {
      writeFileSync(join(dir, 'key.pem'), signer.publicKey.public_key_pem);
      writeFileSync(join(dir, 'manifest.json'), data);
      writeFileSync(join(dir, 'manifest.sig'), signer.sign(data));
      const args = [
        'pkeyutl',
        '-verify',
        '-pubin',
        '-inkey',
        'key.pem',
        '-rawin',
        '-in',
        'manifest.json',
        '-sigfile',
        'manifest.sig',
      ];
      expect(execFileSync('openssl', args, { cwd: dir, encoding: 'utf8' })).toContain(
        'Signature Verified Successfully',
      );
      writeFileSync(join(dir, 'manifest.json'), Buffer.concat([data, Buffer.from(' ')]));
      expect(() => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
