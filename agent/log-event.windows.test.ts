import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../test/harness/ports.js';
import {
  defaultEventCreate,
  eventCreateArgs,
  eventDescription,
  eventLogStream,
  maxDescriptionChars,
} from './log-event.windows.js';

const dir = mkdtempSync(join(tmpdir(), 'ht-event-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const record = (o: Record<string, unknown>) => ({ level: 50, time: 1, pid: 7, name: 'hatang-agent', ...o });

describe('eventCreateArgs', () => {
  it('writes an error to the Application log under hatang-agent with the level as event ID', () => {
    expect(eventCreateArgs(record({ msg: 'collector failed', collector: 'host', err: 'timeout' }))).toEqual([
      '/L',
      'APPLICATION',
      '/T',
      'ERROR',
      '/SO',
      'hatang-agent',
      '/ID',
      '50',
      '/D',
      'collector failed (collector=host, err=timeout)',
    ]);
  });

  it('maps warn to WARNING 40 and fatal to ERROR 60, IDs inside eventcreate’s 1–1000', () => {
    const typeAndId = (level: number) => {
      const a = eventCreateArgs(record({ level, msg: 'x' }));
      return [a[3], a[7]];
    };
    expect(typeAndId(40)).toEqual(['WARNING', '40']);
    expect(typeAndId(60)).toEqual(['ERROR', '60']);
    expect(typeAndId(0)).toEqual(['INFORMATION', '1']);
    expect(typeAndId(5000)).toEqual(['ERROR', '1000']);
  });
});

describe('eventDescription', () => {
  it('keeps Vietnamese text as it is', () => {
    expect(eventDescription(record({ msg: 'không gửi được', user: 'Nguyễn Văn An' }))).toBe(
      'không gửi được (user=Nguyễn Văn An)',
    );
  });

  it('turns double quotes into single ones and line breaks and tabs into spaces', () => {
    expect(eventDescription(record({ msg: 'config "agent.yaml"\r\nline 2\tend' }))).toBe(
      "config 'agent.yaml' line 2 end",
    );
  });

  it('names an error object by its message and other values as JSON', () => {
    const text = eventDescription(
      record({
        msg: 'send failed',
        err: { type: 'Error', message: 'ECONNREFUSED 127.0.0.1:1', stack: 'at …' },
        n: 3,
      }),
    );
    expect(text).toBe('send failed (err=ECONNREFUSED 127.0.0.1:1, n=3)');
  });

  it('never starts with / or - (eventcreate would read an option) and is never empty', () => {
    expect(eventDescription(record({ msg: '/D nope' }))).toBe('message: /D nope');
    expect(eventDescription(record({ msg: '-x' }))).toBe('message: -x');
    expect(eventDescription(record({ msg: '' }))).toBe('(no message)');
  });

  it(`cuts long messages to ${maxDescriptionChars} characters without splitting a character`, () => {
    const long = eventDescription(record({ msg: 'ễ'.repeat(5_000) }));
    expect(long).toHaveLength(maxDescriptionChars);
    expect(long.endsWith('ễ…')).toBe(true);
    const emoji = eventDescription(record({ msg: `${'a'.repeat(maxDescriptionChars - 2)}😀😀` }));
    expect(emoji.length).toBeLessThanOrEqual(maxDescriptionChars);
    expect(emoji).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });
});

describe('defaultEventCreate', () => {
  it('is System32 under %SystemRoot%, never a PATH lookup', () => {
    expect(defaultEventCreate({ SystemRoot: 'C:\\Windows' })).toMatch(
      /^C:\\Windows[\\/]System32[\\/]eventcreate\.exe$/,
    );
  });
});

/**
 * The stream runs a real process per event. Here that process is node printing the argv it got to
 * a file: it checks what eventcreate would be given and how often, not the Event Log.
 */
function recorder(name: string, exitCode = 0) {
  const out = join(dir, `${name}.jsonl`);
  const script = `require('node:fs').appendFileSync(${JSON.stringify(out)}, JSON.stringify(process.argv.slice(1)) + '\\n'); process.exitCode = ${exitCode};`;
  const read = () =>
    existsSync(out)
      ? readFileSync(out, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as string[])
      : [];
  return { command: { file: process.execPath, args: ['-e', script] }, read };
}

const line = (msg: string, level = 50) => `${JSON.stringify(record({ level, msg }))}\n`;

describe('eventLogStream', () => {
  it('hands each record to the command as separate arguments, text unchanged', async () => {
    const rec = recorder('argv');
    const reports: string[] = [];
    const s = eventLogStream({ command: rec.command, report: (_f, m) => reports.push(m) });
    s.write(line('lỗi "gửi" C:\\Program Files\\hatang\\', 40));
    await waitFor('the command to run', () => rec.read().length === 1, { timeoutMs: 20_000, everyMs: 50 });
    expect(rec.read()[0]).toEqual([
      '/L',
      'APPLICATION',
      '/T',
      'WARNING',
      '/SO',
      'hatang-agent',
      '/ID',
      '40',
      '/D',
      "lỗi 'gửi' C:\\Program Files\\hatang\\",
    ]);
    expect(reports).toEqual([]);
  });

  it('runs at most maxPerMinute commands a minute and says so once in the other log', async () => {
    const rec = recorder('limit');
    const reports: Record<string, unknown>[] = [];
    let t = 0;
    const s = eventLogStream({
      command: rec.command,
      maxPerMinute: 3,
      now: () => t,
      report: (f, m) => reports.push({ ...f, msg: m }),
    });
    for (let i = 0; i < 8; i++) s.write(line(`e${i}`));
    expect(reports).toEqual([expect.objectContaining({ event_log_limit_per_minute: 3 })]);
    t = 60_000; // the next minute
    s.write(line('next minute'));
    await waitFor('4 commands', () => rec.read().length === 4, { timeoutMs: 20_000, everyMs: 50 });
    expect(rec.read().map((a) => a.at(-1))).toEqual(
      expect.arrayContaining(['e0', 'e1', 'e2', 'next minute']),
    );
    expect(reports).toHaveLength(1);
  });

  it('without eventcreate (ENOENT) reports it once, stops trying and never throws', async () => {
    const reports: Record<string, unknown>[] = [];
    const missing = join(dir, 'no-such', 'eventcreate.exe');
    const s = eventLogStream({
      command: { file: missing },
      report: (f, m) => reports.push({ ...f, msg: m }),
    });
    s.write(line('first'));
    await waitFor('the failure report', () => reports.length === 1, { timeoutMs: 20_000, everyMs: 20 });
    for (let i = 0; i < 5; i++) s.write(line(`later ${i}`));
    await new Promise((r) => setImmediate(r));
    expect(reports).toEqual([
      {
        event_log: missing,
        err: 'ENOENT',
        msg: 'event log: cannot run eventcreate; warnings and errors are in this log only',
      },
    ]);
  });

  it('reports the first refusal (non-zero exit) with its output, once', async () => {
    const rec = recorder('refused', 1);
    const reports: Record<string, unknown>[] = [];
    const s = eventLogStream({ command: rec.command, report: (f, m) => reports.push({ ...f, msg: m }) });
    s.write(line('a'));
    s.write(line('b'));
    await waitFor('both commands', () => rec.read().length === 2, { timeoutMs: 20_000, everyMs: 50 });
    await waitFor('the report', () => reports.length > 0, { timeoutMs: 20_000, everyMs: 20 });
    expect(reports).toEqual([expect.objectContaining({ exit: 1, msg: expect.stringContaining('refused') })]);
  });

  it('kills an eventcreate that hangs after timeoutMs and says so once', async () => {
    const reports: Record<string, unknown>[] = [];
    const s = eventLogStream({
      command: { file: process.execPath, args: ['-e', 'setTimeout(() => {}, 60_000)'] },
      timeoutMs: 300,
      report: (f, m) => reports.push({ ...f, msg: m }),
    });
    s.write(line('stuck'));
    await waitFor('the timeout report', () => reports.length > 0, { timeoutMs: 20_000, everyMs: 20 });
    expect(reports).toEqual([
      expect.objectContaining({
        exit: 'SIGTERM',
        msg: expect.stringContaining('did not finish within 300 ms'),
      }),
    ]);
  });

  it('a report that throws does not reach the agent', () => {
    const s = eventLogStream({
      command: { file: process.execPath },
      maxPerMinute: 0,
      report: () => {
        throw new Error('disk full');
      },
    });
    expect(() => s.write(line('x'))).not.toThrow();
  });
});
