import { parseArgs } from 'node:util';
import { UsageError } from '../lib/config.js';
import { parseDuration } from '../lib/units.js';
import { loadServerConfig } from '../server/config.js';
import { hashToken, issueCredential, newEnrollmentToken, type Role, roles } from '../server/credentials.js';
import { configEnv, findConfig, sayWhichConfig } from './config-path.js';

export async function tokenCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      role: { type: 'string' },
      subject: { type: 'string' },
      site: { type: 'string' },
      expires: { type: 'string' },
    },
  });
  const [sub, arg] = positionals;
  if (sub === 'new') {
    const token = newEnrollmentToken();
    console.log(`token:  ${token}\nsha256: ${hashToken(token)}`);
    console.error(
      "give the token to the site's sysadmins; put only the sha256 in server.yaml (enrollment_token_sha256 for agency PCs, poller_token_sha256 for the site's poller)",
    );
    return 0;
  }
  if (sub === 'hash' && arg) {
    console.log(hashToken(arg));
    return 0;
  }
  if (sub === 'issue') {
    const role = values.role as Role | undefined;
    if (!role || !(roles as readonly string[]).includes(role) || role === 'agent') {
      throw new UsageError(
        '--role must be auditor, admin or poller (agency PCs enroll with their site token)',
      );
    }
    if (!values.subject) throw new UsageError('--subject <name> is required');
    if (role === 'poller' && !values.site) throw new UsageError('--site <id> is required for a poller');
    const found = findConfig('server', values.config);
    const env = configEnv(found.file);
    sayWhichConfig(found, env.file);
    const config = loadServerConfig(found.file, { env: env.env });
    if (values.site && !config.auth.sites.some((s) => s.id === values.site)) {
      throw new UsageError(`--site: no site "${values.site}" in ${found.file}`);
    }
    let lifetime: number;
    if (values.expires) {
      try {
        lifetime = parseDuration(values.expires);
      } catch (err) {
        throw new UsageError(`--expires: ${(err as Error).message}`);
      }
    } else {
      lifetime =
        role === 'poller' ? config.auth.credential_lifetime.machine : config.auth.credential_lifetime.person;
    }
    const { credential, identity } = issueCredential(
      { role, subject: values.subject, ...(role === 'poller' ? { siteId: values.site } : {}) },
      config.auth.signing_key,
      lifetime,
    );
    console.log(credential);
    console.error(
      `${role} "${identity.subject}": credential id ${identity.credentialId}, expires ${new Date(identity.expiresAt).toISOString()}; revoke with "credential:${identity.credentialId}" or "${identity.subject}" in auth.revoked`,
    );
    return 0;
  }
  throw new UsageError('hatang token: expected "new", "hash <token>" or "issue"');
}
