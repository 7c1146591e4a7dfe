import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyCredential } from '../server/credentials.js';
import { runHatang } from '../test/harness/hatang.js';
import { testSigningKey } from '../test/harness/server.js';

const dir = mkdtempSync(join(tmpdir(), 'hatang-token-'));
const config = join(dir, 'server.yaml');
writeFileSync(
  config,
  `auth:
  signing_key: \${SIGNING_KEY}
  sites: [{ id: so-tttt, name: test, enrollment_token_sha256: ${'a'.repeat(64)} }]
  credential_lifetime: { person: 10d }
spool: { dir: "${join(dir, 'spool')}" }
`,
);
const env = { SIGNING_KEY: testSigningKey };
const issue = (...args: string[]) => runHatang(['token', 'issue', '--config', config, ...args], env);
const credentialIn = (output: string) =>
  output.split('\n').find((l) => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(l)) ?? '';

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hatang token issue', () => {
  it('issues an auditor credential expiring after the configured person lifetime, and says how to revoke it', async () => {
    const { code, output } = await issue('--role', 'auditor', '--subject', 'thanh-tra');
    expect(code, output).toBe(0);
    const identity = verifyCredential(credentialIn(output), testSigningKey);
    expect(identity).toMatchObject({ role: 'auditor', subject: 'thanh-tra' });
    expect(identity.expiresAt - Date.now()).toBeGreaterThan(10 * 86_400_000 - 60_000);
    expect(identity.expiresAt - Date.now()).toBeLessThanOrEqual(10 * 86_400_000);
    expect(output).toContain(
      `revoke with "credential:${identity.credentialId}" or "thanh-tra" in auth.revoked`,
    );
  });

  it('issues a poller credential for a configured site with --expires', async () => {
    const { code, output } = await issue(
      '--role',
      'poller',
      '--subject',
      'poller-dc1',
      '--site',
      'so-tttt',
      '--expires',
      '2h',
    );
    expect(code, output).toBe(0);
    const identity = verifyCredential(credentialIn(output), testSigningKey);
    expect(identity).toMatchObject({ role: 'poller', subject: 'poller-dc1', siteId: 'so-tttt' });
    expect(identity.expiresAt - Date.now()).toBeLessThanOrEqual(2 * 3_600_000);
  });

  it.each([
    [['--role', 'agent', '--subject', 'x'], /--role must be auditor, admin or poller/],
    [['--role', 'poller', '--subject', 'x'], /--site <id> is required for a poller/],
    [['--role', 'poller', '--subject', 'x', '--site', 'nowhere'], /--site: no site "nowhere"/],
    [['--role', 'admin', '--subject', 'x', '--expires', 'soon'], /--expires: "soon" is not a duration/],
  ])('refuses %j with a message naming the option', async (args, message) => {
    const { code, output } = await issue(...args);
    expect(code).not.toBe(0);
    expect(output).toMatch(message);
  });
});
