import { ApiError } from './errors.js';

/** How much JSON structure one request may carry, checked on the bytes before `JSON.parse`. */
export interface JsonLimits {
  /** Deepest nesting of objects and lists (`{"a":[1]}` is 2). */
  maxDepth: number;
  /** Values in the whole document (each scalar, object and list counts one). */
  maxValues: number;
  /** Members of one object or list. */
  maxMembers: number;
  /** Bytes of one string as written, escapes included. */
  maxStringBytes: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_LIST = 0x5b;
const CLOSE_LIST = 0x5d;

/**
 * A byte scanner that refuses JSON too deep, too wide or too long before anything is parsed: one
 * pass, no allocation, fed chunk by chunk (as a gzip stream inflates), so a nesting or key-count
 * bomb is refused after its first bytes instead of costing `JSON.parse` seconds of event loop.
 * It does not check the syntax; `JSON.parse` still does, on what passed.
 *
 * @example
 * const scan = createJsonScanner({ maxDepth: 2, maxValues: 10, maxMembers: 5, maxStringBytes: 64 });
 * scan.feed(Buffer.from('[[['));
 * // → throws ApiError 400 json_too_deep "body: JSON nested deeper than 2 levels (at byte 2)"
 */
export function createJsonScanner(limits: JsonLimits) {
  const members = new Uint32Array(limits.maxDepth + 2);
  let depth = 0;
  let values = 0;
  let inString = false;
  let escaped = false;
  let stringBytes = 0;
  let offset = 0;
  const refuse = (status: 400 | 413, code: string, what: string, at: number): never => {
    throw new ApiError(status, code, `body: ${what} (at byte ${at})`);
  };
  return {
    feed(chunk: Uint8Array): void {
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk[i] as number;
        if (inString) {
          if (escaped) escaped = false;
          else if (b === BACKSLASH) escaped = true;
          else if (b === QUOTE) {
            inString = false;
            continue;
          }
          if (++stringBytes > limits.maxStringBytes) {
            refuse(
              413,
              'json_string_too_long',
              `a string longer than ${limits.maxStringBytes} bytes`,
              offset + i,
            );
          }
          continue;
        }
        switch (b) {
          case QUOTE:
            inString = true;
            stringBytes = 0;
            break;
          case OPEN_OBJECT:
          case OPEN_LIST:
            if (++depth > limits.maxDepth) {
              refuse(400, 'json_too_deep', `JSON nested deeper than ${limits.maxDepth} levels`, offset + i);
            }
            members[depth] = 1;
            if (++values > limits.maxValues) {
              refuse(413, 'json_too_many_values', `more than ${limits.maxValues} JSON values`, offset + i);
            }
            break;
          case CLOSE_OBJECT:
          case CLOSE_LIST:
            if (depth > 0) depth--;
            break;
          case COMMA: {
            const n = (members[depth] ?? 0) + 1;
            members[depth] = n;
            if (n > limits.maxMembers) {
              refuse(
                413,
                'json_too_many_members',
                `an object or list with more than ${limits.maxMembers} members`,
                offset + i,
              );
            }
            if (++values > limits.maxValues) {
              refuse(413, 'json_too_many_values', `more than ${limits.maxValues} JSON values`, offset + i);
            }
            break;
          }
        }
      }
      offset += chunk.length;
    },
  };
}
