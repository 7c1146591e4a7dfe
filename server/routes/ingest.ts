import { Hono } from 'hono';
import { lookupMeasurement, type Point, validateBatch } from '../../protocol/index.js';
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

export function ingestRoutes(deps: AppDeps) {
  const { limits, ingest } = deps.config;
  const bodyLimits = ingestBodyLimits(limits);
  return new Hono<AppEnv>().post(
    '/api/v1/ingest',
    requireCredential(deps, ['agent', 'poller']),
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
      if (batch) problems.push(...timeProblems(batch.points, ingest.max_point_age, ingest.max_clock_skew));
      if (!batch || problems.length > 0) {
        deps.metrics.pointsRejected.inc({ reason: 'invalid' }, Array.isArray(count) ? count.length : 0);
        throw new ApiError(400, 'invalid_batch', problemsMessage('batch refused', problems), problems);
      }
      const forbidden = forbiddenProblems(batch.points, identity.role);
      if (forbidden.length > 0) {
        deps.metrics.pointsRejected.inc({ reason: 'forbidden' }, batch.points.length);
        deps.log.warn(
          { agent_id: identity.subject, role: identity.role, problem: forbidden[0] },
          'batch refused: measurement not writable by this role',
        );
        throw new ApiError(
          403,
          'forbidden_measurement',
          problemsMessage('batch refused', forbidden),
          forbidden,
        );
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
      const refusal = deps.series.admit(stamped, siteId, agentId);
      if (refusal) {
        deps.metrics.pointsRejected.inc({ reason: 'series_limit' }, stamped.length);
        deps.metrics.seriesRefused.inc({ scope: refusal.scope }, refusal.wanted);
        throw new ApiError(
          429,
          'series_limit',
          `batch would create ${refusal.wanted} new series; this ${refusal.scope} may create ${refusal.limit} an hour (ingest.new_series_per_${refusal.scope}_per_hour); the batch waits in the agent's queue`,
          [],
          { headers: { 'Retry-After': String(refusal.retryAfterSeconds) } },
        );
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

/**
 * Points outside the accepted time window: older than `maxAgeMs` (a backlog legitimately queued
 * while offline is younger; older history could rewrite what auditors already read, and every
 * week of it costs InfluxDB a shard) or further ahead than `skewMs` (a broken clock).
 */
export function timeProblems(points: readonly Point[], maxAgeMs: number, skewMs: number, now = Date.now()) {
  const problems: { path: string; message: string }[] = [];
  const earliest = now - maxAgeMs;
  const latest = now + skewMs;
  points.forEach((p, i) => {
    if (p.time < earliest) {
      problems.push({
        path: `points[${i}].time`,
        message: `${new Date(p.time).toISOString()} is older than the accepted ${Math.round(maxAgeMs / 3_600_000)} h (ingest.max_point_age)`,
      });
    } else if (p.time > latest) {
      problems.push({
        path: `points[${i}].time`,
        message: `${new Date(p.time).toISOString()} is in the future (check the clock)`,
      });
    }
  });
  return problems;
}

/** Points of measurements the caller's role may not write, each named with the role that may. */
export function forbiddenProblems(points: readonly Point[], role: string) {
  const problems: { path: string; message: string }[] = [];
  points.forEach((p, i) => {
    const writers = lookupMeasurement(p.measurement)?.writers ?? [];
    if (!(writers as readonly string[]).includes(role)) {
      const who = writers.includes('server')
        ? 'only the server itself'
        : `only ${writers.join(' or ')} credentials`;
      problems.push({
        path: `points[${i}].measurement`,
        message: `role "${role}" may not write "${p.measurement}" (${who})`,
      });
    }
  });
  return problems;
}
