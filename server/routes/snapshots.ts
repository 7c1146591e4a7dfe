import type { Context } from 'hono';
import { Hono } from 'hono';
import { z } from 'zod';
import { readBoundedBody, readJsonBody } from '../body.js';
import type { AppDeps, AppEnv } from '../context.js';
import { ApiError, problemsMessage } from '../errors.js';
import { enrollBodyLimits } from '../limits.js';
import { auditLogCsv } from '../snapshot/audit-log.js';
import { vietnamDate, vietnamMidnight } from '../snapshot/period.js';
import { type Actor, SnapshotRequestError, type SnapshotService } from '../snapshot/service.js';
import { snapshotIdPattern } from '../snapshot/store.js';
import type { SnapshotEntry } from '../snapshot/types.js';
import { requireCredential } from './auth.js';

/**
 * A time in a request: ISO 8601 with a zone (`2026-11-01T00:00:00+07:00`, `…Z`) or a date
 * (`2026-11-01`), which means midnight starting that day in Vietnam (UTC+7).
 */
export const requestTime = z.string().transform((text, ctx) => {
  const t = /^\d{4}-\d{2}-\d{2}$/.test(text)
    ? vietnamMidnight(text)
    : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(text)
      ? Date.parse(text)
      : Number.NaN;
  if (Number.isNaN(t)) {
    ctx.addIssue({
      code: 'custom',
      message: `"${text.slice(0, 40)}" is not a date (2026-11-01) or an ISO 8601 time with a zone`,
    });
    return z.NEVER;
  }
  return t;
});

const siteId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a site id');

const createBody = z.strictObject({
  from: requestTime.describe('start of the window, included'),
  to: requestTime.describe('end of the window, excluded (a date means midnight starting it)'),
  sites: z.array(siteId).max(500).optional().describe('scope; absent or empty = everything'),
  lang: z.enum(['vi', 'en']).optional(),
});

const auditLogQuery = z.strictObject({
  from: requestTime.optional(),
  to: requestTime.optional(),
  format: z.enum(['json', 'csv']).default('json'),
});

/** JSON bodies of these routes are a few short fields: the enrollment bounds fit them. */
const smallJson = enrollBodyLimits;

/** The client's address as the socket saw it (no proxy header is trusted), or 'unknown' in-process. */
export function clientAddress(c: Context): string {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? 'unknown';
}

/** The service, or 404 naming why there is none. */
export function snapshotService(deps: AppDeps): SnapshotService {
  if (!deps.snapshots) throw new ApiError(404, 'not_configured', 'snapshots: not available on this server');
  return deps.snapshots;
}

/** A download's file name: the window and the first 12 characters of the id. */
export function bundleFileName(entry: SnapshotEntry): string {
  const from = vietnamDate(Date.parse(entry.window.from));
  const to = vietnamDate(Date.parse(entry.window.to) - 1);
  return `hatang-snapshot-${from}_${to}-${entry.id.slice(0, 12)}.zip`;
}

function parsed<T extends z.ZodType>(schema: T, input: unknown, what: string, code: string): z.output<T> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message }));
  throw new ApiError(400, code, problemsMessage(what, problems), problems);
}

/**
 * Auditors' snapshots over the API (auditor and admin credentials), and the public signing keys:
 * - POST /api/v1/snapshots `{from, to, sites?, lang?}` → 201 and the entry (200 when the same
 *   content was already kept);
 * - GET /api/v1/snapshots → `{snapshots: [entry…]}`, newest first;
 * - GET /api/v1/snapshots/:id → the zip;
 * - POST /api/v1/snapshots/verify (the zip as the body) → VerifyResult, checked against this
 *   server's keys, current and retired;
 * - GET /api/v1/audit-log?from&to&format=json|csv → the audit log;
 * - GET /.well-known/hatang-snapshot-keys (no credential) → [PublicKeyRecord…].
 */
export function snapshotRoutes(deps: AppDeps) {
  const auth = requireCredential(deps, ['auditor', 'admin']);
  const actor = (c: Context<AppEnv>): Actor => {
    const id = c.get('identity');
    return { subject: id.subject, role: id.role, source: clientAddress(c), via: 'api' };
  };
  return new Hono<AppEnv>()
    .get('/.well-known/hatang-snapshot-keys', (c) => {
      c.header('cache-control', 'public, max-age=300');
      return c.json(snapshotService(deps).publicKeys());
    })
    .post('/api/v1/snapshots/verify', auth, async (c) => {
      const service = snapshotService(deps);
      const type = (c.req.header('content-type') ?? '').toLowerCase().split(';')[0]?.trim();
      if (type !== 'application/zip' && type !== 'application/octet-stream') {
        throw new ApiError(
          415,
          'unsupported_media_type',
          'content-type: must be application/zip (the bundle as the body)',
        );
      }
      const zip = await readBoundedBody(c, deps.config.snapshots.verify_max_bytes);
      if (zip.length === 0) throw new ApiError(400, 'empty_body', 'body: empty; expected a snapshot zip');
      return c.json(await service.verify(zip, actor(c)));
    })
    .post('/api/v1/snapshots', auth, async (c) => {
      const service = snapshotService(deps);
      const body = parsed(
        createBody,
        await readJsonBody(c, smallJson, c.get('bodyGate')),
        'snapshot request',
        'invalid_request',
      );
      try {
        const { entry, created } = await service.create(
          {
            from: body.from,
            to: body.to,
            ...(body.sites ? { sites: body.sites } : {}),
            ...(body.lang ? { lang: body.lang } : {}),
          },
          actor(c),
          { signal: c.req.raw.signal },
        );
        return c.json(entry, created ? 201 : 200);
      } catch (err) {
        if (err instanceof SnapshotRequestError) throw new ApiError(400, 'invalid_request', err.message);
        throw err;
      }
    })
    .get('/api/v1/snapshots', auth, (c) => c.json({ snapshots: snapshotService(deps).list() }))
    .get('/api/v1/snapshots/:id', auth, async (c) => {
      const id = c.req.param('id');
      if (!snapshotIdPattern.test(id)) {
        throw new ApiError(
          400,
          'invalid_id',
          `snapshot id: "${id.slice(0, 80)}" is not 64 lowercase hex characters`,
        );
      }
      const found = await snapshotService(deps).download(id, actor(c));
      if (!found) throw new ApiError(404, 'unknown_snapshot', `no snapshot ${id}`);
      return zipResponse(found.entry, found.zip);
    })
    .get('/api/v1/audit-log', auth, async (c) => {
      const service = snapshotService(deps);
      const q = parsed(auditLogQuery, c.req.query(), 'audit-log query', 'invalid_query');
      const records = await service.auditLog.read({
        ...(q.from !== undefined ? { from: q.from } : {}),
        ...(q.to !== undefined ? { to: q.to } : {}),
      });
      await service.audit(actor(c), 'export_audit_log', { detail: `${records.length} records, ${q.format}` });
      if (q.format === 'csv') {
        return c.body(auditLogCsv(records), 200, {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': 'attachment; filename="hatang-audit-log.csv"',
        });
      }
      return c.json({ records });
    });
}

/** A bundle as a download: attachment, never cached by a shared cache, never sniffed. */
export function zipResponse(entry: SnapshotEntry, zip: Buffer): Response {
  return new Response(new Uint8Array(zip), {
    status: 200,
    headers: {
      'content-type': 'application/zip',
      'content-length': String(zip.length),
      'content-disposition': `attachment; filename="${bundleFileName(entry)}"`,
      'cache-control': 'private, no-store',
      'x-content-type-options': 'nosniff',
    },
  });
}
