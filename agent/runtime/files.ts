import { randomBytes } from 'node:crypto';
import { open, rename } from 'node:fs/promises';

/**
 * Writes a file so that after a crash it is either the old content or the new, never half: temp
 * file, fsync, rename. `mode` 0600 keeps credentials and queued data private to the agent's user.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  // A name of its own per call: two writers of the same file must not share (and steal) a temp file.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(tmp, 'w', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
}
