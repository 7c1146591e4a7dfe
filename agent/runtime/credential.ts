import { z } from 'zod';

/** What enrollment (or renewal) gave this agent; kept 0600 in the state dir as credential.json. */
export interface Enrollment {
  agent_id: string;
  site_id: string;
  credential: string;
  /** `agent` or `poller`; absent only when an old server said nothing and the JWT carried no role. */
  role?: string | undefined;
  /** When the credential stops being accepted (ISO-8601); absent when it never expires. */
  expires_at?: string | undefined;
  /** When the credential was issued (ISO-8601): with expires_at, its lifetime. */
  issued_at?: string | undefined;
  enrolled_at: string;
  renewed_at?: string | undefined;
  server: string;
}

/** A JWT as an HTTP header can carry it: three base64url parts, nothing else (no CR/LF, no spaces). */
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** Ids go into logs, file names and the status output: printable ASCII without spaces only. */
/** "is missing" for an absent field, "must be a string" for a number, object or null. */
const str = () => z.string({ error: (i) => (i.input === undefined ? 'is missing' : 'must be a string') });
const id = str()
  .min(1, 'is empty')
  .max(128, 'is longer than 128 characters')
  .regex(/^[\x21-\x7e]+$/, 'holds spaces, control or non-ASCII characters');
const isoTime = str()
  .max(64, 'is longer than 64 characters')
  .refine((s) => /^\d{4}-\d\d-\d\dT/.test(s) && Number.isFinite(Date.parse(s)), 'is not an ISO-8601 time');

/**
 * The enroll and renew answer: `{agent_id, site_id, role, credential, expires_at}`. `role` and
 * `expires_at` are optional so an older server that sends neither still works; then the JWT's own
 * claims say them.
 */
export const enrollAnswerSchema = z.object({
  agent_id: id,
  site_id: id,
  credential: str()
    .min(1, 'is empty')
    .max(8192, 'is longer than 8192 characters')
    .regex(JWT, 'is not a JWT (three base64url parts; no spaces, CR/LF or other characters)'),
  role: z.enum(['agent', 'poller'], { error: 'must be "agent" or "poller"' }).optional(),
  expires_at: isoTime.optional(),
});

export type EnrollAnswer = z.infer<typeof enrollAnswerSchema>;

const claimsSchema = z.object({
  exp: z.number({ error: 'exp must be a number' }).finite().optional(),
  iat: z.number({ error: 'iat must be a number' }).finite().optional(),
  role: z.string().optional(),
});

/** The claims an agent reads from its credential without the key (it cannot and need not verify it). */
export type CredentialClaims = z.infer<typeof claimsSchema>;

/** Reads a JWT's payload; throws "what: why" when it is not a JSON object with sane exp/iat. */
export function credentialClaims(credential: string): CredentialClaims {
  const payload = credential.split('.')[1] ?? '';
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new Error('credential: its payload is not base64url JSON');
  }
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded))
    throw new Error('credential: its payload is not a JSON object');
  const parsed = claimsSchema.safeParse(decoded);
  if (!parsed.success) throw new Error(`credential: ${parsed.error.issues[0]?.message ?? 'bad claims'}`);
  return parsed.data;
}

/** A short, printable excerpt of something a server sent, safe to put in a log line. */
export function excerpt(value: unknown, max = 80): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  const flat = text.replace(/[^\x20-\x7e]/g, '?');
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/**
 * Checks an enroll/renew answer and turns it into what the agent stores. Throws an error naming
 * every problem (field and why) when the answer is not JSON, lacks a field, or carries a credential
 * that could never be sent in a header — such an answer is never stored.
 */
