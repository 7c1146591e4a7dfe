import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { sign, verify } from 'hono/jwt';

export type Role = 'agent' | 'auditor' | 'admin';

/** Who is calling, as proven by a credential this deployment signed. */
export interface Identity {
  role: Role;
  /** For agents: the agent id stamped on its points. For people: a name for the logs. */
  subject: string;
  /** For agents: the site stamped on its points. */
  siteId?: string;
}

const ALG = 'HS256' as const;
const ISSUER = 'hatang';

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

/**
 * The agent id for a machine enrolling at a site: readable (hostname first) and stable, so a
 * re-enrolled machine keeps its history and a revoked one stays revoked.
 *
 * @example agentIdFor('so-tttt', 'PC-KT-07', '4c4c4544-0042') → 'pc-kt-07-1f3a9c'
 */
export function agentIdFor(siteId: string, hostname: string, machineId: string): string {
  const slug =
    hostname
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'host';
  const digest = createHash('sha256').update(`${siteId}\n${machineId}`).digest('hex').slice(0, 6);
  return `${slug}-${digest}`;
}

/** Signs a credential. It carries everything needed to verify it, so any collector can check it. */
export function issueCredential(identity: Identity, signingKey: string): Promise<string> {
  return sign(
    {
      iss: ISSUER,
      sub: identity.subject,
      role: identity.role,
      ...(identity.siteId ? { site: identity.siteId } : {}),
      iat: Math.floor(Date.now() / 1000),
      jti: randomBytes(9).toString('base64url'),
    },
    signingKey,
    ALG,
  );
}

/** Verifies a credential's signature and shape; throws a lowercase "why" when it is not valid. */
export async function verifyCredential(token: string, signingKey: string): Promise<Identity> {
  let payload: Record<string, unknown>;
  try {
    payload = (await verify(token, signingKey, { alg: ALG, iss: ISSUER })) as Record<string, unknown>;
  } catch (err) {
    throw new Error('credential is not valid: signature, issuer or format check failed', { cause: err });
  }
  const { sub, role, site } = payload;
  if (typeof sub !== 'string' || !['agent', 'auditor', 'admin'].includes(String(role))) {
    throw new Error('credential is not valid: missing subject or role');
  }
  if (role === 'agent' && typeof site !== 'string')
    throw new Error('credential is not valid: agent without site');
  return { role: role as Role, subject: sub, ...(typeof site === 'string' ? { siteId: site } : {}) };
}
