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

/**
 * What an error may echo of a request: paths and messages are cut to these lengths (paths and
 * messages can carry attacker-chosen keys), and at most `shown` problems are listed with a count of
 * the rest, so an answer stays a few KiB whatever was sent.
 */
export const errorBounds = { pathChars: 120, problemChars: 200, messageChars: 1000, shown: 20 } as const;

/** At most `max` characters of `s`, ending in "…" when cut (never halving a surrogate pair). */
export function excerpt(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max - 1;
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${s.slice(0, end)}…`;
}

const boundedProblem = (p: Problem): Problem => ({
  path: excerpt(p.path, errorBounds.pathChars),
  message: excerpt(p.message, errorBounds.problemChars),
});

/** Lists problems the way a person reads them: the first few in the message, bounded. */
export function problemsMessage(what: string, problems: readonly Problem[]): string {
  const shown = problems.slice(0, 5).map((p) => {
    const b = boundedProblem(p);
    return `${b.path}: ${b.message}`;
  });
  const more = problems.length > shown.length ? ` (and ${problems.length - shown.length} more)` : '';
  return `${what}: ${shown.join('; ')}${more}`;
}

export function errorResponse(err: Error, c: Context) {
  const requestId = c.get('requestId' as never) as string | undefined;
  if (err instanceof ApiError) {
    for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
    const problems = err.problems.slice(0, errorBounds.shown).map(boundedProblem);
    return c.json(
      {
        code: err.code,
        message: excerpt(err.message, errorBounds.messageChars),
        ...(problems.length
          ? {
              problems,
              ...(err.problems.length > problems.length ? { problems_total: err.problems.length } : {}),
            }
          : {}),
        requestId,
      },
      err.status,
    );
  }
  if (err instanceof HTTPException) {
    const message = excerpt(err.message || 'request refused', errorBounds.messageChars);
    return c.json({ code: 'http_error', message, requestId }, err.status);
  }
  return c.json({ code: 'internal', message: 'internal error; see the server log', requestId }, 500);
}
