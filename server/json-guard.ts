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
  const tooLong = (at: number) =>
    refuse(413, 'json_string_too_long', `a string longer than ${limits.maxStringBytes} bytes`, at);
  return {
    feed(chunk: Uint8Array): void {
      // State in locals for the loop (closure variables cost a context load per byte), saved after.
      const { maxDepth, maxValues, maxMembers, maxStringBytes } = limits;
      let d = depth;
      let v = values;
      let inStr = inString;
      let esc = escaped;
      let len = stringBytes;
      const n = chunk.length;
      // Inside strings, jump to the next quote or backslash with native indexOf (cached per chunk).
      let nextQuote = -1;
      let nextBackslash = -1;
      for (let i = 0; i < n; i++) {
        if (inStr) {
          if (esc) {
            esc = false;
            if (++len > maxStringBytes) tooLong(offset + i);
            continue;
          }
          if (nextQuote < i) {
            nextQuote = chunk.indexOf(QUOTE, i);
            if (nextQuote < 0) nextQuote = n;
          }
          if (nextBackslash < i) {
            nextBackslash = chunk.indexOf(BACKSLASH, i);
            if (nextBackslash < 0) nextBackslash = n;
          }
          const stop = Math.min(nextQuote, nextBackslash);
          len += stop - i;
          if (len > maxStringBytes) tooLong(offset + i + (maxStringBytes - (len - (stop - i))));
          if (stop === n) break;
          if (stop === nextBackslash) {
            esc = true;
            len++;
          } else inStr = false;
          i = stop;
          continue;
        }
        const b = chunk[i] as number;
        if (b === QUOTE) {
          inStr = true;
          len = 0;
        } else if (b === COMMA) {
          const m = (members[d] as number) + 1;
          members[d] = m;
          if (m > maxMembers) {
            refuse(
              413,
              'json_too_many_members',
              `an object or list with more than ${maxMembers} members`,
              offset + i,
            );
          }
          if (++v > maxValues)
            refuse(413, 'json_too_many_values', `more than ${maxValues} JSON values`, offset + i);
        } else if (b === OPEN_OBJECT || b === OPEN_LIST) {
          if (++d > maxDepth)
            refuse(400, 'json_too_deep', `JSON nested deeper than ${maxDepth} levels`, offset + i);
          members[d] = 1;
          if (++v > maxValues)
            refuse(413, 'json_too_many_values', `more than ${maxValues} JSON values`, offset + i);
        } else if ((b === CLOSE_OBJECT || b === CLOSE_LIST) && d > 0) d--;
      }
      depth = d;
      values = v;
      inString = inStr;
      escaped = esc;
      stringBytes = len;
      offset += n;
    },
  };
}
