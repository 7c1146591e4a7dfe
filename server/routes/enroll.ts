import { Hono } from 'hono';
import { z } from 'zod';
import { readJsonBody } from '../body.js';
import type { AppDeps, AppEnv } from '../context.js';
import { agentIdFor, hashToken, issueCredential, sameDigest } from '../credentials.js';
import { ApiError, problemsMessage } from '../errors.js';
import { enrollBodyLimits } from '../limits.js';
import { clientAddress, createRateLimiter, sourceKey } from '../rate-limit.js';

/** What an agent sends once, on its first start. */
export const enrollRequestSchema = z.strictObject({
  token: z.string().min(16).max(256).describe("the site's enrollment token"),
  hostname: z.string().min(1).max(253),
  machine_id: z.string().min(8).max(128).describe('stable machine identity (/etc/machine-id, SMBIOS UUID)'),
  agent_version: z.string().max(64).optional(),
});

export type EnrollRequest = z.infer<typeof enrollRequestSchema>;

export interface EnrollResponse {
  agent_id: string;
  site_id: string;
  credential: string;
}

export function enrollRoutes(deps: AppDeps) {
  const perSource = createRateLimiter(deps.config.limits.enroll_per_source);
  const perToken = createRateLimiter(deps.config.limits.enroll_per_token);
  return new Hono<AppEnv>().post('/api/v1/enroll', async (c) => {
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
    // Compare against every site in constant time so timing does not tell which site exists.
    let site: (typeof deps.config.auth.sites)[number] | undefined;
    for (const s of deps.config.auth.sites) if (sameDigest(digest, s.enrollment_token_sha256)) site = s;
    if (!site) {
      deps.log.warn({ hostname: parsed.data.hostname }, 'enrollment refused: unknown token');
      throw new ApiError(401, 'invalid_enrollment_token', 'token: not a valid enrollment token for any site');
    }
    perToken.take(site.id, `enrollments with the token of site "${site.id}"`);
    const agentId = agentIdFor(site.id, parsed.data.hostname, parsed.data.machine_id);
    if (deps.revocations.isRevoked(agentId)) {
      throw new ApiError(
        403,
        'revoked',
        `agent "${agentId}" is revoked; remove it from the revocation list first`,
      );
    }
    const credential = await issueCredential(
      { role: 'agent', subject: agentId, siteId: site.id },
      deps.config.auth.signing_key,
    );
    deps.log.info({ agent_id: agentId, site_id: site.id, hostname: parsed.data.hostname }, 'agent enrolled');
    return c.json({ agent_id: agentId, site_id: site.id, credential } satisfies EnrollResponse, 201);
  });
}
