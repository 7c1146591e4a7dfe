import type { MiddlewareHandler } from 'hono';
import { wireLimits } from '../protocol/index.js';
import type { ServerConfig } from './config.js';
import type { AppEnv } from './context.js';
import { ApiError, excerpt } from './errors.js';
import type { JsonLimits } from './json-guard.js';

/** Every bound on one request body, applied while it is read: nothing unbounded is ever buffered. */
export interface BodyLimits {
  /** Bytes as sent (compressed or not). */
  rawMaxBytes: number;
  /** Bytes after gunzip. */
  inflatedMaxBytes: number;
  json: JsonLimits;
}

/** Ingest bodies: from `limits` in server.yaml; the members bound leaves room for a full batch. */
export function ingestBodyLimits(limits: ServerConfig['limits']): BodyLimits {
  return {
    rawMaxBytes: limits.body_max_bytes,
    inflatedMaxBytes: limits.decompressed_max_bytes,
    json: {
      maxDepth: limits.json_max_depth,
      maxValues: limits.json_max_values,
      maxMembers: Math.max(limits.points_per_batch, wireLimits.fieldsPerPoint) * 2,
      // A string field at its longest, every character written as a \uXXXX escape.
      maxStringBytes: wireLimits.stringFieldMaxLength * 6 + 2,
    },
  };
}

/**
 * Enrollment needs no credential, so anyone can send one: its body is four short strings, and the
 * bounds are that small (a real agent's request is ~200 bytes).
 */
export const enrollBodyLimits: BodyLimits = {
  rawMaxBytes: 4096,
  inflatedMaxBytes: 4096,
  json: { maxDepth: 2, maxValues: 32, maxMembers: 16, maxStringBytes: 1024 },
};

/**
 * Runs at most `concurrency` jobs at once and lets at most `queue` wait, holding at most
 * `queueBytes` of bodies between them; past that it refuses with 503 and Retry-After at once, so a
 * burst of costly bodies holds a bounded amount of memory and CPU and every client's request waits
 * a bounded time instead of the server freezing for all.
 *
 * @example
 * const gate = createWorkGate({ concurrency: 2, queue: 1024, queueBytes: 64 * 1024 ** 2 });
 * const parsed = await gate.run(() => decodeAndParse(bytes), bytes.length);
 */
export function createWorkGate(options: {
  concurrency: number;
  queue: number;
  queueBytes?: number;
  retryAfterSeconds?: number;
}) {
  let running = 0;
  let queuedBytes = 0;
  const waiting: (() => void)[] = [];
  const retryAfter = String(options.retryAfterSeconds ?? 1);
  const maxBytes = options.queueBytes ?? Number.POSITIVE_INFINITY;
  const release = () => {
    running--;
    const next = waiting.shift();
    if (next) {
      running++;
      next();
    }
  };
  return {
    get running() {
      return running;
    },
    get waiting() {
      return waiting.length;
    },
    /** Runs `job` when a slot is free; `bytes` is what the request holds in memory while it waits. */
    async run<T>(job: () => Promise<T>, bytes = 0): Promise<T> {
      if (running >= options.concurrency) {
        if (waiting.length >= options.queue || queuedBytes + bytes > maxBytes) {
          throw new ApiError(503, 'busy', 'server busy decoding other requests; retry later', [], {
            headers: { 'Retry-After': retryAfter },
          });
        }
        queuedBytes += bytes;
        await new Promise<void>((resolve) => waiting.push(resolve));
        queuedBytes -= bytes;
      } else running++;
      try {
        return await job();
      } finally {
        release();
      }
    },
  };
}

export type WorkGate = ReturnType<typeof createWorkGate>;

/**
 * Refuses a body on a route that takes none (every GET, any unknown path): 413 by Content-Length or
 * a chunked body, before a byte of it is read.
 */
export function refuseUnexpectedBodies(
  takesBody: (method: string, path: string) => boolean,
): MiddlewareHandler {
  return async function unexpectedBody(c, next) {
    const length = c.req.header('content-length');
    const chunked = c.req.header('transfer-encoding') !== undefined;
    const hasBody = chunked || (length !== undefined && length.trim() !== '0');
    if (hasBody && !takesBody(c.req.method, c.req.path)) {
      throw new ApiError(
        413,
        'body_not_allowed',
        `${c.req.method} ${excerpt(c.req.path, 120)} takes no body`,
      );
    }
    await next();
  };
}

/**
 * At most `max` requests of one credential in progress at once (after `requireCredential`): an
 * agent sends one batch at a time, so this only ever stops a client trying to take every slot of
 * the decode queue for itself. Past it, 429 with Retry-After.
 */
export function limitInFlightPerCredential(max: number): MiddlewareHandler<AppEnv> {
  const inFlight = new Map<string, number>();
  return async function inFlightPerCredential(c, next) {
    const subject = c.get('identity').subject;
    const n = inFlight.get(subject) ?? 0;
    if (n >= max) {
      throw new ApiError(
        429,
        'too_many_in_flight',
        `${max} requests of this credential are already in progress`,
        [],
        {
          headers: { 'Retry-After': '1' },
        },
      );
    }
    inFlight.set(subject, n + 1);
    try {
      await next();
    } finally {
      const left = (inFlight.get(subject) ?? 1) - 1;
      if (left > 0) inFlight.set(subject, left);
      else inFlight.delete(subject);
    }
  };
}
