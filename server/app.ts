import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import type { AppDeps, AppEnv } from './context.js';
import { ApiError, errorResponse } from './errors.js';
import { endpointRoutes } from './routes/endpoints.js';
import { enrollRoutes } from './routes/enroll.js';
import { healthRoutes } from './routes/health.js';
import { ingestRoutes } from './routes/ingest.js';
import { readinessRoutes } from './routes/readiness.js';

/** Builds the HTTP app from its dependencies; does no I/O itself, so tests drive it in-process. */
export function createApp(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.use(requestId());
  app.use(async function countRequests(c, next) {
    await next();
    deps.metrics.requests.inc({ route: c.req.routePath, status: String(c.res.status) });
  });
  app.route('/', enrollRoutes(deps));
  app.route('/', ingestRoutes(deps));
  app.route('/', healthRoutes(deps));
  app.route('/', endpointRoutes(deps));
  app.route('/', readinessRoutes(deps));
  app.notFound((c) =>
    errorResponse(new ApiError(404, 'not_found', `no route ${c.req.method} ${c.req.path}`), c),
  );
  app.onError((err, c) => {
    if (!(err instanceof ApiError) || err.status >= 500) {
      deps.log.error({ err, path: c.req.path }, 'request failed');
    }
    return errorResponse(err, c);
  });
  return app;
}
