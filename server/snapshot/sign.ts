import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import type { PublicKeyRecord, SnapshotSigner } from './types.js';

/** The raw 32-byte Ed25519 public key inside an SPKI key (the last 32 bytes of its DER). */
function rawPublicKey(key: KeyObject): Buffer {
  const der = key.export({ type: 'spki', format: 'der' });
  return der.subarray(der.length - 32);
}

/** First 16 hex of sha256 of the raw 32-byte public key: short, stable, and the same for any encoding. */
export function ed25519KeyId(publicKey: KeyObject): string {
  return createHash('sha256').update(rawPublicKey(publicKey)).digest('hex').slice(0, 16);
}

/**
 * Reads a public key PEM (SPKI) and checks it is Ed25519.
 * @throws naming what is wrong, e.g. `public key: expected Ed25519, got rsa`
 */
export function readEd25519PublicKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (cause) {
    throw new Error('public key: not a PEM public key', { cause });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`public key: expected Ed25519, got ${key.asymmetricKeyType}`);
  }
  return key;
}

/** The published form of an Ed25519 public key: its key id and SPKI PEM. */
export function publicKeyRecord(pem: string, createdAt: string): PublicKeyRecord {
  const key = readEd25519PublicKey(pem);
  return {
    key_id: ed25519KeyId(key),
    public_key_pem: key.export({ type: 'spki', format: 'pem' }).toString(),
    created_at: createdAt,
  };
}

/**
 * Signs manifests with an Ed25519 private key (PKCS#8 PEM); the private key stays inside.
 * @example
 * const signer = createEd25519Signer(generateEd25519KeyPem(), new Date().toISOString());
 * const sig = signer.sign(Buffer.from('manifest bytes')); // 64 bytes
 */
export function createEd25519Signer(privateKeyPem: string, createdAt: string): SnapshotSigner {
  let key: KeyObject;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch (cause) {
    throw new Error('snapshot signing key: not a PEM private key', { cause });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`snapshot signing key: expected Ed25519, got ${key.asymmetricKeyType}`);
  }
  const publicKey = publicKeyRecord(
    createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString(),
    createdAt,
  );
  return {
    keyId: publicKey.key_id,
    publicKey,
    sign: function signEd25519(data: Buffer) {
      return sign(null, data, key);
    },
  };
}

/** A new Ed25519 private key as PKCS#8 PEM. */
export function generateEd25519KeyPem(): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/**
 * True when `sig` is the Ed25519 signature of `data` by the key in `record`. A key whose id does not
 * match its own bytes, or a signature of the wrong length, is false (never an exception).
 */
export function verifySignature(record: PublicKeyRecord, data: Buffer, sig: Buffer): boolean {
  let key: KeyObject;
  try {
    key = readEd25519PublicKey(record.public_key_pem);
  } catch {
    return false;
  }
  if (ed25519KeyId(key) !== record.key_id || sig.length !== 64) return false;
  return verify(null, data, key, sig);
}
