import { Hono } from 'hono';
import type { AppDeps, AppEnv } from '../context.js';

/** `/healthz` for load balancers and people, `/metrics` for Prometheus. */
export function healthRoutes(deps: AppDeps) {
  return new Hono<AppEnv>()
    .get('/healthz', async (c) => {
      const influxUp = await deps.storage.ping(1_000);
      deps.metrics.influxUp.set({}, influxUp ? 1 : 0);
      const spoolFull = deps.spool.bytes >= deps.config.spool.max_bytes * 0.99;
      // Still healthy while InfluxDB is down: batches are spooled. Unhealthy only when they cannot be.
      const status = spoolFull ? 'unavailable' : influxUp ? 'ok' : 'degraded';
      return c.json(
        {
          status,
          instance: deps.config.instance,
          influxdb: { up: influxUp, target: deps.storage.describe },
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
      deps.metrics.spoolBytes.set({}, deps.spool.bytes);
      deps.metrics.spoolPoints.set({}, deps.spool.points);
      deps.metrics.seriesKnown.set({}, deps.series.size);
      return c.text(deps.metrics.render(), 200, { 'content-type': 'text/plain; version=0.0.4' });
    });
}
