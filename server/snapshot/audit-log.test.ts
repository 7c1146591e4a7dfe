import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fillDisk, mountTmpfs } from '../../test/harness/disk.js';
import { auditLogCsv, openAuditLog } from './audit-log.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'hatang-audit-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('audit log', () => {
  it('appends one JSON line per action, in order, even when appended concurrently', async () => {
    const dir = tempDir();
    const log = openAuditLog(dir);
    const t0 = Date.parse('2026-11-01T00:00:00Z');
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        log.append({
          subject: `a${i}`,
          role: 'auditor',
          action: 'download',
          source: '127.0.0.1',
          time: t0 + i,
        }),
      ),
    );
    const lines = readFileSync(join(dir, 'audit.log'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(50);
    expect(lines.map((l) => JSON.parse(l).subject)).toEqual(Array.from({ length: 50 }, (_, i) => `a${i}`));
    expect(statSync(join(dir, 'audit.log')).mode & 0o777).toBe(0o600);
  });

  it('reads a time range, skipping a line cut by a crash', async () => {
    const dir = tempDir();
    const log = openAuditLog(dir);
    const t = (d: number) => Date.parse(`2026-11-0${d}T00:00:00Z`);
    await log.append({ subject: 'x', action: 'sign_in', source: 's', time: t(1) });
    await appendFile(log.file, '{"time":"2026-11-0');
    await appendFile(log.file, '\n');
    await log.append({
      subject: 'y',
      action: 'create',
      snapshot_id: 'c'.repeat(64),
      source: 's',
      time: t(2),
    });
    await log.append({ subject: 'z', action: 'sign_out', source: 's', time: t(3) });
    const got = await log.read({ from: t(2), to: t(3) });
    expect(got).toEqual([
      {
        time: '2026-11-02T00:00:00.000Z',
        subject: 'y',
        role: null,
        action: 'create',
        snapshot_id: 'c'.repeat(64),
        source: 's',
        detail: '',
      },
    ]);
    expect((await log.read()).map((r) => r.subject)).toEqual(['x', 'y', 'z']);
  });

  it('exports CSV with a BOM, quoting and formula-looking cells defused', () => {
    const csv = auditLogCsv([
      {
        time: '2026-11-01T00:00:00.000Z',
        subject: 'Nguyễn Văn A',
        role: 'auditor',
        action: 'sign_in_refused',
        snapshot_id: null,
        source: '10.0.0.1',
        detail: '=HYPERLINK("x"), expired',
      },
    ]);
    expect(csv.startsWith('\ufefftime,subject,role,action,snapshot_id,source,detail\r\n')).toBe(true);
    expect(csv).toContain(
      '2026-11-01T00:00:00.000Z,Nguyễn Văn A,auditor,sign_in_refused,,10.0.0.1,"\'=HYPERLINK(""x""), expired"\r\n',
    );
  });
});

describe('audit log on a full disk', () => {
  it('refuses an action it cannot write whole, leaves no cut line behind, and appends again once space returns', async (ctx) => {
    const fs = mountTmpfs('512k');
    if (!fs) {
      ctx.skip('cannot mount a tmpfs here (needs root and mount): the full-disk test did not run');
      return;
    }
    try {
      const log = openAuditLog(fs.dir);
      const base = { role: 'auditor' as const, source: '10.0.0.5' };
      await log.append({ ...base, subject: 'kiem-toan-1', action: 'sign_in' });
      const filler = fillDisk(fs.dir, 0);
      // Larger than what is left of the log's last page: the write is cut short, then ENOSPC.
      await expect(
        log.append({ ...base, subject: 'kiem-toan-2', action: 'create', detail: 'x'.repeat(20_000) }),
      ).rejects.toThrow(`audit log ${join(fs.dir, 'audit.log')}: cannot append`);
      rmSync(filler);
      await log.append({ ...base, subject: 'kiem-toan-3', action: 'download' });
      const lines = readFileSync(join(fs.dir, 'audit.log'), 'utf8').trim().split('\n');
      expect(lines.map((l) => JSON.parse(l).subject)).toEqual(['kiem-toan-1', 'kiem-toan-3']);
      expect((await log.read()).map((r) => r.action)).toEqual(['sign_in', 'download']);
    } finally {
      fs.unmount();
    }
  });
});
