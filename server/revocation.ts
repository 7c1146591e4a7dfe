import { readFileSync, statSync } from 'node:fs';
import type { Logger } from 'pino';
import { machineDigestOf } from './credentials.js';

/** What a revocation entry is matched against. */
export interface Revocable {
  /** An agent id, or a person's or service's name. */
  subject: string;
  /** The credential's id (`jti`), when a credential is being checked. */
  credentialId?: string | undefined;
}

/**
 * What is revoked: the config's list plus an optional file (one entry per line, `#` comments) that
 * is re-read when its mtime changes, checked at most once a second. An entry is
 * - an agent id: that machine, under any hostname it enrolls with (its id ends with the digest of
 *   its site and machine identity, and the digest is what is matched);
 * - any other name: every credential issued to that subject (an auditor, an admin);
 * - `credential:<id>`: one credential, by the id `hatang token issue` printed.
 */
export class RevocationList {
  private fromFile = new Set<string>();
  private configuredSet: Set<string>;
  private fileMtimeMs = -1;
  private checkedAt = 0;

  constructor(
    configured: readonly string[],
    private readonly file: string | undefined,
    private readonly log: Logger,
  ) {
    this.configuredSet = new Set(configured.flatMap(keysOf));
  }

  isRevoked(who: Revocable): boolean {
    this.refresh();
    const keys = [`subject:${who.subject}`];
    const digest = machineDigestOf(who.subject);
    if (digest) keys.push(`machine:${digest}`);
    if (who.credentialId) keys.push(`credential:${who.credentialId}`);
    return keys.some((k) => this.configuredSet.has(k) || this.fromFile.has(k));
  }

  private refresh(): void {
    if (!this.file) return;
    const now = Date.now();
    if (now - this.checkedAt < 1000) return;
    this.checkedAt = now;
    try {
      const { mtimeMs } = statSync(this.file);
      if (mtimeMs === this.fileMtimeMs) return;
      const ids = readFileSync(this.file, 'utf8')
        .split('\n')
        .map((l) => l.replace(/#.*/, '').trim())
        .filter(Boolean);
      this.fromFile = new Set(ids.flatMap(keysOf));
      this.fileMtimeMs = mtimeMs;
      this.log.info({ file: this.file, revoked: ids.length }, 'revocation list loaded');
    } catch (err) {
      // Keep the last good list: a missing or unreadable file must not un-revoke anyone.
      if (this.fileMtimeMs !== -2) this.log.error({ err, file: this.file }, 'revocation file: cannot read');
      this.fileMtimeMs = -2;
    }
  }
}

/** The lookup keys one revocation entry stands for. */
function keysOf(entry: string): string[] {
  if (entry.startsWith('credential:')) return [entry];
  const digest = machineDigestOf(entry);
  return digest ? [`machine:${digest}`] : [`subject:${entry}`];
}
