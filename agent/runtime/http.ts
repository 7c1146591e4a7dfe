import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { gzipSync } from 'node:zlib';

export interface HttpResult {
  status: number;
  /** The parsed JSON answer, the raw text when it is not JSON, undefined when empty. */
  body: unknown;
  /** The answer's content-type, for naming a non-JSON answer in an error. */
  contentType: string;
  /** `Retry-After` in seconds (1 to 3600), when the server asked the agent to wait (429, 503). */
  retryAfterS?: number;
  /** Set (to the limit) when the answer was longer than `maxBytes`: it was cut off unread, body is undefined. */
  oversize?: number;
}

export interface HttpTimeouts {
  /** Longest wait for the TCP (and TLS) connection. */
  connectMs: number;
  /** Longest the whole exchange may take: connect, send, headers and the complete answer. */
  totalMs: number;
}

export interface PostOptions {
  bearer?: string;
  gzip?: boolean;
  signal?: AbortSignal;
  /**
   * Largest answer body read (default 64 KiB). A longer one is cut off: the call resolves with its
   * status, no body and `oversize` set — the status is trustworthy, the body is not read.
   */
  maxBytes?: number;
}

/** The enroll and renew answers are a few hundred bytes; anything near this is not a collector talking. */
export const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * One keep-alive connection pool per agent process; a custom CA when the collector uses a private one.
 * Every call is bounded in time (connect, then a total deadline that a server dripping bytes cannot
 * stretch) and in the size of the answer it will read, so no server can hold or exhaust the agent.
 */
export class HttpClient {
  private readonly http = new HttpAgent({ keepAlive: true, maxSockets: 4 });
  private readonly https: HttpsAgent;

  constructor(
    ca: string | Buffer | undefined,
    private readonly timeouts: HttpTimeouts,
  ) {
    this.https = new HttpsAgent({ keepAlive: true, maxSockets: 4, ...(ca ? { ca } : {}) });
  }

  /**
   * POSTs JSON (gzipped when `gzip`), resolves with the status and parsed answer. Rejects only when
   * no HTTP answer came in time (network error, a timeout, abort), with a message naming the URL and
   * what went wrong.
   */
  postJson(url: string, payload: unknown, opts: PostOptions = {}): Promise<HttpResult> {
    const json = Buffer.from(JSON.stringify(payload));
    const body = opts.gzip ? gzipSync(json) : json;
    const target = new URL(url);
    const isHttps = target.protocol === 'https:';
    const maxBytes = opts.maxBytes ?? MAX_ANSWER_BYTES;
    const { connectMs, totalMs } = this.timeouts;
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': body.length,
      ...(opts.gzip ? { 'content-encoding': 'gzip' } : {}),
      ...(opts.bearer ? { authorization: `Bearer ${opts.bearer}` } : {}),
    };
    return new Promise<HttpResult>((resolve, reject) => {
      let settled = false;
      const timers: NodeJS.Timeout[] = [];
      const finish = (err: Error | undefined, result?: HttpResult) => {
        if (settled) return;
        settled = true;
        for (const t of timers) clearTimeout(t);
        opts.signal?.removeEventListener('abort', onAbort);
        if (err) {
          req.destroy();
          reject(new Error(`post ${url}: ${err.message}`, { cause: err }));
        } else resolve(result as HttpResult);
      };
      const onAbort = () => finish(new Error('aborted'));
      const req = (isHttps ? httpsRequest : httpRequest)(
        target,
        { method: 'POST', headers, agent: isHttps ? this.https : this.http },
        (res) => readAnswer(res, maxBytes, finish),
      );
      req.on('error', (err) => finish(err));
      req.on('socket', (socket: Socket) => {
        // A reused keep-alive socket is already connected; a new one must connect in time.
        if (socket.connecting) {
          const t = setTimeout(() => finish(new Error(`no connection within ${connectMs} ms`)), connectMs);
          timers.push(t);
          socket.once(isHttps ? 'secureConnect' : 'connect', () => clearTimeout(t));
        }
      });
      timers.push(setTimeout(() => finish(new Error(`no complete answer within ${totalMs} ms`)), totalMs));
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      req.end(body);
    });
  }

  close(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

/** Reads at most `maxBytes` of the answer, then hands the status and parsed body to `finish`. */
function readAnswer(
  res: IncomingMessage,
  maxBytes: number,
  finish: (err: Error | undefined, result?: HttpResult) => void,
): void {
  const status = res.statusCode ?? 0;
  const contentType = String(res.headers['content-type'] ?? '');
  // Only the delta-seconds form; an HTTP date is rare from a collector and ignored.
  const asked = Number(res.headers['retry-after']);
  const retry = Number.isInteger(asked) && asked > 0 ? { retryAfterS: Math.min(asked, 3600) } : {};
  const cutOff = () => {
    res.destroy();
    finish(undefined, { status, body: undefined, contentType, oversize: maxBytes, ...retry });
  };
  const declared = Number(res.headers['content-length'] ?? Number.NaN);
  if (declared > maxBytes) {
    cutOff();
    return;
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  res.on('data', (c: Buffer) => {
    bytes += c.length;
    if (bytes > maxBytes) {
      cutOff();
      return;
    }
    chunks.push(c);
  });
  res.on('error', (err) => finish(err));
  res.on('close', () => {
    if (!res.complete) finish(new Error(`answer (status ${status}) ended early`));
  });
  res.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON (a proxy's error page, say): keep the text so the caller can name it.
    }
    finish(undefined, { status, body: parsed, contentType, ...retry });
  });
}
