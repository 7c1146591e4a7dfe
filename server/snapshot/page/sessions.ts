import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Identity } from '../../credentials.js';

/** A signed-in auditor on the page. */
export interface PageSession {
  id: string;
  /** The per-session anti-forgery token every form of the session carries. */
  csrf: string;
  identity: Identity;
  /** The earlier of the credential's expiry and sign-in + session_ttl, ms. */
  expiresAt: number;
  createdAt: number;
}

/**
 * The page's sessions, in memory (a restart signs everyone out, which is the safe side): at most
 * `max` at once, the oldest ended when a new one needs room; each ends at `ttlMs` after sign-in or
 * when its credential expires, whichever comes first.
 *
 * @example
 * const sessions = createPageSessions({ max: 200, ttlMs: 8 * 3_600_000 });
 * const s = sessions.open(identity); // cookie value: s.id
 * sessions.get(cookie); // undefined once expired
 */
export function createPageSessions(o: { max: number; ttlMs: number; now?: () => number }) {
  const now = o.now ?? Date.now;
  // Insertion order is sign-in order: the first key is the oldest session.
  const sessions = new Map<string, PageSession>();
  const sweep = (t: number) => {
    for (const [id, s] of sessions) if (s.expiresAt <= t) sessions.delete(id);
  };
  return {
    get size() {
      return sessions.size;
    },
    open(identity: Identity): PageSession {
      const t = now();
      sweep(t);
      while (sessions.size >= o.max) {
        const oldest = sessions.keys().next().value;
        if (oldest === undefined) break;
        sessions.delete(oldest);
      }
      const session: PageSession = {
        id: randomBytes(32).toString('base64url'),
        csrf: randomBytes(32).toString('base64url'),
        identity,
        expiresAt: Math.min(identity.expiresAt, t + o.ttlMs),
        createdAt: t,
      };
      sessions.set(session.id, session);
      return session;
    },
    get(id: string | undefined): PageSession | undefined {
      if (!id) return undefined;
      const s = sessions.get(id);
      if (s && s.expiresAt <= now()) {
        sessions.delete(id);
        return undefined;
      }
      return s;
    },
    close(id: string): void {
      sessions.delete(id);
    },
  };
}

export type PageSessions = ReturnType<typeof createPageSessions>;

/** Constant-time comparison of two tokens; false when either is missing. */
export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export const newToken = () => randomBytes(32).toString('base64url');
