import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../test/harness/ports.js';
import { createAgentLogger, rotatingFile } from './log.js';
import { QueueWriteError } from './runtime/queue.js';

const dir = mkdtempSync(join(tmpdir(), 'ht-agent-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rotatingFile', () => {
  it('rotates before a line would pass max_bytes and keeps only `keep` old files', () => {
    const file = join(dir, 'rot', 'agent.log');
    const out = rotatingFile(file, 100, 2);
    for (let i = 0; i < 7; i++) out.write(`${String(i).repeat(39)}\n`); // 40 bytes a line: 2 lines a file
    expect(readFileSync(file, 'utf8')).toBe(`${'6'.repeat(39)}\n`);
    expect(readFileSync(`${file}.1`, 'utf8')).toBe(`${'4'.repeat(39)}\n${'5'.repeat(39)}\n`);
    expect(readFileSync(`${file}.2`, 'utf8')).toBe(`${'2'.repeat(39)}\n${'3'.repeat(39)}\n`);
    expect(existsSync(`${file}.3`)).toBe(false);
  });

  it('continues an existing file, counting its size', () => {
    const file = join(dir, 'cont.log');
    rotatingFile(file, 100, 1).write(`${'a'.repeat(79)}\n`);
    rotatingFile(file, 100, 1).write(`${'b'.repeat(39)}\n`);
    expect(readFileSync(`${file}.1`, 'utf8')).toBe(`${'a'.repeat(79)}\n`);
    expect(readFileSync(file, 'utf8')).toBe(`${'b'.repeat(39)}\n`);
  });
});

describe('createAgentLogger', () => {
  it('writes JSON lines with stable keys to the configured file', () => {
    const file = join(dir, 'logger', 'agent.log');
    const log = createAgentLogger('info', {
      file,
      max_bytes: 1024 ** 2,
      keep: 3,
      stderr: 'off',
      event_log: 'off',
    });
    log.debug('not at info');
    log.error({ collector: 'host', err: 'boom' }, 'collector failed');
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      expect.objectContaining({
        level: 50,
        name: 'hatang-agent',
        collector: 'host',
        err: 'boom',
        msg: 'collector failed',
      }),
    ]);
  });

  it("names a logged error by its own name, not its constructor's (minified in the package)", () => {
    const file = join(dir, 'err-type', 'agent.log');
    const log = createAgentLogger('info', {
      file,
      max_bytes: 1024 ** 2,
      keep: 3,
      stderr: 'off',
      event_log: 'off',
    });
    log.error({ err: new QueueWriteError('disk full', 2, { cause: undefined }) }, 'queue write failed');
    log.error({ err: new TypeError('bad') }, 'typed');
    const types = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { err: { type: string; message: string } }).err);
    expect(types).toEqual([
      expect.objectContaining({ type: 'QueueWriteError', message: 'disk full' }),
      expect.objectContaining({ type: 'TypeError', message: 'bad' }),
    ]);
  });

  it('with event_log on and no eventcreate, keeps logging to the file and says so there once', async () => {
    const file = join(dir, 'event-log', 'agent.log');
    const missing = join(dir, 'no-such', 'eventcreate.exe');
    const log = createAgentLogger(
      'info',
      { file, max_bytes: 1024 ** 2, keep: 3, stderr: 'off', event_log: 'on' },
      { eventLog: { command: { file: missing } } },
    );
    const lines = () =>
      readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    log.info('started');
    log.error({ collector: 'host' }, 'collector failed');
    await waitFor('the event log report', () => lines().length === 3, { timeoutMs: 20_000, everyMs: 20 });
    log.warn('later warning');
    expect(lines().map((l) => [l.level, l.msg])).toEqual([
      [30, 'started'],
      [50, 'collector failed'],
      [40, 'event log: cannot run eventcreate; warnings and errors are in this log only'],
      [40, 'later warning'],
    ]);
    expect(lines()[2]).toMatchObject({ event_log: missing, err: 'ENOENT' });
  });
});
