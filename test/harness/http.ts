import { request } from 'node:http';

export interface StreamedAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Body bytes the client had written when the answer arrived. */
  sent: number;
}

/**
 * Sends `chunks` (an iterable, so a huge body is never built) with node:http and resolves on the
 * answer, which may arrive while the client is still sending: a server that refuses early answers
 * and closes, which fetch would report only as "other side closed". Sending stops at the answer.
 */
export function sendStreaming(
  url: string,
  init: { method?: string; headers: Record<string, string | number>; chunks: Iterable<Uint8Array | string> },
  timeoutMs = 60_000,
): Promise<StreamedAnswer> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = request(url, { method: init.method ?? 'POST', headers: init.headers }, (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => {
        // Stop sending whatever is left of a refused body.
        if (!req.writableFinished) req.destroy();
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(parts).toString('utf8'),
          sent,
        });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', (err) => {
      if (!['EPIPE', 'ECONNRESET'].includes((err as NodeJS.ErrnoException).code ?? '')) reject(err);
    });
    const it = init.chunks[Symbol.iterator]();
    const pump = () => {
      while (!answered && !req.destroyed) {
        const next = it.next();
        if (next.done) return void req.end();
        sent += typeof next.value === 'string' ? Buffer.byteLength(next.value) : next.value.length;
        if (!req.write(next.value)) return void req.once('drain', pump);
      }
    };
    pump();
  });
}
