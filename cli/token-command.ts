import { parseArgs } from 'node:util';
import { UsageError } from '../lib/config.js';
import { loadServerConfig } from '../server/config.js';
import { hashToken, issueCredential, newEnrollmentToken, type Role } from '../server/credentials.js';

export async function tokenCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c', default: 'config/server.yaml' },
      role: { type: 'string' },
      subject: { type: 'string' },
    },
  });
  const [sub, arg] = positionals;
  if (sub === 'new') {
    const token = newEnrollmentToken();
    console.log(`token:  ${token}\nsha256: ${hashToken(token)}`);
    console.error(
      "give the token to the site's sysadmins; put only the sha256 in server.yaml (enrollment_token_sha256)",
    );
    return 0;
  }
  if (sub === 'hash' && arg) {
    console.log(hashToken(arg));
    return 0;
  }
  if (sub === 'issue') {
    if (values.role !== 'auditor' && values.role !== 'admin')
      throw new UsageError('--role must be auditor or admin');
    if (!values.subject) throw new UsageError('--subject <name> is required');
    const config = loadServerConfig(values.config);
    console.log(
      await issueCredential({ role: values.role as Role, subject: values.subject }, config.auth.signing_key),
    );
    return 0;
  }
  throw new UsageError('hatang token: expected "new", "hash <token>" or "issue"');
}
