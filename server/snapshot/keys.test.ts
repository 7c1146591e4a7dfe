import { verify } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { keyIdOf, openSnapshotKeys } from './keys.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'hatang-keys-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('snapshot keys', () => {
  it('lists nothing before the first use, then makes one key with a 0600 private file', () => {
    const dir = tempDir();
    const keys = openSnapshotKeys(dir);
    expect(keys.list()).toEqual([]);
    const signer = keys.signer();
    expect(signer.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(keys.list()).toEqual([signer.publicKey]);
    expect(keyIdOf(signer.publicKey.public_key_pem)).toBe(signer.keyId);
    expect(statSync(join(dir, 'keys', `${signer.keyId}.pem`)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'keys')).mode & 0o777).toBe(0o700);
    // The same key again, also from another process's view of the same dir.
    expect(openSnapshotKeys(dir).signer().keyId).toBe(signer.keyId);
  });

  it('signs so that the listed public key verifies the signature', () => {
    const keys = openSnapshotKeys(tempDir());
    const signer = keys.signer();
    const data = Buffer.from('{"format":"hatang-snapshot/1"}');
    const sig = signer.sign(data);
    expect(verify(null, data, keys.list()[0]?.public_key_pem ?? '', sig)).toBe(true);
    expect(verify(null, Buffer.from('other'), keys.list()[0]?.public_key_pem ?? '', sig)).toBe(false);
  });

  it('rotate() makes a new signing key and keeps the old one listed with retired_at', () => {
    let now = Date.parse('2026-11-01T00:00:00Z');
    const keys = openSnapshotKeys(tempDir(), { now: () => now });
    const first = keys.signer();
    now += 86_400_000;
    const { current, retired } = keys.rotate();
    expect(retired?.key_id).toBe(first.keyId);
    expect(retired?.retired_at).toBe('2026-11-02T00:00:00.000Z');
    expect(current.key_id).not.toBe(first.keyId);
    expect(keys.signer().keyId).toBe(current.key_id);
    expect(keys.list().map((k) => [k.key_id, k.retired_at])).toEqual([
      [first.keyId, '2026-11-02T00:00:00.000Z'],
      [current.key_id, undefined],
    ]);
  });

  it('rotate() before any key exists makes the first one and retires nothing', () => {
    const keys = openSnapshotKeys(tempDir());
    const { current, retired } = keys.rotate();
    expect(retired).toBeNull();
    expect(keys.list()).toEqual([current]);
  });
});
