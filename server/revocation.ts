import { readFileSync, statSync } from 'node:fs';
import type { Logger } from 'pino';

/**
 * The set of revoked agent ids: the config's list plus an optional file (one id per line, `#`
 * comments) that is re-read when its mtime changes, checked at most once a second.
 */
export class RevocationList {
  private fromFile = new Set<string>();
  private fileMtimeMs = -1;
  private checkedAt = 0;

  constructor(
    private readonly configured: readonly string[],
    private readonly file: string | undefined,
    private readonly log: Logger,
  ) {}

  isRevoked(agentId: string): boolean {
    this.refresh();
    return this.configured.includes(agentId) || this.fromFile.has(agentId);
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
      this.fromFile = new Set(ids);
      this.fileMtimeMs = mtimeMs;
      this.log.info({ file: this.file, revoked: ids.length }, 'revocation list loaded');
    } catch (err) {
      // Keep the last good list: a missing or unreadable file must not un-revoke anyone.
      if (this.fileMtimeMs !== -2) this.log.error({ err, file: this.file }, 'revocation file: cannot read');
      this.fileMtimeMs = -2;
    }
  }
}
