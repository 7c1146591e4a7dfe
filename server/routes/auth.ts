import type { MiddlewareHandler } from 'hono';
import type { AppDeps, AppEnv } from '../context.js';
import { type Role, verifyCredential } from '../credentials.js';
import { ApiError } from '../errors.js';

/** Accepts only `Authorization: Bearer <credential>` signed by this deployment, of one of `roles`. */
export function requireCredential(deps: AppDeps, roles: readonly Role[]): MiddlewareHandler<AppEnv> {
  return async function credentialCheck(c, next) {
    const header = c.req.header('authorization');
    const token = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
    const challenge = { headers: { 'WWW-Authenticate': 'Bearer realm="hatang"' } };
    if (!token) {
      throw new ApiError(401, 'unauthenticated', 'authorization: a Bearer credential is required', [], challenge);
    }
    let identity: Awaited<ReturnType<typeof verifyCredential>>;
    try {
      identity = await verifyCredential(token, deps.config.auth.signing_key);
    } catch (err) {
      throw new ApiError(401, 'invalid_credential', (err as Error).message, [], { ...challenge, cause: err });
    }
    if (!roles.includes(identity.role)) {
      throw new ApiError(403, 'forbidden', `role "${identity.role}" may not call this (needs ${roles.join(' or ')})`);
    }
    if (identity.role === 'agent' && deps.revocations.isRevoked(identity.subject)) {
      throw new ApiError(403, 'revoked', `agent "${identity.subject}" is revoked`);
    }
    c.set('identity', identity);
    await next();
  };
}
