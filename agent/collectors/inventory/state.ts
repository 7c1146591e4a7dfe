import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import { writeFileAtomic } from '../../runtime/files.js';
import { inventorySchema } from './model.js';

/** The file in the collector's state dir that remembers the last inventory across restarts. */
export const STATE_FILE = 'inventory.json';

const stateSchema = z.strictObject({
  /** Bumped when the inventory's shape changes; an older file is then a fresh baseline, not a diff. */
  version: z.literal(1),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  /** Epoch ms of the last inventory point written (for the re-assert heartbeat). */
  emitted_at: z.number().int().min(0),
  inventory: inventorySchema,
});

export type InventoryState = z.infer<typeof stateSchema>;

/**
 * The last inventory, or undefined when there is none to compare with. A missing file is the normal
 * first run; an unreadable or corrupt one is logged as a warning and also treated as a first run: a
 * lost baseline costs one missed diff, a crash loop would cost the whole collector.
 */
export async function loadState(
  dir: string,
  log: Logger,
  signal: AbortSignal,
): Promise<InventoryState | undefined> {
  const file = join(dir, STATE_FILE);
  let text: string;
  try {
    signal.throwIfAborted();
    text = await readFile(file, { encoding: 'utf8', signal });
  } catch (err) {
    // An aborted run ends with the reason the run was aborted for, not fs's generic AbortError.
    if (signal.aborted) throw signal.reason;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      log.info({ file }, 'no previous inventory: this one is the baseline');
      return undefined;
    }
    log.warn({ err, file }, 'cannot read the previous inventory: treating this run as the first');
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    log.warn({ err, file }, 'previous inventory is not JSON: treating this run as the first');
    return undefined;
  }
  const parsed = stateSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    log.warn(
      { file, path: issue?.path.join('.'), problem: issue?.message },
      'previous inventory does not fit the expected shape: treating this run as the first',
    );
    return undefined;
  }
  return parsed.data;
}

/** Replaces the state file atomically (temp file, fsync, rename), so a crash leaves old or new. */
export async function saveState(dir: string, state: InventoryState): Promise<void> {
  const file = join(dir, STATE_FILE);
  try {
    await writeFileAtomic(file, `${JSON.stringify(state, null, 2)}\n`);
  } catch (cause) {
    throw new Error(`inventory state ${file}: cannot write`, { cause });
  }
}
