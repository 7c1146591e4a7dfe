import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Who a credential speaks for. `agent`: an agency PC, writing about itself. `poller`: the data
 * center's agent, writing the network's measurements (ping of registry endpoints, SNMP) as well.
 * `auditor`: reads availability, readiness and snapshots. `admin`: everything an auditor can.
 */
export const roles = ['agent', 'poller', 'auditor', 'admin'] as const;
export type Role = (typeof roles)[number];

/** Roles held by machines, which enroll with a site token and renew their own credential. */
export const machineRoles = ['agent', 'poller'] as const satisfies readonly Role[];

/** Who is calling, as proven by a credential this deployment signed. */
export interface Identity {
  role: Role;
  /** For machines: the agent id stamped on its points. For people: a name for the logs. */
  subject: string;
  /** For machines: the site stamped on its points. */
  siteId?: string;
  /** The credential's own id, so one credential can be revoked. */
  credentialId: string;
  /** When the credential stops being accepted, ms since the epoch. */
  expiresAt: number;
}

const ISSUER = 'hatang';
/** The only header hatang signs, so the signed bytes of every credential start the same way. */
const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** sha256 digest bits kept in an agent id: a second machine with the same id costs 2^130 tries. */
const ID_DIGEST_CHARS = 26;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A fresh random enrollment token, URL-safe, 32 bytes of entropy. */
export function newEnrollmentToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison of two lowercase hex digests of equal length. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

function base32(bytes: Buffer, chars: number): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < chars) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

/**
 * The identity of one machine at one site in one role, whatever its hostname: what revocation
 * holds on to, so a revoked PC renamed and enrolled again is still revoked. A poller on a machine
 * that also runs a PC agent is a second identity, so their points and revocations never mix.
 * 130 bits of sha256, base32.
 */
export function machineDigest(siteId: string, machineId: string, role: Role = 'agent'): string {
  const input = role === 'agent' ? `${siteId}\n${machineId}` : `${siteId}\n${machineId}\n${role}`;
  return base32(createHash('sha256').update(input).digest(), ID_DIGEST_CHARS);
}

/** The machine digest at the end of an agent id, or undefined for an id of another form. */
export function machineDigestOf(agentId: string): string | undefined {
  const m = /-([a-z2-7]{26})$/.exec(agentId);
  return m?.[1];
}

/**
 * The agent id for a machine enrolling at a site: readable (hostname first) and stable, so a
 * re-enrolled machine keeps its history and a revoked one stays revoked.
 *
 * @example agentIdFor('so-tttt', 'PC-KT-07', '4c4c4544-0042') → 'pc-kt-07-' + 26 base32 characters
 */
export function agentIdFor(
  siteId: string,
  hostname: string,
  machineId: string,
  role: Role = 'agent',
): string {
  const slug =
    hostname
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/đ/gi, 'd')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'host';
  return `${slug}-${machineDigest(siteId, machineId, role)}`;
}

function signature(signedPart: string, signingKey: string): string {
  return createHmac('sha256', signingKey).update(signedPart).digest('base64url');
}

/** A signed credential and when it expires. */
export interface IssuedCredential {
  credential: string;
  identity: Identity;
}

/**
 * Signs a credential valid for `lifetimeMs`. It carries everything needed to verify it, so any
 * collector of the deployment can check it without a database.
 */
export function issueCredential(
  who: { role: Role; subject: string; siteId?: string | undefined },
  signingKey: string,
  lifetimeMs: number,
  now = Date.now(),
): IssuedCredential {
  const iat = Math.floor(now / 1000);
  const exp = Math.floor((now + lifetimeMs) / 1000);
  const jti = randomBytes(12).toString('base64url');
  const payload = {
    iss: ISSUER,
    sub: who.subject,
    role: who.role,
    ...(who.siteId ? { site: who.siteId } : {}),
    iat,
    exp,
    jti,
  };
  const signed = `${HEADER}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return {
    credential: `${signed}.${signature(signed, signingKey)}`,
    identity: {
      role: who.role,
      subject: who.subject,
      ...(who.siteId ? { siteId: who.siteId } : {}),
      credentialId: jti,
      expiresAt: exp * 1000,
    },
  };
}

/** Why a credential was refused; the message is safe to show to the caller. */
export class CredentialError extends Error {}

/**
 * Verifies a credential: the one header hatang signs, a signature that is the exact canonical
 * base64url of the HMAC (no padding, no other spelling of the same bits), this issuer, a known role,
 * a subject, an id and an expiry in the future. Throws a CredentialError saying why not.
 */
export function verifyCredential(token: string, signingKey: string, now = Date.now()): Identity {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => BASE64URL.test(p))) {
    throw new CredentialError('credential is not valid: not three base64url parts');
  }
  const [header, body, sig] = parts as [string, string, string];
  const expected = Buffer.from(signature(`${header}.${body}`, signingKey));
  const given = Buffer.from(sig);
  if (header !== HEADER || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new CredentialError('credential is not valid: signature, issuer or format check failed');
  }
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new CredentialError('credential is not valid: payload is not JSON');
  }
  const { iss, sub, role, site, exp, jti } = payload;
  if (iss !== ISSUER)
    throw new CredentialError('credential is not valid: signature, issuer or format check failed');
  if (typeof sub !== 'string' || !sub || !(roles as readonly string[]).includes(String(role))) {
    throw new CredentialError('credential is not valid: missing subject or role');
  }
  if (typeof jti !== 'string' || typeof exp !== 'number' || !Number.isFinite(exp)) {
    throw new CredentialError(
      'credential is not valid: it has no id or no expiry (issued by an older hatang); enroll again or issue a new one',
    );
  }
  if (exp * 1000 <= now) {
    throw new CredentialError(`credential expired at ${new Date(exp * 1000).toISOString()}`);
  }
  const isMachine = (machineRoles as readonly string[]).includes(String(role));
  if (isMachine && typeof site !== 'string') {
    throw new CredentialError(`credential is not valid: ${String(role)} without site`);
  }
  return {
    role: role as Role,
    subject: sub,
    ...(typeof site === 'string' ? { siteId: site } : {}),
    credentialId: jti,
    expiresAt: exp * 1000,
  };
}
