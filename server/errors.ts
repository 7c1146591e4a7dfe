import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** One problem with a request, located by JSON path (`points[3].fields.rtt_avg_ms`). */
export interface Problem {
  path: string;
  message: string;
}

/**
 * An error answered to the client as `{code, message, problems?, requestId}`. `code` is stable
 * and machine-readable; `message` says what is wrong and names the field.
 */
export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly problems: Problem[] = [],
    options: { cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(status, { message, cause: options.cause });
    this.headers = options.headers ?? {};
  }
  readonly headers: Record<string, string>;
}

/** Lists problems the way a person reads them: first few in the message, all in `problems`. */
export function problemsMessage(what: string, problems: readonly Problem[]): string {
  const shown = problems.slice(0, 5).map((p) => `${p.path}: ${p.message}`);
  const more = problems.length > shown.length ? ` (and ${problems.length - shown.length} more)` : '';
  return `${what}: ${shown.join('; ')}${more}`;
}

export function errorResponse(err: Error, c: Context) {
  const requestId = c.get('requestId' as never) as string | undefined;
  if (err instanceof ApiError) {
    for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
    return c.json(
      {
        code: err.code,
        message: err.message,
        ...(err.problems.length ? { problems: err.problems.slice(0, 100) } : {}),
        requestId,
      },
      err.status,
    );
  }
  if (err instanceof HTTPException) {
    return c.json({ code: 'http_error', message: err.message || 'request refused', requestId }, err.status);
  }
  return c.json({ code: 'internal', message: 'internal error; see the server log', requestId }, 500);
}
