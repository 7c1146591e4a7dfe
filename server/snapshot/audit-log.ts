import { createReadStream, existsSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ensureDir } from './files.js';

/** What an auditor (or admin, or the schedule) did. */
export const auditActions = [
  'sign_in',
  'sign_in_refused',
  'sign_out',
  'create',
  'list',
  'download',
  'verify',
  'schedule_run',
  'schedule_failed',
  'export_audit_log',
  'rotate_keys',
] as const;
export type AuditAction = (typeof auditActions)[number];

/** One line of the audit log. */
export interface AuditRecord {
  /** ISO 8601, UTC. */
  time: string;
  /** The credential's subject; '(unknown)' for a refused sign-in; 'schedule:<name>' for the schedule. */
  subject: string;
  /** The credential's role, when one was shown. */
  role: string | null;
  action: AuditAction;
  snapshot_id: string | null;
  /** Client address, or 'local' for the CLI and the schedule. */
  source: string;
  /** How it was done ('web', 'api', 'cli', 'schedule') and, for refusals and verifications, why. */
  detail: string;
}

export type AuditInput = Omit<AuditRecord, 'time' | 'role' | 'snapshot_id' | 'detail'> &
  Partial<Pick<AuditRecord, 'role' | 'snapshot_id' | 'detail'>> & { time?: number };

/**
 * The append-only log of every auditor action, `<dir>/audit.log`, one JSON object a line, each
 * line fsynced before the action's answer is sent. Appends are serialised, so lines never
 * interleave; the file is opened per append, so the server and a CLI command can share it.
 *
 * @example
 * const log = openAuditLog('/var/lib/hatang/snapshots');
 * await log.append({ subject: 'kiem-toan-1', role: 'auditor', action: 'download', snapshot_id: id, source: '10.0.0.5' });
 * await log.read({ from: Date.parse('2026-11-01') }); // records, oldest first
 */
export interface AuditLog {
  readonly file: string;
  append(record: AuditInput): Promise<AuditRecord>;
  /** Records with from ≤ time < to (ms), oldest first, at most `limit` of them. */
  read(o?: { from?: number; to?: number; limit?: number }): Promise<AuditRecord[]>;
}

export function openAuditLog(dir: string): AuditLog {
  const file = join(dir, 'audit.log');
  let tail: Promise<unknown> = Promise.resolve();
  const appendLine = async (line: string) => {
    ensureDir(dir, 0o700);
    let fh: FileHandle | undefined;
    try {
      fh = await open(file, 'a', 0o600);
      const before = (await fh.stat()).size;
      try {
        // writeFile writes every byte (one write() may write fewer on an almost full disk).
        await fh.writeFile(line);
        await fh.datasync();
      } catch (err) {
        // A line cut short must not stay behind: the next record would be glued onto it.
        await fh.truncate(before).catch(() => {});
        throw err;
      }
    } finally {
      await fh?.close();
    }
  };
  return {
    file,
    append(input) {
      const record: AuditRecord = {
        time: new Date(input.time ?? Date.now()).toISOString(),
        subject: input.subject,
        role: input.role ?? null,
        action: input.action,
        snapshot_id: input.snapshot_id ?? null,
        source: input.source,
        detail: input.detail ?? '',
      };
      const done = tail.then(() => appendLine(`${JSON.stringify(record)}\n`));
      tail = done.catch(() => {});
      return done.then(
        () => record,
        (err) => {
          throw new Error(`audit log ${file}: cannot append`, { cause: err });
        },
      );
    },
    async read({ from = Number.NEGATIVE_INFINITY, to = Number.POSITIVE_INFINITY, limit = 100_000 } = {}) {
      await tail;
      if (!existsSync(file)) return [];
      const out: AuditRecord[] = [];
      const lines = createInterface({
        input: createReadStream(file, 'utf8'),
        crlfDelay: Number.POSITIVE_INFINITY,
      });
      for await (const line of lines) {
        if (!line) continue;
        let record: AuditRecord;
        try {
          record = JSON.parse(line) as AuditRecord;
        } catch {
          // A line cut by a crash mid-append: skipped, the rest still reads.
          continue;
        }
        const t = Date.parse(record.time);
        if (t >= from && t < to) out.push(record);
        if (out.length >= limit) {
          lines.close();
          break;
        }
      }
      return out;
    },
  };
}

const csvColumns = ['time', 'subject', 'role', 'action', 'snapshot_id', 'source', 'detail'] as const;

/** The records as CSV (UTF-8 with BOM, so Excel shows Vietnamese names), CRLF line ends. */
export function auditLogCsv(records: AuditRecord[]): string {
  const cell = (v: string | null) => {
    const s = v ?? '';
    // A leading = + - @ would be read as a formula by a spreadsheet: quoted with a leading '.
    const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
    return /[",\r\n]/.test(safe) || safe !== s ? `"${safe.replaceAll('"', '""')}"` : safe;
  };
  const lines = [csvColumns.join(',')];
  for (const r of records) lines.push(csvColumns.map((k) => cell(r[k])).join(','));
  return `\ufeff${lines.join('\r\n')}\r\n`;
}
