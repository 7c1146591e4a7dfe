import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import type { Logger } from 'pino';
import { StartError } from '../lib/config.js';
import { serverHealth } from '../protocol/index.js';
import { createApp } from './app.js';
import { assetRegisterFile, staticAssets } from './assets.js';
import { lateSlackFor } from './availability.js';
import type { ServerConfig } from './config.js';
import type { AppDeps } from './context.js';
import { createMetrics } from './metrics.js';
import { WritePipeline } from './pipeline.js';
import { loadDatacenter } from './readiness/declaration.js';
import { createReadiness, startReadinessSchedule } from './readiness/service.js';
import { registryFile, staticRegistry } from './registry.js';
import { RevocationList } from './revocation.js';
import { createRollups, lateHourMarks, startRollupSchedule } from './rollups.js';
import { SeriesGuard } from './series-guard.js';
import { startSnapshotSchedule } from './snapshot/service.js';
import { snapshotServiceFor } from './snapshot/setup.js';
import { Spool } from './spool.js';
import { lockSpool, type SpoolLock } from './spool-lock.js';
import { createStorage } from './storage/index.js';

export interface RunningServer {
  url: string;
  deps: AppDeps;
  /** Stops taking requests, lets open ones finish (up to the grace period) and drains writes. */
  close(): Promise<void>;
}

/** Reads the TLS certificate and key; a StartError naming the file when one cannot be read. */
function readTls(tls: ServerConfig['listen']['tls']): { cert: Buffer; key: Buffer } | undefined {
  if (!tls) return undefined;
  const read = (key: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new StartError(
        `listen.tls.${key} ${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  };
  return { cert: read('cert_file', tls.cert_file), key: read('key_file', tls.key_file) };
}

/**
 * Takes the spool directory (refused while another server holds it), opens the spool, connects
 * storage, serves the app; resolves once listening. Files it needs are read before anything is created.
 */
export async function startServer(config: ServerConfig, log: Logger): Promise<RunningServer> {
  const tlsFiles = readTls(config.listen.tls);
  let lock: SpoolLock;
  try {
    lock = await lockSpool(config.spool.dir);
  } catch (err) {
    throw new StartError((err as Error).message, { cause: err });
  }
  try {
    return await startLocked(config, log, tlsFiles, lock);
  } catch (err) {
    await lock.release();
    throw err;
  }
}

async function startLocked(
  config: ServerConfig,
  log: Logger,
  tlsFiles: ReturnType<typeof readTls>,
  lock: SpoolLock,
): Promise<RunningServer> {
  const metrics = createMetrics();
  const storage = createStorage(config.storage, config.write.max_body_bytes, log);
  const spool = await Spool.open(config.spool.dir, {
    maxBytes: config.spool.max_bytes,
    segmentBytes: config.spool.segment_bytes,
    deadMaxBytes: config.spool.dead_max_bytes,
    log,
  });
  const pipeline = new WritePipeline({
    storage,
    spool,
    metrics,
    log,
    batchMaxPoints: config.write.batch_max_points,
    maxBodyBytes: config.write.max_body_bytes,
    lingerMs: config.write.linger,
    concurrency: config.write.concurrency,
    replayConcurrency: config.write.replay_concurrency,
    ackTimeoutMs: config.write.ack_timeout,
    marks: lateHourMarks,
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
    registry: config.endpoints_file ? registryFile(config.endpoints_file, { log }) : staticRegistry(),
    assets: config.assets.file
      ? assetRegisterFile(config.assets.file, { log, sites: config.auth.sites.map((s) => s.id) })
      : staticAssets(),
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

  deps.snapshots = snapshotServiceFor(
    config,
    {
      storage,
      registry: deps.registry,
      assets: deps.assets ?? staticAssets(),
      ...(deps.readiness ? { readiness: deps.readiness } : {}),
    },
    log,
  );
  const app = createApp(deps);
  let shuttingDown = false;
  /**
   * After SIGTERM a keep-alive connection must not keep the server busy for the whole grace period:
   * new requests get 503 with Retry-After (an agent moves to its next server URL), every answer
   * from then on carries `Connection: close`, and requests already in flight finish normally.
   */
  const fetch = async (req: Request, env: unknown): Promise<Response> => {
    if (shuttingDown) return shuttingDownResponse();
    const res = await app.fetch(req, env);
    if (shuttingDown) {
      try {
        res.headers.set('connection', 'close');
      } catch {
        // Immutable headers (a proxied response): Node closes idle connections at close anyway.
      }
    }
    return res;
  };
  const tls = config.listen.tls;
  // A client dripping its headers or body a byte at a time is cut off (408) instead of holding a
  // connection and its buffered body for Node's default five minutes; checked every second.
  const slowClientTimeouts = {
    requestTimeout: config.limits.request_timeout,
    headersTimeout: Math.min(config.limits.request_timeout, 10_000),
    connectionsCheckingInterval: 1_000,
  };
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve(
      {
        fetch,
        hostname: config.listen.host,
        port: config.listen.port,
        serverOptions: {
          ...slowClientTimeouts,
          ...(tlsFiles ?? {}),
        },
        ...(tls ? { createServer: createHttpsServer } : {}),
      },
      () => resolve(s),
    );
    s.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE' || err.code === 'EACCES'
          ? new StartError(
              `listen ${config.listen.host}:${config.listen.port}: ${err.code === 'EADDRINUSE' ? 'the port is taken by another process' : 'not allowed'} (${err.code})`,
              { cause: err },
            )
          : err,
      ),
    );
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

  const rollupSchedule = startRollupSchedule(
    createRollups({
      storage,
      write: (points) => pipeline.accept(points),
      log,
      maxPointAgeMs: config.ingest.max_point_age,
      recheckIntervalMs: config.rollups.recheck_interval,
      lateSlackMs: lateSlackFor(config.storage.timeout),
    }),
    { intervalMs: config.rollups.interval, recheckIntervalMs: config.rollups.recheck_interval, log },
  );
  const snapshotSchedule = startSnapshotSchedule(deps.snapshots, config.snapshots.schedule, { log });

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      clearInterval(healthTimer);
      readinessSchedule?.stop();
      rollupSchedule.stop();
      snapshotSchedule.stop();
      shuttingDown = true;
      log.info('shutting down: finishing open requests, refusing new ones');
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
      await lock.release();
      log.info({ spool_points: spool.points }, 'shut down');
    })();
    return closing;
  };
  return { url, deps, close };
}

function shuttingDownResponse(): Response {
  return new Response(
    JSON.stringify({
      code: 'shutting_down',
      message: 'server is shutting down: retry on another server or later',
    }),
    {
      status: 503,
      headers: { 'content-type': 'application/json', 'retry-after': '5', connection: 'close' },
    },
  );
}
