import type { Endpoint } from './types.js';

/** One endpoint present in both registries whose entry differs, with what differs. */
export interface ChangedEndpoint {
  id: string;
  /** e.g. `parent xa-a → xa-b`, `address 10.0.0.1 → 10.0.0.2`. */
  changes: string[];
}

export interface RegistryDiff {
  added: string[];
  removed: string[];
  changed: ChangedEndpoint[];
}

const fields = ['name', 'level', 'district', 'parent', 'address', 'lat', 'lon'] as const;

const shown = (v: unknown): string => (v === undefined ? '(none)' : String(v));

/**
 * What replacing the registry `before` by `after` does, endpoint by endpoint (by id): added,
 * removed, and changed (moved to another parent or level, renamed, readdressed, re-tagged).
 *
 * @example
 * diffRegistries(old.endpoints, imported.endpoints) // { added: ['xa-moi'], removed: [], changed: [{ id: 'xa-a', changes: ['parent p1 → p2'] }] }
 */
export function diffRegistries(before: readonly Endpoint[], after: readonly Endpoint[]): RegistryDiff {
  const old = new Map(before.map((e) => [e.id, e]));
  const now = new Map(after.map((e) => [e.id, e]));
  const changed: ChangedEndpoint[] = [];
  for (const [id, e] of now) {
    const was = old.get(id);
    if (!was) continue;
    const changes = fields
      .filter((f) => was[f] !== e[f])
      .map((f) => `${f} ${shown(was[f])} → ${shown(e[f])}`);
    const tagKeys = [...new Set([...Object.keys(was.tags ?? {}), ...Object.keys(e.tags ?? {})])].sort();
    for (const k of tagKeys) {
      if (was.tags?.[k] !== e.tags?.[k])
        changes.push(`tags.${k} ${shown(was.tags?.[k])} → ${shown(e.tags?.[k])}`);
    }
    if (changes.length > 0) changed.push({ id, changes });
  }
  return {
    added: [...now.keys()].filter((id) => !old.has(id)),
    removed: [...old.keys()].filter((id) => !now.has(id)),
    changed,
  };
}

/** Whether the diff holds no change at all. */
export function unchanged(d: RegistryDiff): boolean {
  return d.added.length === 0 && d.removed.length === 0 && d.changed.length === 0;
}

/**
 * The diff as an operator reads it before overwriting: one line per endpoint, at most `limit` per
 * kind (the rest counted): `+ id` added, `- id` removed, `~ id: parent a → b` changed.
 */
export function formatDiff(d: RegistryDiff, limit = 50): string {
  const lines = [`${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed`];
  const some = <T>(list: readonly T[], line: (x: T) => string) => {
    for (const x of list.slice(0, limit)) lines.push(line(x));
    if (list.length > limit) lines.push(`  … and ${list.length - limit} more`);
  };
  some(d.added, (id) => `  + ${id}`);
  some(d.removed, (id) => `  - ${id}`);
  some(d.changed, (c) => `  ~ ${c.id}: ${c.changes.join('; ')}`);
  return `${lines.join('\n')}\n`;
}
