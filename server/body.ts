import { gunzipSync } from 'node:zlib';
import type { Context } from 'hono';
import { ApiError } from './errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The request body as parsed JSON: gunzipped when `Content-Encoding: gzip` (bounded, so a small
 * compressed body cannot expand without limit), strictly UTF-8, then JSON. Each failure is a 4xx
 * naming what is wrong. The raw size is bounded earlier by the bodyLimit middleware.
 */
export async function readJsonBody(c: Context, maxDecompressedBytes: number): Promise<unknown> {
  let bytes: Uint8Array = new Uint8Array(await c.req.arrayBuffer());
  const encoding = (c.req.header('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding === 'gzip') {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: maxDecompressedBytes });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
        throw new ApiError(
          413,
          'body_too_large',
          `body: decompresses to more than ${maxDecompressedBytes} bytes`,
        );
      }
      throw new ApiError(400, 'bad_encoding', `body: not valid gzip (${(err as Error).message})`, [], {
        cause: err,
      });
    }
  } else if (encoding !== 'identity') {
    throw new ApiError(
      415,
      'unsupported_encoding',
      `content-encoding "${encoding}" is not supported (use gzip)`,
    );
  }
  if (bytes.length === 0) throw new ApiError(400, 'empty_body', 'body: empty; expected a JSON batch');
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch (err) {
    throw new ApiError(400, 'invalid_utf8', 'body: not valid UTF-8', [], { cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, 'malformed_json', `body: malformed JSON (${(err as Error).message})`, [], {
      cause: err,
    });
  }
}
