import { randomBytes } from 'node:crypto';
import { open, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** The temp files writeFileAtomic makes: `<file>.<pid>.<8 hex>.tmp`. */
const TEMP = /\.\d+\.[0-9a-f]{8}\.tmp$/;

/**
 * Writes a file so that after a crash it is either the old content or the new, never half: temp
 * file, fsync, rename. `mode` 0600 keeps credentials and queued data private to the agent's user.
 * A write that fails (disk full) removes its temp file, so failures do not pile up empty files.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  // A name of its own per call: two writers of the same file must not share (and steal) a temp file.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const handle = await open(tmp, 'w', mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/**
 * Removes temp files left in `dir` by a process that died between open and rename; their content
 * was never acknowledged. Call at start, before anything writes. Returns how many it removed.
 */
export async function removeTempFiles(dir: string): Promise<number> {
  let removed = 0;
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!TEMP.test(name)) continue;
    await unlink(join(dir, name)).then(
      () => removed++,
      () => undefined,
    );
  }
  return removed;
}
