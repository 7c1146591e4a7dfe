import { Hono } from 'hono';
import { z } from 'zod';
import { type AvailabilityGroup, computeAvailability, currentState, rollUp } from '../availability.js';
import type { AppDeps, AppEnv } from '../context.js';
import { ApiError, problemsMessage } from '../errors.js';
import { requireCredential } from './auth.js';

const MAX_WINDOW_MS = 400 * 86_400_000;

const availabilityQuery = z
  .strictObject({
    from: z.iso.datetime({ offset: true }).optional().describe('start, ISO 8601 (default: 24 h before `to`)'),
    to: z.iso.datetime({ offset: true }).optional().describe('end, ISO 8601 (default: now)'),
    group: z.enum(['endpoint', 'district', 'level']).default('endpoint'),
  })
  .transform((q, ctx) => {
    const to = q.to ? Date.parse(q.to) : Date.now();
    const from = q.from ? Date.parse(q.from) : to - 86_400_000;
    if (from >= to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must be before `to`' });
    if (to - from > MAX_WINDOW_MS)
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'window is longer than 400 days' });
    return { from, to, group: q.group as AvailabilityGroup };
  });

/** Current state of the endpoints and their availability, for operators and auditors. */
export function endpointRoutes(deps: AppDeps) {
  const auth = requireCredential(deps, ['auditor', 'admin']);
  return new Hono<AppEnv>()
    .get('/api/v1/endpoints', auth, async (c) => {
      const state = await currentState(deps.storage, 15 * 60_000, c.req.raw.signal);
      const ids = new Set([...deps.endpoints.map((e) => e.id), ...state.keys()]);
      const known = new Map(deps.endpoints.map((e) => [e.id, e]));
      const endpoints = [...ids].sort().map((id) => {
        const s = state.get(id);
        return {
          ...(known.get(id) ?? { id, registered: false }),
          state: s
            ? {
                up: s.up,
                cause: s.cause || (s.up ? '' : 'down'),
                parent_id: s.parent_id || '',
                loss_percent: s.loss_percent,
                rtt_avg_ms: s.rtt_avg_ms ?? null,
                jitter_ms: s.jitter_ms ?? null,
                at: new Date(Number(s.time)).toISOString(),
              }
            : { up: null, cause: 'no_data', at: null },
        };
      });
      const up = endpoints.filter((e) => e.state.up === true).length;
      const down = endpoints.filter((e) => e.state.up === false).length;
      return c.json({ total: endpoints.length, up, down, no_data: endpoints.length - up - down, endpoints });
    })
    .get('/api/v1/availability', auth, async (c) => {
      const parsed = availabilityQuery.safeParse(c.req.query());
      if (!parsed.success) {
        const problems = parsed.error.issues.map((i) => ({
          path: i.path.join('.') || '(query)',
          message: i.message,
        }));
        throw new ApiError(400, 'invalid_query', problemsMessage('availability query', problems), problems);
      }
      const { from, to, group } = parsed.data;
      const { endpoints, outages } = await computeAvailability(
        deps.storage,
        deps.endpoints,
        from,
        to,
        c.req.raw.signal,
      );
      const rows = group === 'endpoint' ? endpoints : rollUp(endpoints, group);
      return c.json({
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        group,
        rows,
        outages,
      });
    });
}
