import { ApiError } from './errors.js';

export interface RateOptions {
  /** Requests allowed at once from a full bucket. */
  burst: number;
  /** Tokens added back per minute. */
  per_minute: number;
  /** Keys remembered; past it, full (idle) buckets are forgotten first, then the oldest. */
  maxKeys?: number;
  now?: () => number;
}

/**
 * In-memory token buckets, one per key (a client address, a site): `take(key)` spends one token or
 * throws 429 with Retry-After saying when the next one is due. Memory is bounded by `maxKeys`, so
 * an attacker cycling addresses cannot grow it; forgetting a key only ever refills its bucket.
 *
 * @example
 * const perSource = createRateLimiter({ burst: 300, per_minute: 60 });
 * perSource.take('203.0.113.7', 'enrollments from 203.0.113.7');
 */
export function createRateLimiter(options: RateOptions) {
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 100_000;
  const perMs = options.per_minute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  const level = (b: { tokens: number; at: number }, t: number) =>
    Math.min(options.burst, b.tokens + (t - b.at) * perMs);
  const forgetSome = (t: number) => {
    for (const [k, b] of buckets) if (level(b, t) >= options.burst) buckets.delete(k);
    // Still full of active keys: drop the oldest tenth (Map iterates in insertion order).
    let drop = buckets.size >= maxKeys ? Math.ceil(maxKeys / 10) : 0;
    for (const k of buckets.keys()) {
      if (drop-- <= 0) break;
      buckets.delete(k);
    }
  };
  return {
    /** Spends one token of `key`, or throws 429 naming `what` and when to retry. */
    take(key: string, what: string): void {
      const t = now();
      let b = buckets.get(key);
      if (!b) {
        if (buckets.size >= maxKeys) forgetSome(t);
        b = { tokens: options.burst, at: t };
        buckets.set(key, b);
      }
      b.tokens = level(b, t);
      b.at = t;
      if (b.tokens < 1) {
        const seconds = Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000));
        throw new ApiError(429, 'rate_limited', `${what}: too many, retry in ${seconds} s`, [], {
          headers: { 'Retry-After': String(seconds) },
        });
      }
      b.tokens -= 1;
    },
    get size() {
      return buckets.size;
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;

/** The peer address of the connection (no proxy header is trusted), or "unknown" in-process. */
export function clientAddress(c: { env: unknown }): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'unknown';
}

/**
 * The key a client address is rate-limited under: an IPv4 address as is (also when IPv4-mapped),
 * an IPv6 address by its /64, since one host is routinely given a whole /64 to pick addresses from.
 *
 * @example
 * sourceKey('2001:db8:1:2:aaaa::1') // → '2001:db8:1:2::/64'
 */
export function sourceKey(address: string): string {
  const mapped = address.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i);
  if (mapped) return mapped[1] as string;
  if (!address.includes(':')) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
