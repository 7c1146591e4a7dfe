import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import type { Logger } from 'pino';
import { loadEndpoints } from '../lib/endpoints/index.js';
import { serverHealth } from '../protocol/index.js';
import { createApp } from './app.js';
import type { ServerConfig } from './config.js';
import type { AppDeps } from './context.js';
import { createMetrics } from './metrics.js';
import { WritePipeline } from './pipeline.js';
import { loadDatacenter } from './readiness/declaration.js';
import { createReadiness, startReadinessSchedule } from './readiness/service.js';
import { RevocationList } from './revocation.js';
import { SeriesGuard } from './series-guard.js';
import { Spool } from './spool.js';
import { createStorage } from './storage/index.js';

export interface RunningServer {
  url: string;
  deps: AppDeps;
  /** Stops taking requests, lets open ones finish (up to the grace period) and drains writes. */
  close(): Promise<void>;
}

/** Opens the spool, connects storage, serves the app; resolves once listening. */
export async function startServer(config: ServerConfig, log: Logger): Promise<RunningServer> {
  const metrics = createMetrics();
  const storage = createStorage(config.storage);
  const spool = await Spool.open(config.spool.dir, {
    maxBytes: config.spool.max_bytes,
    segmentBytes: config.spool.segment_bytes,
    log,
  });
  const pipeline = new WritePipeline({
    storage,
    spool,
    metrics,
    log,
    batchMaxPoints: config.write.batch_max_points,
    lingerMs: config.write.linger,
    concurrency: config.write.concurrency,
    ackTimeoutMs: config.write.ack_timeout,
  });
  const deps: AppDeps = {
    config,
    log,
    metrics,
    storage,
    spool,
    pipeline,
    revocations: new RevocationList(
      [...config.auth.revoked, ...config.auth.revoked_agents],
      config.auth.revocation_file,
      log,
    ),
    series: await SeriesGuard.open(join(config.spool.dir, 'known-series.txt'), {
      perSitePerHour: config.ingest.new_series_per_site_per_hour,
      perAgentPerHour: config.ingest.new_series_per_agent_per_hour,
      log,
    }),
    endpoints: config.endpoints_file ? loadEndpoints(config.endpoints_file) : [],
    ...(config.readiness
      ? {
          readiness: createReadiness({
            declaration: loadDatacenter(config.readiness.datacenter_file, {
              siteIds: config.auth.sites.map((s) => s.id),
            }),
            storage,
            staleAfterMs: config.readiness.stale_after,
            log,
          }),
        }
      : {}),
  };
  try {
    await storage.prepare();
    metrics.influxUp.set({}, 1);
  } catch (err) {
    // Not fatal: batches are spooled until InfluxDB answers, and the replayer prepares it then.
    log.warn({ err, storage: storage.describe }, 'influxdb not reachable at start; spooling until it is');
    metrics.influxUp.set({}, 0);
  }
  pipeline.start();

  const app = createApp(deps);
  const tls = config.listen.tls;
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve(
      {
        fetch: app.fetch,
        hostname: config.listen.host,
        port: config.listen.port,
        ...(tls
          ? {
              createServer: createHttpsServer,
              serverOptions: { cert: readFileSync(tls.cert_file), key: readFileSync(tls.key_file) },
            }
          : {}),
      },
      () => resolve(s),
    );
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const url = `${tls ? 'https' : 'http'}://${config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host}:${port}`;
  log.info({ url, storage: storage.describe, spool: config.spool.dir }, 'hatang server listening');

  const healthTimer = setInterval(() => {
    pipeline
      .accept([
        {
          measurement: serverHealth.name,
          tags: { instance: config.instance },
          fields: {
            spool_bytes: spool.bytes,
            spool_points: spool.points,
            points_accepted: metrics.pointsAccepted.get(),
            points_rejected: metrics.pointsRejected.total(),
            write_errors: metrics.writeErrors.get(),
            series_known: deps.series.size,
            series_refused: deps.series.refused,
          },
          time: Date.now(),
        },
      ])
      .catch((err) => log.warn({ err }, 'server_health not stored'));
  }, config.health_interval);
  healthTimer.unref();
  const readinessSchedule =
    deps.readiness && config.readiness
      ? startReadinessSchedule(deps.readiness, {
          intervalMs: config.readiness.interval,
          write: (points) => pipeline.accept(points),
          log,
        })
      : undefined;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      clearInterval(healthTimer);
      readinessSchedule?.stop();
      log.info('shutting down: finishing open requests');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const httpServer = server as unknown as {
        closeIdleConnections?: () => void;
        closeAllConnections?: () => void;
      };
      httpServer.closeIdleConnections?.();
      const deadline = setTimeout(() => httpServer.closeAllConnections?.(), config.shutdown_grace);
      await closed;
      clearTimeout(deadline);
      await pipeline.drain();
      await spool.close();
      await deps.series.flushed();
      log.info({ spool_points: spool.points }, 'shut down');
    })();
    return closing;
  };
  return { url, deps, close };
}
