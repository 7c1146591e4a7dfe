import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, withDirLock, writeFileDurably } from './files.js';
import { createEd25519Signer } from './sign.js';
import type { PublicKeyRecord, SnapshotSigner } from './types.js';

/**
 * The server's Ed25519 snapshot-signing keys, in `<dir>/keys/`: `keys.json` lists every public key
 * ever used (newest last; the older ones carry `retired_at`), `<key_id>.pem` holds each private
 * key (mode 0600). The first key is made on first use; `rotate()` makes a new one that signs from
 * then on, while snapshots signed by the old ones still verify against the list.
 *
 * @example
 * const keys = openSnapshotKeys('/var/lib/hatang/snapshots');
 * const signer = keys.signer(); // creates the first key when there is none
 * keys.list(); // [{ key_id, public_key_pem, created_at }]
 */
export interface SnapshotKeys {
  /** The signer of the current key, creating the first key when there is none. */
  signer(): SnapshotSigner;
  /** Every public key, oldest first; retired ones carry `retired_at`. Empty before the first use. */
  list(): PublicKeyRecord[];
  /** A new current key; the previous one is kept, listed with `retired_at`. */
  rotate(): { current: PublicKeyRecord; retired: PublicKeyRecord | null };
}

/** First 16 hex of sha256 of the raw 32-byte Ed25519 public key (the last 32 bytes of its SPKI DER). */
export function keyIdOf(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ format: 'der', type: 'spki' });
  return createHash('sha256')
    .update(der.subarray(der.length - 32))
    .digest('hex')
    .slice(0, 16);
}

export function openSnapshotKeys(dir: string, o: { now?: () => number } = {}): SnapshotKeys {
  const now = o.now ?? Date.now;
  const keysDir = join(dir, 'keys');
  const listFile = join(keysDir, 'keys.json');
  const lock = join(keysDir, '.lock');
  const privateFile = (keyId: string) => join(keysDir, `${keyId}.pem`);

  const read = (): PublicKeyRecord[] => {
    if (!existsSync(listFile)) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(listFile, 'utf8'));
    } catch (err) {
      throw new Error(`snapshot keys: ${listFile} is not valid JSON`, { cause: err });
    }
    const keys = (parsed as { keys?: unknown }).keys;
    if (!Array.isArray(keys)) throw new Error(`snapshot keys: ${listFile} has no "keys" list`);
    return keys as PublicKeyRecord[];
  };
  const write = (keys: PublicKeyRecord[]) =>
    writeFileDurably(listFile, `${JSON.stringify({ keys }, null, 2)}\n`, 0o644);

  const generate = (): PublicKeyRecord => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const public_key_pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const key_id = keyIdOf(public_key_pem);
    writeFileDurably(privateFile(key_id), privateKey.export({ format: 'pem', type: 'pkcs8' }), 0o600);
    return { key_id, public_key_pem, created_at: new Date(now()).toISOString() };
  };
  const locked = <T>(fn: () => T): T => {
    ensureDir(keysDir, 0o700);
    return withDirLock(lock, fn);
  };
  const current = (keys: PublicKeyRecord[]) => keys.findLast((k) => k.retired_at === undefined);

  return {
    signer() {
      let record = current(read());
      if (!record) {
        record = locked(() => {
          const keys = read();
          const existing = current(keys);
          if (existing) return existing;
          const made = generate();
          write([...keys, made]);
          return made;
        });
      }
      const file = privateFile(record.key_id);
      let pem: string;
      try {
        pem = readFileSync(file, 'utf8');
      } catch (err) {
        throw new Error(`snapshot keys: private key ${file} of key ${record.key_id} cannot be read`, {
          cause: err,
        });
      }
      const signer = createEd25519Signer(pem, record.created_at);
      if (signer.keyId !== record.key_id) {
        throw new Error(
          `snapshot keys: ${file} does not hold key ${record.key_id} (it holds ${signer.keyId})`,
        );
      }
      return signer;
    },
    list: read,
    rotate() {
      return locked(() => {
        const keys = read();
        const at = new Date(now()).toISOString();
        const old = current(keys);
        const made = generate();
        const next = keys.map((k) => (k.retired_at === undefined ? { ...k, retired_at: at } : k));
        write([...next, made]);
        return { current: made, retired: old ? { ...old, retired_at: at } : null };
      });
    },
  };
}
