import type { Context } from 'hono';
import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { readBoundedBody } from '../body.js';
import type { AppDeps, AppEnv } from '../context.js';
import { CredentialError, type Identity, verifyCredential } from '../credentials.js';
import { ApiError } from '../errors.js';
import { auditLogCsv } from '../snapshot/audit-log.js';
import { createPageSessions, newToken, type PageSession, sameToken } from '../snapshot/page/sessions.js';
import { pageCss, pageIcon } from '../snapshot/page/style.js';
import { type Lang, text } from '../snapshot/page/text.js';
import {
  type Frame,
  homePage,
  messagePage,
  signInPage,
  summaryPage,
  verifyPage,
} from '../snapshot/page/views.js';
import { previousMonth, vietnamDate, vietnamMidnight } from '../snapshot/period.js';
import { type Actor, SnapshotRequestError } from '../snapshot/service.js';
import { snapshotIdPattern } from '../snapshot/store.js';
import { clientAddress, snapshotService, zipResponse } from './snapshots.js';

const SESSION_COOKIE = 'hatang_audit_session';
const PRE_CSRF_COOKIE = 'hatang_audit_csrf';
const LANG_COOKIE = 'hatang_lang';
/** A sign-in or create form is a few short fields; a credential is at most 4 KiB. */
const FORM_MAX_BYTES = 16 * 1024;
/** A multipart upload's own framing around the zip. */
const MULTIPART_OVERHEAD = 64 * 1024;

/** No script, no inline style, nothing from elsewhere, never framed, forms post only here. */
const securityHeaders = {
  'content-security-policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  // same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on the page's own form posts.
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
} as const;

/**
 * A form posted from another site, by the browser's own Origin header (defence in depth: the token
 * and SameSite=Strict already stop it). Absent Origin (an old browser, a script) is left to the token.
 */
function crossOrigin(c: Context): boolean {
  const origin = c.req.header('origin');
  if (origin === undefined) return false;
  try {
    return new URL(origin).host !== new URL(c.req.url).host;
  } catch {
    return true;
  }
}

/** Takes a body: every POST of the page, each bounded by its own route. */
export const auditPageTakesBody = (method: string, path: string) =>
  method === 'POST' && path.startsWith('/audit/');

/**
 * The auditors' page at /audit/, server-rendered, no script: sign in by pasting an auditor or
 * admin credential (checked as the API checks it), then an HttpOnly, SameSite=Strict session cookie
 * (Secure under HTTPS) that ends with the credential or `snapshots.session_ttl`; every form carries
 * an anti-forgery token (per session; before sign-in, a double-submit cookie) and a POST without it
 * gets 403. Vietnamese by default, English by ?lang=en (remembered in a cookie).
 */
