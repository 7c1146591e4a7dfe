import { describe, expect, it } from 'vitest';
import { checkToken, hasToken, renderEnvFile } from './env-file.js';

describe('renderEnvFile', () => {
  it('writes the token line into an empty file', () => {
    expect(renderEnvFile('', 'Zk3_q-0123456789abcdefXYZ')).toBe(
      'HATANG_ENROLLMENT_TOKEN=Zk3_q-0123456789abcdefXYZ\n',
    );
  });

  it('replaces the token line and keeps the other lines of an existing file', () => {
    const before =
      '# proxy for this site\nHTTPS_PROXY=http://10.0.0.1:3128\nHATANG_ENROLLMENT_TOKEN=old-token-0123456789abcdef\n';
    expect(renderEnvFile(before, 'new-token-0123456789abcdef')).toBe(
      '# proxy for this site\nHTTPS_PROXY=http://10.0.0.1:3128\nHATANG_ENROLLMENT_TOKEN=new-token-0123456789abcdef\n',
    );
  });

  it('tells whether a file sets a non-empty token', () => {
    expect(hasToken('A=1\nHATANG_ENROLLMENT_TOKEN=abc\n')).toBe(true);
    expect(hasToken('HATANG_ENROLLMENT_TOKEN=\n')).toBe(false);
    expect(hasToken('')).toBe(false);
  });
});

describe('checkToken', () => {
  it('accepts a token as `hatang token new` prints it', () => {
    expect(checkToken('q2V-5x_ZB8bqkq0mJwUq7mQm3s0tX1e8Zy3hUjM9c1A')).toBe(
      'q2V-5x_ZB8bqkq0mJwUq7mQm3s0tX1e8Zy3hUjM9c1A',
    );
  });

  it('refuses a short token and characters systemd would interpret, saying why', () => {
    expect(() => checkToken('short')).toThrow('enrollment token: too short (5 characters, at least 16)');
    expect(() => checkToken('abc def 0123456789abcdef')).toThrow(
      'enrollment token: only letters, digits and . _ ~ + / = - are allowed',
    );
    expect(() => checkToken('$HOME0123456789abcdef')).toThrow('enrollment token: only letters');
  });
});
