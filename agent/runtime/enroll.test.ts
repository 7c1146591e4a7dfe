import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { credentialClaims, renewalDueAt } from './credential.js';
import { ensureEnrolled, renewCredential } from './enroll.js';
import { HttpClient } from './http.js';
import { type Behaviour, hostile, startTestCollector, type TestCollector } from './test-collector.js';

let dir: string;
let collector: TestCollector;
let http: HttpClient;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hatang-enroll-test-'));
  collector = await startTestCollector();
  http = new HttpClient(undefined, { connectMs: 500, totalMs: 1_500 });
});
afterEach(async () => {
  http.close();
  await collector.close();
  rmSync(dir, { recursive: true, force: true });
});

const options = (withToken = true) => ({
  stateDir: dir,
  urls: [collector.url],
  token: withToken ? 'site-token-0123456789' : undefined,
  hostname: 'pc-1',
  version: 'test',
  http,
  log: pino({ level: 'silent' }),
});
const credentialFile = () => join(dir, 'credential.json');

describe('ensureEnrolled against a hostile or broken server', () => {
  const cases: [string, Behaviour, string][] = [
    ['a 600 MB answer', hostile.huge, 'answer is larger than 65536 bytes; cut off unread'],
    ['an answer dripping one byte a second', hostile.drip, 'no complete answer within 1500 ms'],
    ['201 {}', hostile.emptyObject, 'agent_id is missing; site_id is missing; credential is missing'],
    ['201 with an HTML page', hostile.html, 'answer is not a JSON object (text/html): <html><body>'],
    ['a credential with CR/LF', hostile.crlfCredential, 'credential is not a JWT (three base64url parts'],
    ['fields of the wrong type', hostile.wrongTypes, 'agent_id must be a string; site_id must be a string'],
  ];
  for (const [what, behaviour, message] of cases) {
    it(`fails naming what is wrong, and stores nothing, on ${what}`, async () => {
      collector.enroll = behaviour;
      await expect(ensureEnrolled(options())).rejects.toThrow(message);
      expect(existsSync(credentialFile())).toBe(false);
      // …and recovers once the server answers properly.
      collector.enroll = 'good';
      const e = await ensureEnrolled(options());
      expect(e).toMatchObject({ agent_id: 'pc-1-abc123', site_id: 'so-test', role: 'agent' });
      expect(JSON.parse(readFileSync(credentialFile(), 'utf8')).credential).toBe(collector.issued[0]);
      expect(statSync(credentialFile()).mode & 0o777).toBe(0o600);
    });
  }

  it('says why "expires_at: soon" is wrong', async () => {
    collector.enroll = (_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ agent_id: 'a', site_id: 's', credential: 'a.e30.c', expires_at: 'soon' }));
    };
    await expect(ensureEnrolled(options())).rejects.toThrow('expires_at is not an ISO-8601 time');
  });

  it('refuses a credential whose own role is not agent or poller', async () => {
    const payload = Buffer.from(JSON.stringify({ sub: 'x', role: 'admin' })).toString('base64url');
    collector.enroll = (_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ agent_id: 'a', site_id: 's', credential: `eyJhbGciOiJIUzI1NiJ9.${payload}.c` }),
      );
    };
    await expect(ensureEnrolled(options())).rejects.toThrow(
      `the credential's role "admin" is not agent or poller`,
    );
    expect(existsSync(credentialFile())).toBe(false);
  });

  it('moves on to the next server when one gives an unusable answer', async () => {
    const broken = await startTestCollector();
    try {
      broken.enroll = hostile.html;
      const e = await ensureEnrolled({ ...options(), urls: [broken.url, collector.url] });
      expect(e.server).toBe(collector.url);
      expect(broken.calls.enroll).toBe(1);
    } finally {
      await broken.close();
    }
  });

  it('stores role, expiry and issue time from a current server', async () => {
    const e = await ensureEnrolled(options());
    const claims = credentialClaims(e.credential);
    expect(e.expires_at).toBe(new Date((claims.exp as number) * 1000).toISOString());
    expect(e.issued_at).toBe(new Date((claims.iat as number) * 1000).toISOString());
    expect(renewalDueAt(e)).toBe((claims.exp as number) * 1000 - 1200 * 1000);
  });

  it('re-enrolls at start when the stored credential is unusable (an older agent stored {} or a CR/LF credential)', async () => {
    for (const stored of ['{}', '{"agent_id":"a","site_id":"s","credential":"x.y.z\\r\\n"}', '<html>']) {
      writeFileSync(credentialFile(), stored, { mode: 0o600 });
      const e = await ensureEnrolled(options());
      expect(e.credential).toBe(collector.issued.at(-1));
      expect(JSON.parse(readFileSync(credentialFile(), 'utf8')).credential).toBe(e.credential);
    }
    expect(collector.calls.enroll).toBe(3);
  });

  it('without a token, names the problems of an unusable stored credential', async () => {
    writeFileSync(credentialFile(), '{"agent_id":"a","site_id":"s","credential":""}');
    await expect(ensureEnrolled(options(false))).rejects.toThrow(
      'stored credential is not usable: credential is empty',
    );
  });
});

describe('renewCredential', () => {
  it('replaces the stored credential atomically (0600) with the fresh one', async () => {
    const first = await ensureEnrolled(options());
    const outcome = await renewCredential(first, options());
    expect(outcome.kind).toBe('renewed');
    const stored = JSON.parse(readFileSync(credentialFile(), 'utf8'));
    expect(stored.credential).toBe(collector.issued[1]);
    expect(stored.enrolled_at).toBe(first.enrolled_at);
    expect(stored.renewed_at).toBeDefined();
    expect(statSync(credentialFile()).mode & 0o777).toBe(0o600);
  });

  it('says "refused" on 401 and keeps the stored credential', async () => {
    const first = await ensureEnrolled(options());
    collector.renew = 'unauthorized';
    expect(await renewCredential(first, options())).toMatchObject({ kind: 'refused', status: 401 });
    expect(JSON.parse(readFileSync(credentialFile(), 'utf8')).credential).toBe(first.credential);
  });

  it('throws, keeping the stored credential, on a malformed or foreign answer', async () => {
    const first = await ensureEnrolled(options());
    collector.renew = hostile.crlfCredential;
    await expect(renewCredential(first, options())).rejects.toThrow('credential is not a JWT');
    collector.renew = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ agent_id: 'someone-else', site_id: 'so-test', credential: 'a.e30.c' }));
    };
    await expect(renewCredential(first, options())).rejects.toThrow(
      'answer names agent someone-else at site so-test, but this is pc-1-abc123 at so-test',
    );
    expect(JSON.parse(readFileSync(credentialFile(), 'utf8')).credential).toBe(first.credential);
  });
});

describe('an older server', () => {
  it('without role/expires_at: the JWT exp says when to renew', async () => {
    await collector.close();
    collector = await startTestCollector({ oldAnswer: true, lifetimeS: 600 });
    const e = await ensureEnrolled(options());
    expect(e.role).toBe('agent');
    expect(Date.parse(e.expires_at as string) - Date.parse(e.issued_at as string)).toBe(600_000);
  });

  it('with credentials that never expire: never renewed', async () => {
    await collector.close();
    collector = await startTestCollector({ oldAnswer: true, lifetimeS: 0 });
    const e = await ensureEnrolled(options());
    expect(e.expires_at).toBeUndefined();
    expect(renewalDueAt(e)).toBeUndefined();
  });
});