export function enrollmentFromAnswer(
  answer: { body: unknown; contentType: string; oversize?: number | undefined },
  server: string,
  now: Date,
  previous?: Enrollment,
): Enrollment {
  const { body } = answer;
  if (answer.oversize) throw new Error(`answer is larger than ${answer.oversize} bytes; cut off unread`);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    const what =
      body === undefined ? 'empty' : `not a JSON object (${answer.contentType || 'no content-type'})`;
    throw new Error(`answer is ${what}: ${excerpt(body ?? '')}`);
  }
  const parsed = enrollAnswerSchema.safeParse(body);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'} ${i.message}`);
    throw new Error(`answer is not a valid enrollment: ${problems.join('; ')}`);
  }
  const a = parsed.data;
  const claims = credentialClaims(a.credential);
  const claimed = claims.role;
  if (claimed !== undefined && claimed !== 'agent' && claimed !== 'poller')
    throw new Error(
      `answer is not a valid enrollment: the credential's role "${excerpt(claimed, 40)}" is not agent or poller`,
    );
  if (a.role !== undefined && claimed !== undefined && a.role !== claimed)
    throw new Error(
      `answer is not a valid enrollment: role "${a.role}" but the credential says "${claimed}"`,
    );
  const role = a.role ?? claimed;
  if (previous && (a.agent_id !== previous.agent_id || a.site_id !== previous.site_id))
    throw new Error(
      `answer names agent ${a.agent_id} at site ${a.site_id}, but this is ${previous.agent_id} at ${previous.site_id}`,
    );
  const expiresAt =
    a.expires_at ?? (claims.exp !== undefined ? new Date(claims.exp * 1000).toISOString() : undefined);
  return {
    agent_id: a.agent_id,
    site_id: a.site_id,
    credential: a.credential,
    role,
    expires_at: expiresAt,
    issued_at: claims.iat !== undefined ? new Date(claims.iat * 1000).toISOString() : now.toISOString(),
    enrolled_at: previous?.enrolled_at ?? now.toISOString(),
    ...(previous ? { renewed_at: now.toISOString() } : {}),
    server,
  };
}

/**
 * Why a stored credential.json cannot be used (empty list: it can). An agent of an older version
 * could store `{}` or an HTML page's fields; those are found here at start, not at every send.
 */
export function storedEnrollmentProblems(stored: unknown): string[] {
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) return ['not a JSON object'];
  const parsed = enrollAnswerSchema
    .pick({ agent_id: true, site_id: true, credential: true })
    .safeParse(stored);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`);
  if (parsed.success) {
    try {
      credentialClaims(parsed.data.credential);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  return problems;
}

/**
 * Fills role, expiry and issue time from the JWT for an enrollment stored by an older agent, which
 * kept only the id and credential.
 */
export function withClaims(e: Enrollment): Enrollment {
  const claims = credentialClaims(e.credential);
  return {
    ...e,
    role: e.role ?? claims.role,
    expires_at:
      e.expires_at ?? (claims.exp !== undefined ? new Date(claims.exp * 1000).toISOString() : undefined),
    issued_at:
      e.issued_at ?? (claims.iat !== undefined ? new Date(claims.iat * 1000).toISOString() : e.enrolled_at),
  };
}

/**
 * When to renew: once less than a third of the credential's lifetime remains. Undefined when the
 * credential never expires (an old server's), so it is never renewed.
 *
 * @example issued 00:00, expires 30 days later → renew from day 20 on
 */
export function renewalDueAt(e: Enrollment): number | undefined {
  if (!e.expires_at) return undefined;
  const exp = Date.parse(e.expires_at);
  const iat = Date.parse(e.issued_at ?? e.enrolled_at);
  if (!Number.isFinite(exp)) return undefined;
  const lifetime = Number.isFinite(iat) && iat < exp ? exp - iat : 0;
  return exp - lifetime / 3;
}

/** True once the credential's expiry has passed: the server refuses it, renewal too. */
export function isExpired(e: Enrollment, now: number): boolean {
  return e.expires_at !== undefined && Date.parse(e.expires_at) <= now;
}

/**
 * The shortest wait between two renewals: a tenth of the lifetime, at least a second, so a server
 * (or a wrong clock) that hands out credentials already due for renewal cannot make the agent spin.
 */
export function minRenewalGap(e: Enrollment): number {
  const lifetime = Date.parse(e.expires_at ?? '') - Date.parse(e.issued_at ?? e.enrolled_at);
  return Math.max(1_000, Number.isFinite(lifetime) ? lifetime / 10 : 0);
}
