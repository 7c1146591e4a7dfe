import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import si from 'systeminformation';
import type { EnrollRequest, EnrollResponse } from '../../server/routes/enroll.js';
import type { HttpClient } from './http.js';
import { windowsMachineGuid } from './machine-id.windows.js';
import { type Enrollment, readJson, stateFiles, writeJson } from './state.js';

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

/**
 * Returns the stored enrollment, or enrolls now with the site token (trying each server URL in turn)
 * and stores the credential 0600. Throws when not enrolled and no token is configured.
 */
export async function ensureEnrolled(opts: {
  stateDir: string;
  urls: readonly string[];
  token: string | undefined;
  hostname: string;
  version: string;
  http: HttpClient;
  log: Logger;
}): Promise<Enrollment> {
  const file = stateFiles(opts.stateDir).enrollment;
  const existing = await readJson<Enrollment>(file);
  if (existing) return existing;
  if (!opts.token) {
    throw new Error(`enrollment: ${file} does not exist and server.enrollment_token is not set`);
  }
  const request: EnrollRequest = {
    token: opts.token,
    hostname: opts.hostname,
    machine_id: await machineId(),
    agent_version: opts.version,
  };
  const failures: string[] = [];
  for (const base of opts.urls) {
    try {
      const res = await opts.http.postJson(new URL('/api/v1/enroll', base).href, request);
      if (res.status === 201) {
        const body = res.body as EnrollResponse;
        const enrollment: Enrollment = {
          agent_id: body.agent_id,
          site_id: body.site_id,
          credential: body.credential,
          enrolled_at: new Date().toISOString(),
          server: base,
        };
        await writeJson(file, enrollment);
        opts.log.info({ agent_id: body.agent_id, site_id: body.site_id, server: base }, 'enrolled');
        return enrollment;
      }
      const message = (res.body as { message?: string } | undefined)?.message ?? JSON.stringify(res.body);
      // The token is wrong or the machine revoked: another collector would say the same.
      if (res.status >= 400 && res.status < 500)
        throw new Error(`enrollment refused by ${base}: ${res.status} ${message}`);
      failures.push(`${base}: ${res.status} ${message}`);
    } catch (err) {
      if ((err as Error).message.startsWith('enrollment refused')) throw err;
      failures.push((err as Error).message);
    }
  }
  throw new Error(`enrollment: no collector answered (${failures.join('; ')})`);
}
