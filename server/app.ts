import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import type { AppDeps, AppEnv } from './context.js';
import { ApiError, errorResponse } from './errors.js';
import { createWorkGate, refuseUnexpectedBodies } from './limits.js';
import { auditPageRoutes, auditPageTakesBody } from './routes/audit-page.js';
import { endpointRoutes } from './routes/endpoints.js';
import { enrollRoutes } from './routes/enroll.js';
import { healthRoutes } from './routes/health.js';
import { ingestRoutes } from './routes/ingest.js';
import { readinessRoutes } from './routes/readiness.js';
import { snapshotRoutes } from './routes/snapshots.js';

/** Builds the HTTP app from its dependencies; does no I/O itself, so tests drive it in-process. */
export function createApp(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.use(requestId());
  const bodyGate = createWorkGate({
    concurrency: deps.config.limits.decode_concurrency,
    queue: deps.config.limits.decode_queue,
    queueBytes: deps.config.limits.decode_queue_bytes,
  });
  app.use(async function shareBodyGate(c, next) {
    c.set('bodyGate', bodyGate);
    await next();
  });
  // Only POSTs under /api/v1/ and the auditors' page forms read a body (each route bounds its own).
  app.use(
    refuseUnexpectedBodies(
      (method, path) =>
        (method === 'POST' && path.startsWith('/api/v1/')) || auditPageTakesBody(method, path),
    ),
  );
  app.use(async function countRequests(c, next) {
    await next();
    deps.metrics.requests.inc({ route: c.req.routePath, status: String(c.res.status) });
  });
  app.route('/', enrollRoutes(deps));
  app.route('/', ingestRoutes(deps));
  app.route('/', healthRoutes(deps));
  app.route('/', endpointRoutes(deps));
  app.route('/', readinessRoutes(deps));
  app.route('/', snapshotRoutes(deps));
  app.route('/', auditPageRoutes(deps));
  app.notFound((c) =>
    errorResponse(new ApiError(404, 'not_found', `no route ${c.req.method} ${c.req.path}`), c),
  );
  app.onError((err, c) => {
    // A 503 (busy, spool full, disk full, shutting down) is load shedding or a state the spool and
    // pipeline log once when it starts and ends: counted, not logged per request.
    if (!(err instanceof ApiError) || (err.status >= 500 && err.status !== 503)) {
      deps.log.error({ err, path: c.req.path }, 'request failed');
    }
    // Counted by the server's own code, never by anything the request claimed (e.g. its array length).
    const reason = err instanceof ApiError ? err.code : 'internal';
    deps.metrics.requestsRejected.inc({ route: c.req.routePath, reason });
    return errorResponse(err, c);
  });
  return app;
}
