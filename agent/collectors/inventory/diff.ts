import {
  type Component,
  canonicalJson,
  components,
  componentView,
  type Disk,
  defaultFingerprintOptions,
  type FingerprintOptions,
  type Inventory,
  type MemoryModule,
  type Nic,
  UNKNOWN,
} from './model.js';

/** One changed component: what it was, what it is, and a line a sysadmin can read. */
export interface InventoryChange {
  component: Component;
  before: string;
  after: string;
  summary: string;
}

/** Bounds that keep every event well under the 16 KiB string-field limit. */
const MAX_DESCRIPTION = 4_000;
const MAX_SUMMARY = 2_000;

function bounded(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function trimNumber(n: number): string {
  return n.toFixed(1).replace(/\.0$/, '');
}

/** Memory in binary units, as the OS shows it: "16 GiB", "15.6 GiB", "512 MiB". */
export function formatGiB(bytes: number): string {
  const gib = bytes / 1024 ** 3;
  return gib >= 1 ? `${trimNumber(gib)} GiB` : `${trimNumber(bytes / 1024 ** 2)} MiB`;
}

/** Disk sizes in decimal units, as printed on the label: "500 GB", "2 TB". */
export function formatGB(bytes: number): string {
  const gb = bytes / 1e9;
  return gb >= 1000 ? `${trimNumber(gb / 1000)} TB` : `${Math.round(gb)} GB`;
}

const known = (s: string) => s !== UNKNOWN;

function describeModule(m: MemoryModule): string {
  return [
    m.slot,
    formatGiB(m.size_bytes),
    known(m.type) ? m.type : '',
    known(m.serial) ? `SN ${m.serial}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

function describeDisk(d: Disk): string {
  return [
    d.model,
    known(d.serial) ? d.serial : '',
    formatGB(d.size_bytes),
    known(d.type) ? d.type : '',
    known(d.smart) ? `SMART ${d.smart}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

function describeNic(n: Nic): string {
  return [n.name, n.mac, ...n.ipv4, ...n.ipv6, n.speed_mbps > 0 ? `${n.speed_mbps} Mbit/s` : '']
    .filter(Boolean)
    .join(' ');
}

/** A component of an inventory as one line of text (the before/after of an event). */
export function describeComponent(inv: Inventory, component: Component): string {
  switch (component) {
    case 'system': {
      const s = inv.system;
      return `${s.manufacturer} ${s.model}, serial ${s.serial}, uuid ${s.uuid}${s.virtual ? ', virtual' : ''}`;
    }
    case 'bios':
      return `${inv.bios.vendor} ${inv.bios.version} (${inv.bios.release_date})`;
    case 'board':
      return `${inv.board.manufacturer} ${inv.board.model}, serial ${inv.board.serial}`;
    case 'cpu':
      return `${inv.cpu.model}, ${inv.cpu.physical_cores} cores, ${inv.cpu.logical_cores} threads`;
    case 'memory': {
      const mods = inv.memory.modules;
      return `${formatGiB(inv.memory.total_bytes)}${mods.length > 0 ? `: ${mods.map(describeModule).join('; ')}` : ''}`;
    }
    case 'disk':
      return inv.disks.map(describeDisk).join('; ') || 'none';
    case 'nic':
      return inv.nics.map(describeNic).join('; ') || 'none';
    case 'os': {
      const o = inv.os;
      const build = known(o.build) ? ` build ${o.build}` : '';
      return `${o.distro} ${o.release}${build} (${o.platform} ${o.arch}, kernel ${o.kernel}), host ${o.hostname}, fqdn ${o.fqdn}, domain ${o.domain}`;
    }
  }
}

/** "field a → b" for every field whose value differs, names as words ("release date"). */
function fieldChanges(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  keys?: string[],
): string[] {
  return (keys ?? Object.keys(after))
    .filter((k) => canonicalJson(before[k]) !== canonicalJson(after[k]))
    .map((k) => `${k.replaceAll('_', ' ')} ${show(before[k])} → ${show(after[k])}`);
}

function show(v: unknown): string {
  if (Array.isArray(v)) return v.length > 0 ? v.join(',') : 'none';
  return String(v);
}

/**
 * Pairs the items of two lists by identity and says what was removed, added or changed in place.
 * Items without a usable identity fall back to what else describes them; repeats get "#n".
 */
function listChanges<T>(
  noun: string,
  before: readonly T[],
  after: readonly T[],
  key: (item: T) => string,
  compared: (item: T) => Record<string, unknown>,
  describe: (item: T) => string,
): string[] {
  const keyed = (items: readonly T[]) => {
    const out = new Map<string, T>();
    for (const item of items) {
      const k = key(item);
      let unique = k;
      for (let n = 2; out.has(unique); n++) unique = `${k} #${n}`;
      out.set(unique, item);
    }
    return out;
  };
  const b = keyed(before);
  const a = keyed(after);
  const parts: string[] = [];
  for (const [k, item] of b) if (!a.has(k)) parts.push(`${noun} removed: ${describe(item)}`);
  for (const [k, item] of a) if (!b.has(k)) parts.push(`${noun} added: ${describe(item)}`);
  for (const [k, item] of a) {
    const old = b.get(k);
    if (old === undefined) continue;
    const changes = fieldChanges(compared(old), compared(item));
    if (changes.length > 0) parts.push(`${noun} ${k}: ${changes.join(', ')}`);
  }
  return parts;
}

function summarise(
  before: Inventory,
  after: Inventory,
  component: Component,
  opts: FingerprintOptions,
): string {
  switch (component) {
    case 'system':
    case 'bios':
    case 'board':
    case 'cpu':
    case 'os':
      return `${component} ${fieldChanges(before[component], after[component]).join(', ')}`;
    case 'memory': {
      const parts: string[] = [];
      const total = componentView(before, 'memory', opts) as { total_granules: number };
      const totalAfter = componentView(after, 'memory', opts) as { total_granules: number };
      if (total.total_granules !== totalAfter.total_granules) {
        parts.push(`${formatGiB(before.memory.total_bytes)} → ${formatGiB(after.memory.total_bytes)}`);
      }
      parts.push(
        ...listChanges(
          'module',
          before.memory.modules,
          after.memory.modules,
          (m) => m.slot,
          ({ slot: _slot, ...rest }) => rest,
          describeModule,
        ),
      );
      return `memory ${parts.join('; ')}`;
    }
    case 'disk':
      return listChanges(
        'disk',
        before.disks,
        after.disks,
        (d) => (known(d.serial) ? d.serial : `${d.model} ${formatGB(d.size_bytes)}`),
        ({ device: _device, ...rest }) => rest,
        describeDisk,
      ).join('; ');
    case 'nic':
      return listChanges(
        'nic',
        before.nics,
        after.nics,
        (n) => n.mac,
        (n) => ({ type: n.type, ...(opts.ip_changes === 'event' ? { ipv4: n.ipv4 } : {}) }),
        describeNic,
      ).join('; ');
  }
}

/**
 * The changes between two inventories, one per changed component, in a fixed component order. A
 * component counts as changed exactly when its part of the hash does (see `componentView`), so a
 * changed hash always comes with at least one event and an unchanged one with none.
 *
 * @example
 * diffInventory(before, after);
 * // → [{ component: 'memory', before: '16 GiB: …', after: '8 GiB: …',
 * //      summary: 'memory 16 GiB → 8 GiB; module removed: BANK 1 8 GiB DDR4 SN 1A2B' }]
 */
export function diffInventory(
  before: Inventory,
  after: Inventory,
  opts: FingerprintOptions = defaultFingerprintOptions,
): InventoryChange[] {
  const changes: InventoryChange[] = [];
  for (const component of components) {
    const was = canonicalJson(componentView(before, component, opts));
    const now = canonicalJson(componentView(after, component, opts));
    if (was === now) continue;
    const summary = summarise(before, after, component, opts).trim();
    changes.push({
      component,
      before: bounded(describeComponent(before, component), MAX_DESCRIPTION),
      after: bounded(describeComponent(after, component), MAX_DESCRIPTION),
      // Never silent: should no detail be found, still say what changed.
      summary: bounded(
        summary === component || summary === '' ? `${component} changed` : summary,
        MAX_SUMMARY,
      ),
    });
  }
  return changes;
}