export function auditPageRoutes(deps: AppDeps) {
  const cfg = deps.config.snapshots;
  const sessions = createPageSessions({ max: cfg.max_sessions, ttlMs: cfg.session_ttl });
  const secure = deps.config.listen.tls !== undefined;
  const cookieBase = { path: '/audit', httpOnly: true, sameSite: 'Strict', secure } as const;

  const langOf = (c: Context): Lang => {
    const asked = c.req.query('lang');
    if (asked === 'vi' || asked === 'en') {
      setCookie(c, LANG_COOKIE, asked, { ...cookieBase, maxAge: 365 * 86_400 });
      return asked;
    }
    const kept = getCookie(c, LANG_COOKIE);
    return kept === 'vi' || kept === 'en' ? kept : cfg.lang;
  };
  const sessionOf = (c: Context): PageSession | undefined => {
    const s = sessions.get(getCookie(c, SESSION_COOKIE));
    if (s && deps.revocations.isRevoked(s.identity)) {
      sessions.close(s.id);
      return undefined;
    }
    return s;
  };
  const frameOf = (c: Context, session?: PageSession): Frame => ({
    lang: langOf(c),
    path: c.req.path,
    ...(session
      ? {
          session: {
            subject: session.identity.subject,
            role: session.identity.role,
            expiresAt: session.expiresAt,
            csrf: session.csrf,
          },
        }
      : {}),
  });
  const actorOf = (c: Context, identity?: Identity): Actor => ({
    subject: identity?.subject ?? '(unknown)',
    role: identity?.role ?? null,
    source: clientAddress(c),
    via: 'web',
  });
  const preCsrf = (c: Context) => {
    let token = getCookie(c, PRE_CSRF_COOKIE);
    if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) {
      token = newToken();
      setCookie(c, PRE_CSRF_COOKIE, token, { ...cookieBase, maxAge: 3600 });
    }
    return token;
  };
  const forbidden = (c: Context) => {
    const frame = frameOf(c);
    return c.html(messagePage(frame, text.error[frame.lang], text.forbidden[frame.lang]), 403);
  };
  const formOf = async (c: Context): Promise<URLSearchParams> => {
    const type = (c.req.header('content-type') ?? '').toLowerCase().split(';')[0]?.trim();
    if (type !== 'application/x-www-form-urlencoded') {
      throw new ApiError(
        415,
        'unsupported_media_type',
        'content-type: must be a form (application/x-www-form-urlencoded)',
      );
    }
    return new URLSearchParams((await readBoundedBody(c, FORM_MAX_BYTES)).toString('utf8'));
  };
  /** The signed-in session whose token the form carries, or a response refusing the request. */
  const signedInPost = async (c: Context, token: string | null): Promise<PageSession | Response> => {
    if (crossOrigin(c)) return forbidden(c);
    const session = sessionOf(c);
    if (!session) return c.redirect('/audit/', 303);
    if (!sameToken(token ?? undefined, session.csrf)) return forbidden(c);
    return session;
  };
  const home = (c: Context, session: PageSession, message?: { ok: boolean; text: string }, status = 200) => {
    const service = snapshotService(deps);
    const last = previousMonth(Date.now());
    const frame = frameOf(c, session) as Frame & { session: NonNullable<Frame['session']> };
    return c.html(
      homePage(frame, {
        entries: service.list(),
        sites: service.sites,
        defaultFrom: vietnamDate(last.from),
        defaultTo: vietnamDate(last.to - 1),
        ...(message ? { message } : {}),
      }),
      status as 200,
    );
  };

  const app = new Hono<AppEnv>();
  app.use('/audit/*', async function pageHeaders(c, next) {
    await next();
    for (const [k, v] of Object.entries(securityHeaders)) {
      // The stylesheet and icon may be cached; every page and answer carrying data may not.
      if (k !== 'cache-control' || !c.res.headers.has(k)) c.res.headers.set(k, v);
    }
  });
  app.get('/audit', (c) => c.redirect('/audit/', 301));
  app.get('/audit/style.css', (c) => {
    c.header('content-type', 'text/css; charset=utf-8');
    c.header('cache-control', 'public, max-age=3600');
    return c.body(pageCss);
  });
  app.get('/audit/icon.svg', (c) => {
    c.header('content-type', 'image/svg+xml');
    c.header('cache-control', 'public, max-age=86400');
    return c.body(pageIcon);
  });
  app.get('/audit/', (c) => {
    const session = sessionOf(c);
    if (!session) return c.html(signInPage(frameOf(c), preCsrf(c)));
    return home(c, session);
  });
  app.post('/audit/sign-in', async (c) => {
    const form = await formOf(c);
    if (crossOrigin(c) || !sameToken(form.get('csrf') ?? undefined, getCookie(c, PRE_CSRF_COOKIE))) {
      return forbidden(c);
    }
    const frame = frameOf(c);
    const service = snapshotService(deps);
    const token = (form.get('credential') ?? '').trim();
    const refuse = async (why: string, identity?: Identity) => {
      await service.audit(actorOf(c, identity), 'sign_in_refused', { detail: why });
      return c.html(signInPage(frame, preCsrf(c), why), 401);
    };
    if (!token) return refuse(text.empty[frame.lang]);
    if (token.length > 4096 || !/^[A-Za-z0-9._-]+$/.test(token)) {
      return refuse('credential is not valid: not three base64url parts');
    }
    let identity: Identity;
    try {
      identity = verifyCredential(token, deps.config.auth.signing_key);
    } catch (err) {
      if (!(err instanceof CredentialError)) throw err;
      return refuse(err.message);
    }
    if (deps.revocations.isRevoked(identity)) return refuse(text.revoked[frame.lang], identity);
    if (identity.role !== 'auditor' && identity.role !== 'admin')
      return refuse(text.wrongRole[frame.lang], identity);
    // A new session id on every sign-in (never one the browser already held), the old one ended.
    const previous = getCookie(c, SESSION_COOKIE);
    if (previous) sessions.close(previous);
    const session = sessions.open(identity);
    await service.audit(actorOf(c, identity), 'sign_in');
    setCookie(c, SESSION_COOKIE, session.id, {
      ...cookieBase,
      maxAge: Math.max(1, Math.floor((session.expiresAt - Date.now()) / 1000)),
    });
    deleteCookie(c, PRE_CSRF_COOKIE, { path: '/audit', secure });
    return c.redirect('/audit/', 303);
  });
  app.post('/audit/sign-out', async (c) => {
    const form = await formOf(c);
    const session = await signedInPost(c, form.get('csrf'));
    if (session instanceof Response) return session;
    sessions.close(session.id);
    await snapshotService(deps).audit(actorOf(c, session.identity), 'sign_out');
    deleteCookie(c, SESSION_COOKIE, { path: '/audit', secure });
    return c.redirect('/audit/', 303);
  });
  app.post('/audit/snapshots', async (c) => {
    const form = await formOf(c);
    const session = await signedInPost(c, form.get('csrf'));
    if (session instanceof Response) return session;
    const lang = frameOf(c, session).lang;
    const from = vietnamMidnight(form.get('from') ?? '');
    const toDay = vietnamMidnight(form.get('to') ?? '');
    const reportLang = form.get('lang') === 'en' ? 'en' : form.get('lang') === 'vi' ? 'vi' : lang;
    if (Number.isNaN(from) || Number.isNaN(toDay)) {
      const which = Number.isNaN(from) ? text.from[lang] : text.to[lang];
      return home(c, session, { ok: false, text: `${which}: YYYY-MM-DD` }, 400);
    }
    try {
      const { entry, created } = await snapshotService(deps).create(
        { from, to: toDay + 86_400_000, sites: form.getAll('sites'), lang: reportLang },
        actorOf(c, session.identity),
        { signal: c.req.raw.signal },
      );
      return c.redirect(`/audit/snapshots/${entry.id}?${created ? 'made' : 'kept'}=1`, 303);
    } catch (err) {
      if (err instanceof SnapshotRequestError) return home(c, session, { ok: false, text: err.message }, 400);
      throw err;
    }
  });
  app.get('/audit/snapshots/:id', (c) => {
    const session = sessionOf(c);
    if (!session) return c.redirect('/audit/', 303);
    const frame = frameOf(c, session);
    const id = c.req.param('id');
    const stored = snapshotIdPattern.test(id) ? snapshotService(deps).get(id) : undefined;
    if (!stored) return c.html(messagePage(frame, text.error[frame.lang], text.notFound[frame.lang]), 404);
    const message =
      c.req.query('made') !== undefined
        ? { ok: true, text: text.created[frame.lang] }
        : c.req.query('kept') !== undefined
          ? { ok: true, text: text.alreadyKept[frame.lang] }
          : undefined;
    return c.html(summaryPage(frame, stored, message));
  });
  app.get('/audit/snapshots/:id/download', async (c) => {
    const session = sessionOf(c);
    if (!session) return c.redirect('/audit/', 303);
    const frame = frameOf(c, session);
    const id = c.req.param('id');
    const found = snapshotIdPattern.test(id)
      ? await snapshotService(deps).download(id, actorOf(c, session.identity))
      : undefined;
    if (!found) return c.html(messagePage(frame, text.error[frame.lang], text.notFound[frame.lang]), 404);
    return zipResponse(found.entry, found.zip);
  });
  app.get('/audit/audit-log.csv', async (c) => {
    const session = sessionOf(c);
    if (!session) return c.redirect('/audit/', 303);
    const from = vietnamMidnight(c.req.query('from') ?? '');
    const toDay = vietnamMidnight(c.req.query('to') ?? '');
    if (Number.isNaN(from) || Number.isNaN(toDay)) {
      throw new ApiError(400, 'invalid_query', 'from, to: expected dates YYYY-MM-DD');
    }
    const service = snapshotService(deps);
    const records = await service.auditLog.read({ from, to: toDay + 86_400_000 });
    await service.audit(actorOf(c, session.identity), 'export_audit_log', {
      detail: `${records.length} records, csv`,
    });
    return c.body(auditLogCsv(records), 200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="hatang-audit-log-${c.req.query('from')}_${c.req.query('to')}.csv"`,
    });
  });
  app.post('/audit/verify', async (c) => {
    const type = c.req.header('content-type') ?? '';
    if (!/^multipart\/form-data;/i.test(type)) {
      throw new ApiError(415, 'unsupported_media_type', 'content-type: must be multipart/form-data');
    }
    // The session is checked before the upload is read: no one signed out makes the server read 256 MiB.
    if (!sessionOf(c)) return c.redirect('/audit/', 303);
    const body = await readBoundedBody(c, cfg.verify_max_bytes + MULTIPART_OVERHEAD);
    let form: FormData;
    try {
      form = await new Response(new Uint8Array(body), { headers: { 'content-type': type } }).formData();
    } catch (err) {
      throw new ApiError(400, 'malformed_form', 'body: not a valid multipart form', [], { cause: err });
    }
    const token = form.get('csrf');
    const session = await signedInPost(c, typeof token === 'string' ? token : null);
    if (session instanceof Response) return session;
    const frame = frameOf(c, session);
    const file = form.get('bundle');
    if (!(file instanceof File) || file.size === 0) {
      return home(
        c,
        session,
        { ok: false, text: `${text.bundle[frame.lang]}: ${text.noFile[frame.lang]}` },
        400,
      );
    }
    const result = await snapshotService(deps).verify(
      Buffer.from(await file.arrayBuffer()),
      actorOf(c, session.identity),
    );
    return c.html(verifyPage(frame, file.name, result), result.ok ? 200 : 422);
  });
  app.onError((err, c) => {
    const status = err instanceof ApiError ? err.status : 500;
    if (status >= 500) deps.log.error({ err, path: c.req.path }, 'audit page request failed');
    const frame = frameOf(c, sessionOf(c));
    const message = status >= 500 ? 'internal error; see the server log' : err.message;
    return c.html(messagePage(frame, text.error[frame.lang], message), status as 400);
  });
  return app;
}
