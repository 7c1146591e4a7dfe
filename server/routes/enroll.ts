import { Hono } from 'hono';
import { z } from 'zod';
import { readJsonBody } from '../body.js';
import type { AppDeps, AppEnv } from '../context.js';
import {
  agentIdFor,
  hashToken,
  type IssuedCredential,
  issueCredential,
  machineRoles,
  type Role,
  sameDigest,
} from '../credentials.js';
import { ApiError, problemsMessage } from '../errors.js';
import { enrollBodyLimits } from '../limits.js';
import { clientAddress, createRateLimiter, sourceKey } from '../rate-limit.js';
import { requireCredential } from './auth.js';

/** What an agent sends once, on its first start. */
export const enrollRequestSchema = z.strictObject({
  token: z.string().min(16).max(256).describe("the site's enrollment token"),
  hostname: z.string().min(1).max(253),
  machine_id: z.string().min(8).max(128).describe('stable machine identity (/etc/machine-id, SMBIOS UUID)'),
  agent_version: z.string().max(64).optional(),
});

export type EnrollRequest = z.infer<typeof enrollRequestSchema>;

/** The answer to enroll and to renew: who the agent is now, and its credential. */
export interface EnrollResponse {
  agent_id: string;
  site_id: string;
  role: Role;
  credential: string;
  /** ISO-8601; the agent renews when a third of the lifetime is left. */
  expires_at: string;
}

function answer(issued: IssuedCredential): EnrollResponse {
  const { identity } = issued;
  return {
    agent_id: identity.subject,
    site_id: identity.siteId ?? '',
    role: identity.role,
    credential: issued.credential,
    expires_at: new Date(identity.expiresAt).toISOString(),
  };
}

export function enrollRoutes(deps: AppDeps) {
  const lifetime = deps.config.auth.credential_lifetime.machine;
  const perSource = createRateLimiter(deps.config.limits.enroll_per_source);
  const perToken = createRateLimiter(deps.config.limits.enroll_per_token);
  return new Hono<AppEnv>()
    .post('/api/v1/enroll', async (c) => {
      // Anyone may call this: the address is charged before a byte of the body is read.
      const source = sourceKey(clientAddress(c));
      perSource.take(source, `enrollments from ${source}`);
      const body = await readJsonBody(c, enrollBodyLimits, c.get('bodyGate'));
      const parsed = enrollRequestSchema.safeParse(body);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((i) => ({
          path: i.path.join('.') || '(body)',
          message: i.message,
        }));
        throw new ApiError(
          400,
          'invalid_enrollment',
          problemsMessage('enrollment request', problems),
          problems,
        );
      }
      const digest = hashToken(parsed.data.token);
      // Compare against every token in constant time so timing does not tell which site exists.
      let site: (typeof deps.config.auth.sites)[number] | undefined;
      let role: Role = 'agent';
      for (const s of deps.config.auth.sites) {
        if (sameDigest(digest, s.enrollment_token_sha256)) [site, role] = [s, 'agent'];
        if (s.poller_token_sha256 && sameDigest(digest, s.poller_token_sha256)) [site, role] = [s, 'poller'];
      }
      if (!site) {
        deps.log.warn({ hostname: parsed.data.hostname }, 'enrollment refused: unknown token');
        throw new ApiError(
          401,
          'invalid_enrollment_token',
          'token: not a valid enrollment token for any site',
        );
      }
      perToken.take(`${site.id}/${role}`, `enrollments with the ${role} token of site "${site.id}"`);
      const agentId = agentIdFor(site.id, parsed.data.hostname, parsed.data.machine_id, role);
      // The id ends with the digest of site and machine identity: a revoked machine stays revoked
      // whatever hostname it enrolls with next.
      if (deps.revocations.isRevoked({ subject: agentId })) {
        deps.log.warn({ agent_id: agentId, site_id: site.id }, 'enrollment refused: machine is revoked');
        throw new ApiError(
          403,
          'revoked',
          `this machine (agent "${agentId}") is revoked; remove it from the revocation list first`,
        );
      }
      const issued = issueCredential(
        { role, subject: agentId, siteId: site.id },
        deps.config.auth.signing_key,
        lifetime,
      );
      deps.log.info(
        { agent_id: agentId, site_id: site.id, role, hostname: parsed.data.hostname },
        'agent enrolled',
      );
      return c.json(answer(issued), 201);
    })
    .post('/api/v1/credential/renew', requireCredential(deps, machineRoles), (c) => {
      // Same subject, site and role, a new expiry: a machine that keeps running never needs its
      // enrollment token again. Expired or revoked credentials never get here.
      const who = c.get('identity');
      const issued = issueCredential(who, deps.config.auth.signing_key, lifetime);
      deps.log.info(
        { agent_id: who.subject, site_id: who.siteId, role: who.role, expires_at: issued.identity.expiresAt },
        'credential renewed',
      );
      return c.json(answer(issued), 200);
    });
}
