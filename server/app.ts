import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import type { AppDeps, AppEnv } from './context.js';
import { ApiError, errorResponse } from './errors.js';
import { endpointRoutes } from './routes/endpoints.js';
import { enrollRoutes } from './routes/enroll.js';
import { healthRoutes } from './routes/health.js';
import { ingestRoutes } from './routes/ingest.js';

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
  app.notFound((c) =>
    errorResponse(new ApiError(404, 'not_found', `no route ${c.req.method} ${c.req.path}`), c),
  );
  app.onError((err, c) => {
    // A 503 (spool full, disk full, shutting down) is a state the spool and pipeline log once when it
    // starts and ends; logging each refused request would write a line per request while it lasts.
    if (!(err instanceof ApiError) || (err.status >= 500 && err.status !== 503)) {
      deps.log.error({ err, path: c.req.path }, 'request failed');
    }
    return errorResponse(err, c);
  });
  return app;
}
