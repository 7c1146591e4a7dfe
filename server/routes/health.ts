import { type Context, Hono } from 'hono';
import type { AppDeps, AppEnv } from '../context.js';
import { hashToken, sameDigest } from '../credentials.js';
import { ApiError } from '../errors.js';

/**
 * `/healthz` for load balancers and people, `/metrics` for Prometheus. With
 * `listen.metrics_token_sha256` set, `/metrics` needs that token as a Bearer credential and
 * `/healthz` names its storage (URL, database) only to a caller presenting it; without the token
 * the storage is never named.
 */
export function healthRoutes(deps: AppDeps) {
  const expected = deps.config.listen.metrics_token_sha256;
  const presentsToken = (c: Context) => {
    const token = c.req.header('authorization')?.match(/^Bearer\s+(\S{1,512})$/i)?.[1];
    return expected !== undefined && token !== undefined && sameDigest(hashToken(token), expected);
  };
  // One InfluxDB ping per second however many ask: /healthz is anonymous, and a flood of it must
  // not become a flood of pings.
  let lastPing: { at: number; up: Promise<boolean> } | undefined;
  const pingInflux = () => {
    const now = Date.now();
    if (!lastPing || now - lastPing.at >= 1_000) lastPing = { at: now, up: deps.storage.ping(1_000) };
    return lastPing.up;
  };
  return new Hono<AppEnv>()
    .get('/healthz', async (c) => {
      const influxUp = await pingInflux();
      deps.metrics.influxUp.set({}, influxUp ? 1 : 0);
      // A full disk is looked at again here, so the answer turns healthy as soon as space returns.
      await deps.spool.probeDisk().catch(() => true);
      const full = deps.spool.full ?? spoolOverLimit(deps);
      const replay = deps.pipeline.replayStatus;
      const reasons: string[] = [];
      if (full) reasons.push(`spool full (${full.reason}): ${full.detail}`);
      if (!influxUp) reasons.push('influxdb not answering /ping: batches are spooled');
      if (replay.state === 'stalled') reasons.push(`spool replay makes no progress: ${replay.error}`);
      // Still healthy while InfluxDB is down: batches are spooled. Unhealthy only when they cannot be.
      const status = full ? 'unavailable' : reasons.length > 0 ? 'degraded' : 'ok';
      return c.json(
        {
          status,
          reasons,
          instance: deps.config.instance,
          influxdb: { up: influxUp, ...(presentsToken(c) ? { target: deps.storage.describe } : {}) },
          spool: {
            bytes: deps.spool.bytes,
            points: deps.spool.points,
            max_bytes: deps.config.spool.max_bytes,
            full: full ?? null,
            replaying: deps.pipeline.replaying,
            replay,
            dead_letters: deps.spool.deadLetters,
            missing_points: deps.spool.missingPoints,
          },
        },
        full ? 503 : 200,
      );
    })
    .get('/metrics', (c) => {
      if (expected !== undefined && !presentsToken(c)) {
        throw new ApiError(
          401,
          'unauthenticated',
          'authorization: /metrics needs the metrics Bearer token',
          [],
          {
            headers: { 'WWW-Authenticate': 'Bearer realm="hatang-metrics"' },
          },
        );
      }
      const dead = deps.spool.deadLetters;
      const m = deps.metrics;
      m.spoolBytes.set({}, deps.spool.bytes);
      m.spoolPoints.set({}, deps.spool.points);
      m.spoolDiskFull.set({}, deps.spool.full?.reason === 'disk_full' ? 1 : 0);
      m.deadLetterBytes.set({}, dead.bytes);
      m.deadLetterPoints.set({}, dead.points);
      m.deadLetterDropped.set({}, dead.dropped_points);
      m.spoolMissing.set({}, deps.spool.missingPoints);
      m.seriesKnown.set({}, deps.series.size);
      return c.text(m.render(), 200, { 'content-type': 'text/plain; version=0.0.4' });
    });
}

/** Within 1 % of spool.max_bytes: the next batch would not fit. */
function spoolOverLimit(deps: AppDeps) {
  const { max_bytes } = deps.config.spool;
  if (deps.spool.bytes < max_bytes * 0.99) return undefined;
  return {
    reason: 'max_bytes' as const,
    since: '',
    detail: `${deps.spool.bytes} of ${max_bytes} bytes used`,
  };
}
