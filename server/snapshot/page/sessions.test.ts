import { describe, expect, it } from 'vitest';
import type { Identity } from '../../credentials.js';
import { createPageSessions, sameToken } from './sessions.js';

const HOUR = 3_600_000;
const identity = (subject: string, expiresAt: number): Identity => ({
  role: 'auditor',
  subject,
  credentialId: `jti-${subject}`,
  expiresAt,
});

describe('page sessions', () => {
  it('end at the session lifetime or when the credential expires, whichever comes first', () => {
    let now = 1_000_000;
    const sessions = createPageSessions({ max: 10, ttlMs: 8 * HOUR, now: () => now });
    const long = sessions.open(identity('a', now + 30 * 24 * HOUR));
    const short = sessions.open(identity('b', now + HOUR));
    expect(long.expiresAt).toBe(now + 8 * HOUR);
    expect(short.expiresAt).toBe(now + HOUR);
    now += HOUR;
    expect(sessions.get(short.id)).toBeUndefined();
    expect(sessions.get(long.id)?.identity.subject).toBe('a');
    now += 7 * HOUR;
    expect(sessions.get(long.id)).toBeUndefined();
  });

  it('hold at most `max`: a new sign-in ends the oldest session', () => {
    const sessions = createPageSessions({ max: 2, ttlMs: HOUR });
    const far = Date.now() + HOUR;
    const [a, b, c] = ['a', 'b', 'c'].map((s) => sessions.open(identity(s, far)));
    expect(sessions.size).toBe(2);
    expect(sessions.get(a?.id)).toBeUndefined();
    expect(sessions.get(b?.id)).toBeDefined();
    expect(sessions.get(c?.id)).toBeDefined();
  });

  it('give each session its own unguessable id and anti-forgery token', () => {
    const sessions = createPageSessions({ max: 5, ttlMs: HOUR });
    const x = sessions.open(identity('a', Date.now() + HOUR));
    const y = sessions.open(identity('a', Date.now() + HOUR));
    expect(new Set([x.id, x.csrf, y.id, y.csrf]).size).toBe(4);
    expect(x.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sameToken(x.csrf, x.csrf)).toBe(true);
    expect(sameToken(x.csrf, y.csrf)).toBe(false);
    expect(sameToken(undefined, x.csrf)).toBe(false);
    expect(sameToken('', '')).toBe(false);
  });
});
