import type { MiddlewareHandler } from 'hono';
import type { AppDeps, AppEnv } from '../context.js';
import { CredentialError, type Identity, type Role, verifyCredential } from '../credentials.js';
import { ApiError } from '../errors.js';

/** Verified credentials kept, so a busy agent's HMAC is checked once, not on every request. */
const CACHE_MAX = 50_000;

/**
 * Accepts only `Authorization: Bearer <credential>` signed by this deployment, not expired, not
 * revoked, of one of `roles`. Expiry and revocation are checked on every request, whoever calls.
 */
export function requireCredential(deps: AppDeps, roles: readonly Role[]): MiddlewareHandler<AppEnv> {
  const verified = new Map<string, Identity>();
  return async function credentialCheck(c, next) {
    const header = c.req.header('authorization');
    const token = header?.match(/^bearer +([A-Za-z0-9._-]{1,4096})$/i)?.[1];
    const challenge = { headers: { 'WWW-Authenticate': 'Bearer realm="hatang"' } };
    if (!token) {
      const message = header
        ? 'authorization: expected "Bearer <credential>"'
        : 'authorization: a Bearer credential is required';
      throw new ApiError(401, 'unauthenticated', message, [], challenge);
    }
    const now = Date.now();
    let identity = verified.get(token);
    if (!identity || identity.expiresAt <= now) {
      verified.delete(token);
      try {
        identity = verifyCredential(token, deps.config.auth.signing_key, now);
      } catch (err) {
        if (!(err instanceof CredentialError)) throw err;
        throw new ApiError(401, 'invalid_credential', err.message, [], { ...challenge, cause: err });
      }
      if (verified.size >= CACHE_MAX) verified.clear();
      verified.set(token, identity);
    }
    if (deps.revocations.isRevoked(identity)) {
      throw new ApiError(403, 'revoked', `${identity.role} "${identity.subject}" is revoked`);
    }
    if (!roles.includes(identity.role)) {
      throw new ApiError(
        403,
        'forbidden',
        `role "${identity.role}" may not call this (needs ${roles.join(' or ')})`,
      );
    }
    c.set('identity', identity);
    await next();
  };
}
