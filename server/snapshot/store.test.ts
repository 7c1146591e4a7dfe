import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fillDisk, mountTmpfs } from '../../test/harness/disk.js';
import { openSnapshotStore } from './store.js';
import type { Manifest } from './types.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'hatang-store-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The parts of a manifest the store reads; the rest as a bundle would write it. */
function manifest(id: string, createdAt: string): Manifest {
  return {
    format: 'hatang-snapshot/1',
    id,
    created_at: createdAt,
    window: { from: '2026-10-01T00:00:00+07:00', to: '2026-11-01T00:00:00+07:00' },
    as_of: createdAt,
    scope: { sites: ['so-tttt'] },
    generator: { name: 'hatang', version: '0.0.0' },
    requested_by: 'kiem-toan-1',
    lang: 'vi',
    denominators: {
      registered: 0,
      reporting: 0,
      not_reporting: 0,
      not_registered: 0,
      lookback_s: 0,
      endpoints: 0,
      asset_register: null,
    },
    summary: { ratios: [], availability_by_level: [], readiness: [] },
    queries: [],
    files: [],
    key_id: '0123456789abcdef',
  };
}

const idA = 'a'.repeat(64);
const idB = 'b'.repeat(64);

describe('snapshot store', () => {
  it('keeps a bundle read-only under its id and lists it, also after reopening', () => {
    const dir = tempDir();
    const store = openSnapshotStore(dir);
    const zip = Buffer.from('PK zip bytes');
    const { entry, created } = store.put(manifest(idA, '2026-11-01T01:00:00.000Z'), zip, {
      schedule: 'monthly',
    });
    expect(created).toBe(true);
    expect(entry).toMatchObject({
      id: idA,
      bytes: zip.length,
      schedule: 'monthly',
      requested_by: 'kiem-toan-1',
    });
    expect(store.read(idA)).toEqual(zip);
    expect(statSync(join(dir, 'store', `${idA}.zip`)).mode & 0o777).toBe(0o444);
    expect(statSync(join(dir, 'store', `${idA}.json`)).mode & 0o777).toBe(0o444);
    expect(readdirSync(join(dir, 'store')).filter((n) => n.startsWith('.tmp'))).toEqual([]);
    const reopened = openSnapshotStore(dir);
    expect(reopened.list()).toEqual([entry]);
    expect(reopened.get(idA)?.manifest.key_id).toBe('0123456789abcdef');
  });

  it('returns the existing entry when the same content is kept again, bytes unchanged', () => {
    const store = openSnapshotStore(tempDir());
    const first = store.put(manifest(idA, '2026-11-01T01:00:00.000Z'), Buffer.from('first'));
    const again = store.put(manifest(idA, '2026-11-02T01:00:00.000Z'), Buffer.from('second'));
    expect(again).toEqual({ entry: first.entry, created: false });
    expect(store.read(idA)?.toString()).toBe('first');
  });

  it('lists newest first and sees a snapshot another process kept', () => {
    const dir = tempDir();
    const server = openSnapshotStore(dir);
    server.put(manifest(idA, '2026-11-01T01:00:00.000Z'), Buffer.from('a'));
    expect(server.list().map((e) => e.id)).toEqual([idA]);
    openSnapshotStore(dir).put(manifest(idB, '2026-11-05T01:00:00.000Z'), Buffer.from('b'));
    expect(server.list().map((e) => e.id)).toEqual([idB, idA]);
  });

  it('answers undefined for an unknown or malformed id and skips a damaged entry file', () => {
    const dir = tempDir();
    const store = openSnapshotStore(dir);
    store.put(manifest(idA, '2026-11-01T01:00:00.000Z'), Buffer.from('a'));
    writeFileSync(join(dir, 'store', `${idB}.json`), '{"entry": ');
    writeFileSync(join(dir, 'store', `${idB}.zip`), 'b');
    expect(store.list().map((e) => e.id)).toEqual([idA]);
    expect(store.read(idB)).toBeUndefined();
    expect(store.read('../../etc/passwd')).toBeUndefined();
    expect(store.get('A'.repeat(64))).toBeUndefined();
  });

  it('refuses a manifest id that is not a content address', () => {
    const store = openSnapshotStore(tempDir());
    expect(() => store.put(manifest('../x', '2026-11-01T00:00:00Z'), Buffer.from('a'))).toThrow(
      'snapshot store: manifest id "../x" is not 64 hex characters',
    );
  });
});

describe('snapshot store on a full disk', () => {
  it('refuses a bundle it cannot keep whole, leaves no temp file, keeps what it had and takes bundles again once space returns', (ctx) => {
    const fs = mountTmpfs('512k');
    if (!fs) {
      ctx.skip('cannot mount a tmpfs here (needs root and mount): the full-disk test did not run');
      return;
    }
    try {
      const store = openSnapshotStore(fs.dir);
      const kept = store.put(manifest(idA, '2026-11-01T01:00:00.000Z'), Buffer.alloc(10_000, 1));
      const filler = fillDisk(fs.dir, 8 * 1024);
      expect(() => store.put(manifest(idB, '2026-11-02T01:00:00.000Z'), Buffer.alloc(64 * 1024, 2))).toThrow(
        /ENOSPC/,
      );
      expect(readdirSync(join(fs.dir, 'store')).filter((n) => n.startsWith('.tmp'))).toEqual([]);
      expect(store.list()).toEqual([kept.entry]);
      rmSync(filler);
      const later = store.put(manifest(idB, '2026-11-02T01:00:00.000Z'), Buffer.alloc(64 * 1024, 2));
      expect(later.created).toBe(true);
      expect(store.read(idB)).toEqual(Buffer.alloc(64 * 1024, 2));
      expect(store.read(idA)).toEqual(Buffer.alloc(10_000, 1));
    } finally {
      fs.unmount();
    }
  });
});
