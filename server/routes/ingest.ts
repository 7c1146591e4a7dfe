import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { batchSchema, checkAgainstCatalogue, type Point } from '../../protocol/index.js';
import { readJsonBody } from '../body.js';
import type { AppDeps, AppEnv } from '../context.js';
import { ApiError, type Problem, problemsMessage } from '../errors.js';
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
  return new Hono<AppEnv>().post(
    '/api/v1/ingest',
    requireCredential(deps, ['agent']),
    bodyLimit({
      maxSize: limits.body_max_bytes,
      onError: () => {
        throw new ApiError(413, 'body_too_large', `body: larger than ${limits.body_max_bytes} bytes`);
      },
    }),
    async (c) => {
      const started = performance.now();
      const identity = c.get('identity');
      const body = await readJsonBody(c, limits.decompressed_max_bytes);
      const count = (body as { points?: unknown })?.points;
      if (Array.isArray(count) && count.length > limits.points_per_batch) {
        deps.metrics.pointsRejected.inc({ reason: 'too_many_points' }, count.length);
        throw new ApiError(
          413,
          'too_many_points',
          `points: ${count.length} points in one batch, the limit is ${limits.points_per_batch}`,
        );
      }
      const parsed = batchSchema.safeParse(body);
      let problems: Problem[];
      if (!parsed.success) {
        problems = parsed.error.issues.map((i) => ({ path: formatIssuePath(i.path), message: i.message }));
      } else {
        problems = checkAgainstCatalogue(parsed.data.points);
        const latest = Date.now() + FUTURE_SLACK_MS;
        parsed.data.points.forEach((p, i) => {
          if (p.time > latest) problems.push({ path: `points[${i}].time`, message: 'is in the future (check the clock)' });
        });
      }
      if (!parsed.success || problems.length > 0) {
        deps.metrics.pointsRejected.inc({ reason: 'invalid' }, Array.isArray(count) ? count.length : 0);
        throw new ApiError(400, 'invalid_batch', problemsMessage('batch refused', problems), problems);
      }
      const { batch_id, points } = parsed.data;
      const stamp = { agent_id: identity.subject, site_id: identity.siteId ?? 'unknown' };
      const stamped: Point[] = points.map((p) => ({ ...p, tags: { ...p.tags, ...stamp } }));
      try {
        await deps.pipeline.accept(stamped);
      } catch (err) {
        deps.metrics.pointsRejected.inc({ reason: 'unavailable' }, stamped.length);
        if (err instanceof SpoolFullError) deps.metrics.spoolFull.inc();
        throw new ApiError(503, 'unavailable', `batch not stored: ${(err as Error).message}; retry later`, [], {
          cause: err,
          headers: { 'Retry-After': '30' },
        });
      }
      deps.metrics.pointsAccepted.inc({}, stamped.length);
      deps.metrics.requestLatency.observe((performance.now() - started) / 1000);
      deps.log.debug({ agent_id: stamp.agent_id, batch_id, points: stamped.length }, 'batch accepted');
      return c.json({ batch_id, accepted: stamped.length } satisfies IngestResponse, 202);
    },
  );
}

function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : out ? `.${String(k)}` : String(k);
  return out || '(body)';
}
