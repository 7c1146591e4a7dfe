import { Hono } from 'hono';
import { z } from 'zod';
import {
  availabilityGroups,
  computeAvailability,
  currentState,
  lateSlackFor,
  maxListedOutages,
  rollUp,
} from '../availability.js';
import type { AppDeps, AppEnv } from '../context.js';
import { ApiError, problemsMessage } from '../errors.js';
import { requireCredential } from './auth.js';

const MAX_WINDOW_MS = 400 * 86_400_000;

/**
 * The times InfluxDB can store (signed 64-bit nanoseconds: 1677-09-21T00:12:43Z to
 * 2262-04-11T23:47:16Z), rounded inwards to whole days. A query outside them is an error of InfluxDB's,
 * so it is refused here with the range, not passed on to fail as a 500.
 */
export const storableTimes = {
  from: Date.parse('1677-09-22T00:00:00Z'),
  to: Date.parse('2262-04-11T00:00:00Z'),
} as const;
const rangeText = `${new Date(storableTimes.from).toISOString()} and ${new Date(storableTimes.to).toISOString()}`;

const instant = (name: string) =>
  z.iso
    .datetime({
      offset: true,
      error: `${name} must be an ISO 8601 date-time, e.g. 2026-05-01T00:00:00+07:00`,
    })
    .refine((text) => {
      const t = Date.parse(text);
      return t >= storableTimes.from && t <= storableTimes.to;
    }, `must be between ${rangeText} (the time range InfluxDB stores)`);

const availabilityQuery = z
  .strictObject({
    from: instant('from').optional().describe('start, ISO 8601 (default: 24 h before `to`)'),
    to: instant('to').optional().describe('end, ISO 8601 (default: now; a later end is clipped to now)'),
    group: z
      .enum(availabilityGroups, {
        error: (issue) => `"${String(issue.input)}" is not a grouping: use ${availabilityGroups.join(', ')}`,
      })
      .default('endpoint'),
  })
  .transform((q, ctx) => {
    const now = Date.now();
    const to = q.to ? Date.parse(q.to) : now;
    const from = q.from ? Date.parse(q.from) : to - 86_400_000;
    if (from >= to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must be before `to`' });
    else if (from >= now)
      ctx.addIssue({
        code: 'custom',
        path: ['from'],
        message: 'is in the future: nothing is measured there yet',
      });
    if (to - from > MAX_WINDOW_MS)
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'window is longer than 400 days' });
    return { from, to, group: q.group };
  });

/** Current state of the endpoints and their availability, for operators and auditors. */
export function endpointRoutes(deps: AppDeps) {
  const auth = requireCredential(deps, ['auditor', 'admin']);
  return new Hono<AppEnv>()
    .get('/api/v1/endpoints', auth, async (c) => {
      const registry = deps.registry.current();
      const state = await currentState(deps.storage, 15 * 60_000, c.req.raw.signal);
      const ids = new Set([...registry.endpoints.map((e) => e.id), ...state.keys()]);
      const known = new Map(registry.endpoints.map((e) => [e.id, e]));
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
      return c.json({
        levels: registry.levels,
        total: endpoints.length,
        up,
        down,
        no_data: endpoints.length - up - down,
        endpoints,
      });
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
      const registry = deps.registry.current();
      // Whole hours the server has rolled up (and nothing was written to since) are read from
      // ping_hourly, the same figures from a point per hour; the rest from raw points.
      const result = await computeAvailability(deps.storage, registry.endpoints, from, to, {
        signal: c.req.raw.signal,
        rollups: { lateSlackMs: lateSlackFor(deps.config.storage.timeout) },
      });
      const rows = group === 'endpoint' ? result.endpoints : rollUp(result.endpoints, group);
      return c.json({
        from: new Date(result.fromMs).toISOString(),
        to: new Date(result.toMs).toISOString(),
        requested_to: new Date(to).toISOString(),
        group,
        levels: registry.levels,
        rows,
        outages: result.outages,
        outages_total: result.outagesTotal,
        outages_truncated: result.outagesTotal > result.outages.length,
        outages_listed_max: maxListedOutages,
      });
    });
}
