import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, withDirLock, writeFileDurably } from './files.js';
import type { Manifest, SnapshotEntry } from './types.js';

/** A snapshot id: the manifest's content address, 64 lowercase hex. */
export const snapshotIdPattern = /^[0-9a-f]{64}$/;

/** A kept snapshot: its entry and its manifest (for the summary without opening the zip). */
export interface StoredSnapshot {
  entry: SnapshotEntry;
  manifest: Manifest;
}

/**
 * Kept snapshots, content-addressed and immutable, in `<dir>/store/`: `<id>.zip` (the bundle) and
 * `<id>.json` (its entry and manifest), each written once under a temp name, fsynced, made
 * read-only (0444) and renamed into place, the zip before its entry, so an entry always names a
 * whole zip. The files are the index: it survives restarts, and a snapshot made by the
 * `hatang snapshot create` command appears in a running server's list.
 *
 * @example
 * const store = openSnapshotStore('/var/lib/hatang/snapshots');
 * const { entry, created } = store.put(manifest, zip);
 * store.read(entry.id); // the zip's bytes
 */
export interface SnapshotStore {
  /**
   * Keeps a bundle under `manifest.id`. The same content again (same id) keeps the first one and
   * returns its entry with `created: false`.
   */
  put(manifest: Manifest, zip: Buffer, o?: { schedule?: string }): { entry: SnapshotEntry; created: boolean };
  /** Every kept snapshot, newest first. */
  list(): SnapshotEntry[];
  get(id: string): StoredSnapshot | undefined;
  /** The bundle's bytes, or undefined when no such snapshot is kept. */
  read(id: string): Buffer | undefined;
}

export function openSnapshotStore(dir: string): SnapshotStore {
  const storeDir = join(dir, 'store');
  const zipFile = (id: string) => join(storeDir, `${id}.zip`);
  const entryFile = (id: string) => join(storeDir, `${id}.json`);
  let cache: { mtimeMs: number; items: Map<string, StoredSnapshot> } | undefined;

  const load = (): Map<string, StoredSnapshot> => {
    if (!existsSync(storeDir)) return new Map();
    // A new file changes the directory's mtime: re-read only then.
    const mtimeMs = statSync(storeDir).mtimeMs;
    if (cache && cache.mtimeMs === mtimeMs) return cache.items;
    const items = new Map<string, StoredSnapshot>();
    for (const name of readdirSync(storeDir)) {
      const id = name.slice(0, -'.json'.length);
      if (!name.endsWith('.json') || !snapshotIdPattern.test(id)) continue;
      try {
        const stored = JSON.parse(readFileSync(join(storeDir, name), 'utf8')) as StoredSnapshot;
        if (stored.entry?.id === id && existsSync(zipFile(id))) items.set(id, stored);
      } catch {
        // Unreadable entry files are skipped, never fatal: the others stay listed.
      }
    }
    cache = { mtimeMs, items };
    return items;
  };

  const get = (id: string) => (snapshotIdPattern.test(id) ? load().get(id) : undefined);

  return {
    put(manifest, zip, o = {}) {
      if (!snapshotIdPattern.test(manifest.id)) {
        throw new Error(`snapshot store: manifest id "${manifest.id}" is not 64 hex characters`);
      }
      if (zip.length === 0) throw new Error('snapshot store: empty bundle');
      ensureDir(storeDir, 0o755);
      return withDirLock(join(dir, '.store-lock'), () => {
        const existing = load().get(manifest.id);
        if (existing) return { entry: existing.entry, created: false };
        const entry: SnapshotEntry = {
          id: manifest.id,
          created_at: manifest.created_at,
          window: manifest.window,
          scope: manifest.scope,
          requested_by: manifest.requested_by,
          bytes: zip.length,
          ...(o.schedule ? { schedule: o.schedule } : {}),
        };
        writeFileDurably(zipFile(manifest.id), zip, 0o444);
        writeFileDurably(entryFile(manifest.id), `${JSON.stringify({ entry, manifest })}\n`, 0o444);
        cache = undefined;
        return { entry, created: true };
      });
    },
    list() {
      return [...load().values()]
        .map((s) => s.entry)
        .sort((a, b) => b.created_at.localeCompare(a.created_at) || a.id.localeCompare(b.id));
    },
    get,
    read(id) {
      return get(id) ? readFileSync(zipFile(id)) : undefined;
    },
  };
}
