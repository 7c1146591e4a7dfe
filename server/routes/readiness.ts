import { Hono } from 'hono';
import { z } from 'zod';
import type { AppDeps, AppEnv } from '../context.js';
import { ApiError, problemsMessage } from '../errors.js';
import { disclaimer } from '../readiness/criteria.js';
import { scorecardPoints } from '../readiness/service.js';
import { requireCredential } from './auth.js';

const readinessQuery = z.strictObject({
  site: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a data-center site id')
    .optional()
    .describe('one data-center site of config/datacenter.yaml (default: all)'),
});

/**
 * GET /api/v1/readiness: the TIA-942 readiness self-assessment, evaluated now, for auditors and
 * admins. POST /api/v1/readiness/evaluate (admin): the same, also written to InfluxDB as
 * dc_readiness / dc_criterion, as the schedule does.
 */
export function readinessRoutes(deps: AppDeps) {
  const auth = requireCredential(deps, ['auditor', 'admin']);
  const admin = requireCredential(deps, ['admin']);
  return new Hono<AppEnv>()
    .get('/api/v1/readiness', auth, async (c) =>
      c.json(await scorecards(deps, c.req.query(), c.req.raw.signal)),
    )
    .post('/api/v1/readiness/evaluate', admin, async (c) => {
      const now = Date.now();
      const answer = await scorecards(deps, c.req.query(), c.req.raw.signal, now);
      await deps.pipeline.accept(answer.sites.flatMap((card) => scorecardPoints(card, now)));
      return c.json(answer);
    });
}

async function scorecards(
  deps: AppDeps,
  query: Record<string, string>,
  signal: AbortSignal,
  now = Date.now(),
) {
  const readiness = deps.readiness;
  if (!readiness) {
    throw new ApiError(404, 'not_configured', 'readiness: no readiness.datacenter_file in server.yaml');
  }
  const parsed = readinessQuery.safeParse(query);
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
  const sites = await readiness.evaluate({ ...(site ? { site } : {}), signal, now });
  return { label: disclaimer.en, sites };
}
