import { describe, expect, it } from 'vitest';
import { ApiError } from './errors.js';
import { createJsonScanner, type JsonLimits } from './json-guard.js';

const limits: JsonLimits = { maxDepth: 3, maxValues: 20, maxMembers: 5, maxStringBytes: 10 };

/** Feeds `text` in chunks of `size` bytes; returns the refusal's code and message, or "ok". */
function scan(text: string, size = 1 << 20, l: JsonLimits = limits): string {
  const scanner = createJsonScanner(l);
  const bytes = Buffer.from(text);
  try {
    for (let i = 0; i < bytes.length; i += size) scanner.feed(bytes.subarray(i, i + size));
  } catch (err) {
    if (err instanceof ApiError) return `${err.status} ${err.code}: ${err.message}`;
    throw err;
  }
  return 'ok';
}

describe('createJsonScanner', () => {
  it('passes a document within every bound, however it is chunked', () => {
    const doc = '{"a":[1,2,{"b":"x,y[z]"}],"c":"\\"]]]"}';
    for (const size of [1, 2, 3, 7, 1000]) expect(scan(doc, size)).toBe('ok');
  });

  it('refuses nesting one level deeper than allowed, at the byte that crosses it', () => {
    expect(scan('[[[1]]]')).toBe('ok');
    expect(scan('[[[[1]]]]')).toBe('400 json_too_deep: body: JSON nested deeper than 3 levels (at byte 3)');
    expect(scan('[[[[', 1)).toBe('400 json_too_deep: body: JSON nested deeper than 3 levels (at byte 3)');
  });

  it('does not count brackets, commas or escaped quotes inside strings', () => {
    expect(scan('["[[[[,,,,,,\\"", "]"]', 4, { ...limits, maxStringBytes: 100 })).toBe('ok');
  });

  it('refuses an object or list with more members than allowed', () => {
    expect(scan('[1,2,3,4,5]')).toBe('ok');
    expect(scan('[1,2,3,4,5,6]')).toBe(
      '413 json_too_many_members: body: an object or list with more than 5 members (at byte 10)',
    );
    // Members are counted per container: five in each of two lists is fine.
    expect(scan('[[1,2,3,4,5],[1,2,3,4,5]]')).toBe('ok');
  });

  it('refuses more values in the whole document than allowed', () => {
    const many = `[${Array.from({ length: 6 }, () => '[1,2,3]').join(',')}]`;
    expect(scan(many, 1, { ...limits, maxMembers: 100 })).toMatch(
      /^413 json_too_many_values: body: more than 20/,
    );
  });

  it('refuses a string longer than allowed as written, escapes included', () => {
    for (const size of [1, 3, 100]) {
      expect(scan('["0123456789","\\"\\"\\"\\"\\""]', size)).toBe('ok');
      expect(scan('["\\u0041123456789"]', size)).toMatch(
        /^413 json_string_too_long: body: a string longer than 10 bytes/,
      );
    }
  });
});
