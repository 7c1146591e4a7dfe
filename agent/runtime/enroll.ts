import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { EnrollRequest } from '../../server/routes/enroll.js';
import {
  type Enrollment,
  enrollmentFromAnswer,
  excerpt,
  isExpired,
  storedEnrollmentProblems,
  withClaims,
} from './credential.js';
import { type HttpClient, type HttpResult, MAX_ANSWER_BYTES } from './http.js';
import { windowsMachineGuid } from './machine-id.windows.js';
import { stateFiles, writeJson } from './state.js';
import { si } from './sysinfo.js';

/** A stable identity for this machine: MachineGuid on Windows, systemd's machine-id on Linux, else the OS UUID. */
export async function machineId(): Promise<string> {
  // On Windows '/etc/machine-id' would resolve against the current drive; MachineGuid is the identity.
  const guid = process.platform === 'win32' ? await windowsMachineGuid() : undefined;
  if (guid) return guid;
  for (const file of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    const id = await readFile(file, 'utf8').then(
      (t) => t.trim(),
      () => '',
    );
    if (id.length >= 8) return id;
  }
  const { os, hardware } = await si.uuid();
  const id = os || hardware;
  if (!id || id.length < 8)
    throw new Error('machine id: neither /etc/machine-id nor an OS UUID is available');
  return id;
}

export interface EnrollOptions {
  stateDir: string;
  urls: readonly string[];
  token: string | undefined;
  hostname: string;
  version: string;
  http: HttpClient;
  log: Logger;
}

/** Reads credential.json; undefined when absent. Throws naming the problems when it is unusable. */
export async function readEnrollment(stateDir: string): Promise<Enrollment | undefined> {
  const file = stateFiles(stateDir).enrollment;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${file}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  let stored: unknown;
  try {
    stored = JSON.parse(text);
  } catch {
    stored = text;
  }
  const problems = storedEnrollmentProblems(stored);
  if (problems.length > 0)
    throw new Error(`${file}: stored credential is not usable: ${problems.join('; ')}`);
  return withClaims(stored as Enrollment);
}

/**
 * Returns the stored enrollment, or enrolls now with the site token (trying each server URL in turn)
 * and stores the credential 0600. A stored credential that is damaged (an older agent could store
 * `{}`) or expired is replaced by enrolling again when the token is configured. Throws when there is
 * no usable credential and no token, when a server refuses the token (4xx), or when no server gave a
 * valid answer — an answer that is not a well-formed enrollment is never stored.
 */
export async function ensureEnrolled(opts: EnrollOptions & { replace?: boolean }): Promise<Enrollment> {
  // The server refused the stored credential (401): enroll again, replacing it only once that works.
  if (opts.replace && opts.token) return enroll(opts);
  let existing: Enrollment | undefined;
  let unusable = '';
  try {
    existing = await readEnrollment(opts.stateDir);
  } catch (err) {
    unusable = (err as Error).message;
  }
  if (existing && !isExpired(existing, Date.now())) return existing;
  if (existing) unusable = `stored credential expired at ${existing.expires_at}`;
  if (!opts.token) {
    if (existing) return existing; // the server will say 401; a person must provide a token
    throw new Error(
      `enrollment: ${unusable || `${stateFiles(opts.stateDir).enrollment} does not exist`} and server.enrollment_token is not set`,
    );
  }
  if (unusable) opts.log.error({ err: unusable }, 'stored credential unusable: enrolling again');
  return enroll(opts);
}

async function enroll(opts: EnrollOptions): Promise<Enrollment> {
  const request: EnrollRequest = {
    token: opts.token as string,
    hostname: opts.hostname,
    machine_id: await machineId(),
    agent_version: opts.version,
  };
  const failures: string[] = [];
  for (const base of opts.urls) {
    let res: HttpResult;
    try {
      res = await opts.http.postJson(new URL('/api/v1/enroll', base).href, request, {
        maxBytes: MAX_ANSWER_BYTES,
      });
    } catch (err) {
      failures.push((err as Error).message);
      continue;
    }
    if (res.status === 201) {
      try {
        const enrollment = enrollmentFromAnswer(res, base, new Date());
        await writeJson(stateFiles(opts.stateDir).enrollment, enrollment);
        opts.log.info(
          { agent_id: enrollment.agent_id, site_id: enrollment.site_id, role: enrollment.role, server: base },
          'enrolled',
        );
        return enrollment;
      } catch (err) {
        opts.log.error(
          { server: base, err: (err as Error).message },
          'enrollment answer unusable; not stored',
        );
        failures.push(`${base}: 201 but ${(err as Error).message}`);
        continue;
      }
    }
    // The token is wrong or the machine revoked: another collector would say the same.
    if (res.status >= 400 && res.status < 500)
      throw new Error(`enrollment refused by ${base}: ${res.status} ${messageOf(res)}`);
    failures.push(`${base}: ${res.status} ${messageOf(res)}`);
  }
  throw new Error(`enrollment: no collector gave a usable answer (${failures.join('; ')})`);
}

export type RenewOutcome =
  | { kind: 'renewed'; enrollment: Enrollment }
  /** The server will not renew this credential (401/403): enroll again or ask a person. */
  | { kind: 'refused'; status: number; message: string };

/**
 * Asks for a fresh credential with the current one (`POST /api/v1/credential/renew`) and atomically
 * replaces credential.json (0600). Throws when no server gave a usable answer (unreachable, 5xx, an
 * older server without the route, a malformed answer): the caller retries later with the old one.
 */
export async function renewCredential(current: Enrollment, opts: EnrollOptions): Promise<RenewOutcome> {
  const failures: string[] = [];
  // The server that issued the credential first: it surely knows the route.
  const urls = opts.urls.includes(current.server)
    ? [current.server, ...opts.urls.filter((u) => u !== current.server)]
    : opts.urls;
  for (const base of urls) {
    let res: HttpResult;
    try {
      res = await opts.http.postJson(
        new URL('/api/v1/credential/renew', base).href,
        {},
        { bearer: current.credential, maxBytes: MAX_ANSWER_BYTES },
      );
    } catch (err) {
      failures.push((err as Error).message);
      continue;
    }
    if (res.status === 200 || res.status === 201) {
      try {
        const enrollment = enrollmentFromAnswer(res, base, new Date(), current);
        await writeJson(stateFiles(opts.stateDir).enrollment, enrollment);
        opts.log.info(
          { agent_id: enrollment.agent_id, expires_at: enrollment.expires_at, server: base },
          'credential renewed',
        );
        return { kind: 'renewed', enrollment };
      } catch (err) {
        opts.log.error({ server: base, err: (err as Error).message }, 'renewal answer unusable; not stored');
        failures.push(`${base}: ${res.status} but ${(err as Error).message}`);
        continue;
      }
    }
    if (res.status === 401 || res.status === 403)
      return { kind: 'refused', status: res.status, message: messageOf(res) };
    failures.push(`${base}: ${res.status} ${messageOf(res)}`);
  }
  throw new Error(`credential renewal: no collector gave a usable answer (${failures.join('; ')})`);
}

function messageOf(res: HttpResult): string {
  const message = (res.body as { message?: unknown } | undefined)?.message;
  return excerpt(typeof message === 'string' ? message : (res.body ?? ''), 200);
}
