import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { gzipSync } from 'node:zlib';

export interface HttpResult {
  status: number;
  body: unknown;
}

/** One keep-alive connection pool per agent process; a custom CA when the collector uses a private one. */
export class HttpClient {
  private readonly http = new HttpAgent({ keepAlive: true, maxSockets: 4 });
  private readonly https: HttpsAgent;

  constructor(
    ca: string | Buffer | undefined,
    private readonly timeoutMs: number,
  ) {
    this.https = new HttpsAgent({ keepAlive: true, maxSockets: 4, ...(ca ? { ca } : {}) });
  }

  /**
   * POSTs JSON (gzipped when `gzip`), resolves with the status and parsed answer. Rejects only when
   * no HTTP answer came (network error, timeout, abort), naming the URL.
   */
  postJson(
    url: string,
    payload: unknown,
    opts: { bearer?: string; gzip?: boolean; signal?: AbortSignal } = {},
  ) {
    const json = Buffer.from(JSON.stringify(payload));
    const body = opts.gzip ? gzipSync(json) : json;
    const target = new URL(url);
    const isHttps = target.protocol === 'https:';
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': body.length,
      ...(opts.gzip ? { 'content-encoding': 'gzip' } : {}),
      ...(opts.bearer ? { authorization: `Bearer ${opts.bearer}` } : {}),
    };
    return new Promise<HttpResult>((resolve, reject) => {
      const req = (isHttps ? httpsRequest : httpRequest)(
        target,
        {
          method: 'POST',
          headers,
          agent: isHttps ? this.https : this.http,
          timeout: this.timeoutMs,
          ...(opts.signal ? { signal: opts.signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => reject(new Error(`post ${url}: ${err.message}`, { cause: err })));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              // Not JSON (a proxy's error page, say): keep the text for the log.
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (err) => reject(new Error(`post ${url}: ${err.message}`, { cause: err })));
      req.end(body);
    });
  }

  close(): void {
    this.http.destroy();
    this.https.destroy();
  }
}
