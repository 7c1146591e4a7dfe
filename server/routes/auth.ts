import type { MiddlewareHandler } from 'hono';
import type { AppDeps, AppEnv } from '../context.js';
import { type Identity, type Role, verifyCredential } from '../credentials.js';
import { ApiError } from '../errors.js';

/** Accepts only `Authorization: Bearer <credential>` signed by this deployment, of one of `roles`. */
export function requireCredential(deps: AppDeps, roles: readonly Role[]): MiddlewareHandler<AppEnv> {
  // Verified credentials, so a busy agent's HMAC is checked once, not per request. Bounded; revocation
  // is still checked on every request below.
  const verified = new Map<string, Identity>();
  return async function credentialCheck(c, next) {
    const header = c.req.header('authorization');
    const token = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
    const challenge = { headers: { 'WWW-Authenticate': 'Bearer realm="hatang"' } };
    if (!token) {
      throw new ApiError(
        401,
        'unauthenticated',
        'authorization: a Bearer credential is required',
        [],
        challenge,
      );
    }
    let identity = verified.get(token);
    if (!identity) {
      try {
        identity = await verifyCredential(token, deps.config.auth.signing_key);
      } catch (err) {
        throw new ApiError(401, 'invalid_credential', (err as Error).message, [], {
          ...challenge,
          cause: err,
        });
      }
      if (verified.size >= 50_000) verified.clear();
      verified.set(token, identity);
    }
    if (!roles.includes(identity.role)) {
      throw new ApiError(
        403,
        'forbidden',
        `role "${identity.role}" may not call this (needs ${roles.join(' or ')})`,
      );
    }
    if (identity.role === 'agent' && deps.revocations.isRevoked(identity.subject)) {
      throw new ApiError(403, 'revoked', `agent "${identity.subject}" is revoked`);
    }
    c.set('identity', identity);
    await next();
  };
}
