import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommandTimeoutError, runCommand } from './run-command.js';

const signal = () => AbortSignal.timeout(10_000);

/** Polls (bounded: 50 × 20 ms) until the process has exited and been reaped. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

describe('runCommand (real processes)', () => {
  it('returns stdout, stderr and a non-zero exit code', async () => {
    const r = await runCommand('/bin/sh', ['-c', 'printf "é out"; printf err >&2; exit 3'], {
      signal: signal(),
      timeoutMs: 5_000,
    });
    expect(r).toEqual({ stdout: 'é out', stderr: 'err', exitCode: 3 });
  });

  it('cuts output beyond maxOutputBytes', async () => {
    const r = await runCommand('/bin/sh', ['-c', 'head -c 100000 /dev/zero | tr "\\0" a'], {
      signal: signal(),
      timeoutMs: 5_000,
      maxOutputBytes: 1000,
    });
    expect(r.stdout.length).toBe(1000);
  });

  it('kills the child and throws CommandTimeoutError after timeoutMs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ht-av-cmd-'));
    try {
      const pidFile = join(dir, 'pid');
      const started = Date.now();
      const p = runCommand('/bin/sh', ['-c', `echo $$ > ${pidFile}; exec sleep 30`], {
        signal: signal(),
        timeoutMs: 300,
      });
      await expect(p).rejects.toBeInstanceOf(CommandTimeoutError);
      expect(Date.now() - started).toBeLessThan(5_000);
      const pid = Number(await readFile(pidFile, 'utf8'));
      expect(pid).toBeGreaterThan(1);
      expect(await gone(pid)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('kills the child and throws the abort reason when the run is aborted', async () => {
    const ac = new AbortController();
    const p = runCommand('/bin/sleep', ['30'], { signal: ac.signal, timeoutMs: 10_000 });
    setTimeout(() => ac.abort(new Error('agent stopping')), 100);
    await expect(p).rejects.toThrow('agent stopping');
  });

  it('throws naming the program when it cannot be started', async () => {
    await expect(
      runCommand('/nonexistent/powershell.exe', [], { signal: signal(), timeoutMs: 5_000 }),
    ).rejects.toThrow('/nonexistent/powershell.exe: cannot start');
  });
});
