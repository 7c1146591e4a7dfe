import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The lock file inside the spool directory; it holds the owning server's PID. */
export const SPOOL_LOCK = 'server.lock';

export interface SpoolLock {
  file: string;
  /** Removes the lock file if it is still this process's. */
  release(): Promise<void>;
}

/** Whether a process with this PID exists (EPERM: it does, owned by another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the spool directory for this server: creates `<dir>/server.lock` exclusively, holding this
 * PID. Two servers replaying one spool would send every batch twice and race on its segments, so a
 * lock held by a live process is refused naming its PID; a lock whose process is gone (a crash, a
 * power cut) is stale and taken over. No native dependency: link() and `kill(pid, 0)`.
 *
 * @example
 * const lock = await lockSpool(config.spool.dir); // throws "spool /var/lib/hatang/spool is in use by …"
 * await lock.release();
 */
export async function lockSpool(dir: string, pid = process.pid): Promise<SpoolLock> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, SPOOL_LOCK);
  // Written whole under a private name, then linked into place: link() fails with EEXIST like
  // O_EXCL, and the lock file never exists without its PID in it.
  const mine = `${file}.${pid}`;
  await writeFile(mine, `${pid}\n`, { mode: 0o644 });
  try {
    return await takeLock(dir, file, mine, pid);
  } finally {
    await unlink(mine).catch(() => undefined);
  }
}

async function takeLock(dir: string, file: string, mine: string, pid: number): Promise<SpoolLock> {
  // Bounded: one stale lock removed and retried; a third round means another server is racing us.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await link(mine, file);
      return {
        file,
        async release() {
          const holder = await readFile(file, 'utf8').catch(() => '');
          if (Number.parseInt(holder, 10) === pid) await unlink(file).catch(() => undefined);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const text = await readFile(file, 'utf8').catch(() => '');
    const holder = Number.parseInt(text, 10);
    if (Number.isInteger(holder) && holder > 0 && alive(holder)) {
      throw new Error(
        `spool ${dir} is in use by another hatang server (pid ${holder}${holder === pid ? ', this process' : ''}, lock file ${file}): two servers must not replay one spool; stop that one or give this one its own spool.dir`,
      );
    }
    // Stale: its process is gone (a crash, a power cut). Take it over.
    await unlink(file).catch(() => undefined);
  }
  throw new Error(`spool ${dir}: cannot take the lock file ${file}: another server keeps taking it`);
}
