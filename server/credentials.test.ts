import { sign } from 'hono/jwt';
import { describe, expect, it } from 'vitest';
import {
  agentIdFor,
  issueCredential,
  machineDigest,
  machineDigestOf,
  verifyCredential,
} from './credentials.js';

const key = 'test-signing-key-0123456789abcdef0123456789';

describe('agent ids', () => {
  it('end with 130 bits of the site and machine digest, after a readable hostname', () => {
    const id = agentIdFor('so-tttt', 'PC-KT-07 Đào', '4c4c4544-0042');
    expect(id).toMatch(/^pc-kt-07-dao-[a-z2-7]{26}$/);
    expect(machineDigestOf(id)).toBe(machineDigest('so-tttt', '4c4c4544-0042'));
    expect(
      agentIdFor('so-tttt', 'other-name', '4c4c4544-0042').endsWith(
        machineDigest('so-tttt', '4c4c4544-0042'),
      ),
    ).toBe(true);
    expect(machineDigest('huyen-a', '4c4c4544-0042')).not.toBe(machineDigest('so-tttt', '4c4c4544-0042'));
    expect(machineDigestOf('pc-lost-000000')).toBeUndefined();
  });
});

describe('verifyCredential', () => {
  it('accepts what issueCredential signed until it expires', () => {
    const now = Date.now();
    const { credential, identity } = issueCredential(
      { role: 'poller', subject: 'p1', siteId: 's' },
      key,
      60_000,
      now,
    );
    expect(verifyCredential(credential, key, now + 59_000)).toEqual(identity);
    expect(() => verifyCredential(credential, key, now + 61_000)).toThrow(/^credential expired at /);
    expect(() => verifyCredential(credential, `${key}x`, now)).toThrow(/signature/);
  });

  it('refuses a credential without expiry, as older versions signed them', async () => {
    const legacy = await sign({ iss: 'hatang', sub: 'pc-1', role: 'agent', site: 's', iat: 1 }, key, 'HS256');
    expect(() => verifyCredential(legacy, key)).toThrow(/no id or no expiry/);
  });

  it('refuses other algorithms and headers, even with a matching HMAC', async () => {
    const other = await sign({ iss: 'hatang', sub: 'a', role: 'admin', exp: 9e9, jti: 'x' }, key, 'HS512');
    expect(() => verifyCredential(other, key)).toThrow(/signature/);
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"a"}').toString('base64url')}.`;
    expect(() => verifyCredential(none, key)).toThrow(/three base64url parts/);
  });

  it('refuses a machine credential without a site, and unknown roles', async () => {
    const noSite = await sign({ iss: 'hatang', sub: 'p', role: 'poller', exp: 9e9, jti: 'x' }, key, 'HS256');
    expect(() => verifyCredential(noSite, key)).toThrow(/poller without site/);
    const root = await sign({ iss: 'hatang', sub: 'p', role: 'root', exp: 9e9, jti: 'x' }, key, 'HS256');
    expect(() => verifyCredential(root, key)).toThrow(/missing subject or role/);
  });
});
