import { Hono } from 'hono';
import { z } from 'zod';
import type { AppDeps, AppEnv } from '../context.js';
import { ApiError, problemsMessage } from '../errors.js';
import { disclaimer } from '../readiness/criteria.js';
import { requireCredential } from './auth.js';

const readinessQuery = z.strictObject({
  site: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a data-center site id')
    .optional()
    .describe('one data-center site of config/datacenter.yaml (default: all)'),
});

/** GET /api/v1/readiness: the TIA-942 readiness self-assessment, evaluated now, for auditors and admins. */
export function readinessRoutes(deps: AppDeps) {
  const auth = requireCredential(deps, ['auditor', 'admin']);
  return new Hono<AppEnv>().get('/api/v1/readiness', auth, async (c) => {
    const readiness = deps.readiness;
    if (!readiness) {
      throw new ApiError(404, 'not_configured', 'readiness: no readiness.datacenter_file in server.yaml');
    }
    const parsed = readinessQuery.safeParse(c.req.query());
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => ({
        path: i.path.join('.') || '(query)',
        message: i.message,
      }));
      throw new ApiError(400, 'invalid_query', problemsMessage('readiness query', problems), problems);
    }
    const { site } = parsed.data;
    if (site !== undefined && !readiness.sites.includes(site)) {
      throw new ApiError(
        404,
        'unknown_site',
        `readiness: no data-center site "${site}" (known: ${readiness.sites.join(', ')})`,
      );
    }
    const sites = await readiness.evaluate({ ...(site ? { site } : {}), signal: c.req.raw.signal });
    return c.json({ label: disclaimer.en, sites });
  });
}
