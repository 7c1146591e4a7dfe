import { Hono } from 'hono';
import { type Point, validateBatch } from '../../protocol/index.js';
import { readJsonBody } from '../body.js';
import type { AppDeps, AppEnv } from '../context.js';
import { ApiError, problemsMessage } from '../errors.js';
import { ingestBodyLimits, limitInFlightPerCredential } from '../limits.js';
import { SpoolFullError } from '../spool.js';
import { requireCredential } from './auth.js';

/** The ingest answer: the batch is durable (in InfluxDB or fsynced to the spool). */
export interface IngestResponse {
  batch_id: string;
  accepted: number;
}

/** Latest time accepted: a point from the future is a broken clock, and would hide newer data. */
const FUTURE_SLACK_MS = 10 * 60_000;

export function ingestRoutes(deps: AppDeps) {
  const { limits } = deps.config;
  const bodyLimits = ingestBodyLimits(limits);
  return new Hono<AppEnv>().post(
    '/api/v1/ingest',
    requireCredential(deps, ['agent']),
    // Body bounds (raw, inflated, JSON shape) are applied by readJsonBody as it reads.
    limitInFlightPerCredential(limits.in_flight_per_credential),
    async (c) => {
      const started = performance.now();
      const identity = c.get('identity');
      const body = await readJsonBody(c, bodyLimits, c.get('bodyGate'));
      const count = (body as { points?: unknown })?.points;
      if (Array.isArray(count) && count.length > limits.points_per_batch) {
        // Not counted in points_rejected: the length is the client's claim (requests_rejected counts it).
        throw new ApiError(
          413,
          'too_many_points',
          `points: ${count.length} points in one batch, the limit is ${limits.points_per_batch}`,
        );
      }
      const { batch, problems } = validateBatch(body, limits.points_per_batch);
      const latest = Date.now() + FUTURE_SLACK_MS;
      batch?.points.forEach((p, i) => {
        if (p.time > latest)
          problems.push({ path: `points[${i}].time`, message: 'is in the future (check the clock)' });
      });
      if (!batch || problems.length > 0) {
        deps.metrics.pointsRejected.inc({ reason: 'invalid' }, Array.isArray(count) ? count.length : 0);
        throw new ApiError(400, 'invalid_batch', problemsMessage('batch refused', problems), problems);
      }
      const { batch_id, points } = batch;
      // The parsed body is ours alone: stamp identity in place rather than copy every point.
      const agentId = identity.subject;
      const siteId = identity.siteId ?? 'unknown';
      const stamped: Point[] = points;
      for (const p of stamped) {
        p.tags.agent_id = agentId;
        p.tags.site_id = siteId;
      }
      try {
        await deps.pipeline.accept(stamped);
      } catch (err) {
        deps.metrics.pointsRejected.inc({ reason: 'unavailable' }, stamped.length);
        if (err instanceof SpoolFullError) deps.metrics.spoolFull.inc();
        throw new ApiError(
          503,
          'unavailable',
          `batch not stored: ${(err as Error).message}; retry later`,
          [],
          {
            cause: err,
            headers: { 'Retry-After': '30' },
          },
        );
      }
      deps.metrics.pointsAccepted.inc({}, stamped.length);
      deps.metrics.requestLatency.observe((performance.now() - started) / 1000);
      deps.log.debug({ agent_id: agentId, batch_id, points: stamped.length }, 'batch accepted');
      return c.json({ batch_id, accepted: stamped.length } satisfies IngestResponse, 202);
    },
  );
}
