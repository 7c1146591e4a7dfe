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
      const spoolFull = deps.spool.bytes >= deps.config.spool.max_bytes * 0.99;
      // Still healthy while InfluxDB is down: batches are spooled. Unhealthy only when they cannot be.
      const status = spoolFull ? 'unavailable' : influxUp ? 'ok' : 'degraded';
      return c.json(
        {
          status,
          instance: deps.config.instance,
          influxdb: { up: influxUp, ...(presentsToken(c) ? { target: deps.storage.describe } : {}) },
          spool: {
            bytes: deps.spool.bytes,
            points: deps.spool.points,
            max_bytes: deps.config.spool.max_bytes,
            replaying: deps.pipeline.replaying,
          },
        },
        spoolFull ? 503 : 200,
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
      deps.metrics.spoolBytes.set({}, deps.spool.bytes);
      deps.metrics.spoolPoints.set({}, deps.spool.points);
      deps.metrics.seriesKnown.set({}, deps.series.size);
      return c.text(deps.metrics.render(), 200, { 'content-type': 'text/plain; version=0.0.4' });
    });
}
