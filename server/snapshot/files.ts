import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fchmodSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Writes `data` to `path` so that a crash leaves either the old file or the new one, never half of
 * it: a temp name beside it, fsync, chmod, rename, fsync of the directory.
 */
export function writeFileDurably(path: string, data: Buffer | string, mode: number): void {
  const dir = dirname(path);
  const tmp = join(dir, `.tmp-${randomBytes(6).toString('hex')}`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    // The final mode set on the open file, so a read-only file is never writable under its own name.
    fchmodSync(fd, mode);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDir(dir);
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes `dir` (and parents) with `mode`, the mode applied even when it already existed. */
export function ensureDir(dir: string, mode = 0o700): void {
  mkdirSync(dir, { recursive: true, mode });
}

/**
 * Runs `fn` holding a lock directory, so the server and a `hatang snapshot` command sharing the
 * state dir never both create or rotate a key. A lock older than `staleMs` (a crashed holder) is
 * taken over. Bounded: gives up after `waitMs`.
 */
export function withDirLock<T>(
  lockDir: string,
  fn: () => T,
  o: { waitMs?: number; staleMs?: number } = {},
): T {
  const waitMs = o.waitMs ?? 5_000;
  const staleMs = o.staleMs ?? 30_000;
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - statSafe(lockDir);
      if (age > staleMs) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`lock ${lockDir}: held by another process for ${age} ms`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function statSafe(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
}
