import { createHash } from 'node:crypto';
import { z } from 'zod';

/** Text the OS could not tell us (no root, placeholder firmware strings): never "". */
export const UNKNOWN = 'unknown';

const text = z.string().min(1);
const count = z.number().int().min(0);

const memoryModule = z.strictObject({
  slot: text,
  size_bytes: count,
  type: text,
  serial: text,
});

const disk = z.strictObject({
  /** OS device name (/dev/sda, \\.\PHYSICALDRIVE0): reported, but not part of the disk's identity. */
  device: text,
  model: text,
  serial: text,
  size_bytes: count,
  /** HD, SSD, NVMe, … */
  type: text,
  /** SATA, NVMe, USB, … */
  interface: text,
  /** "ok", "failing" or "unknown" (always "unknown" unless include_disks_smart is on). */
  smart: z.enum(['ok', 'failing', UNKNOWN]),
});

const nic = z.strictObject({
  name: text,
  mac: text,
  ipv4: z.array(text),
  ipv6: z.array(text),
  /** Link speed in Mbit/s; 0 when unknown or the link is down. */
  speed_mbps: count,
  /** wired, wireless, … */
  type: text,
});

/**
 * The normalised inventory of one machine: stable order (lists sorted), every text non-empty. It is
 * what the state file keeps, what diffInventory compares and, through `fingerprint`, what is hashed.
 */
export const inventorySchema = z.strictObject({
  system: z.strictObject({ manufacturer: text, model: text, serial: text, uuid: text, virtual: z.boolean() }),
  bios: z.strictObject({ vendor: text, version: text, release_date: text }),
  board: z.strictObject({ manufacturer: text, model: text, serial: text }),
  cpu: z.strictObject({ model: text, physical_cores: count, logical_cores: count }),
  memory: z.strictObject({ total_bytes: count, modules: z.array(memoryModule) }),
  disks: z.array(disk),
  os: z.strictObject({
    platform: text,
    distro: text,
    release: text,
    build: text,
    kernel: text,
    arch: text,
    hostname: text,
    fqdn: text,
    domain: text,
  }),
  nics: z.array(nic),
});

export type Inventory = z.infer<typeof inventorySchema>;
export type MemoryModule = z.infer<typeof memoryModule>;
export type Disk = z.infer<typeof disk>;
export type Nic = z.infer<typeof nic>;

/** The parts a change event names, in the order events are reported. */
export const components = ['system', 'bios', 'board', 'cpu', 'memory', 'disk', 'nic', 'os'] as const;
export type Component = (typeof components)[number];

/** What counts as a change, beyond the hardware itself. */
export interface FingerprintOptions {
  /** "event": an IPv4 address change of a NIC is a change; "quiet": addresses are reported only. */
  ip_changes: 'event' | 'quiet';
}

export const defaultFingerprintOptions: FingerprintOptions = { ip_changes: 'event' };

/**
 * Memory the OS reports moves by a few MiB when a kernel or firmware update reserves more or less of
 * it; counting that as "memory changed" would cry wolf on every update. Totals are compared in these
 * units; a module swapped or removed changes them by far more.
 */
export const MEMORY_GRANULE_BYTES = 128 * 1024 ** 2;

/**
 * The view of one component that decides whether it changed. Left out on purpose: disk device names
 * (Linux may renumber sda/sdb across boots), NIC names and link speeds (a renegotiated or unplugged
 * link is not a hardware change) and IPv6 addresses (privacy addresses rotate daily).
 */
export function componentView(inv: Inventory, component: Component, opts: FingerprintOptions): unknown {
  switch (component) {
    case 'system':
    case 'bios':
    case 'board':
    case 'cpu':
    case 'os':
      return inv[component];
    case 'memory':
      return {
        total_granules: Math.round(inv.memory.total_bytes / MEMORY_GRANULE_BYTES),
        modules: inv.memory.modules,
      };
    case 'disk':
      return inv.disks.map(({ device: _device, ...identity }) => identity);
    case 'nic':
      return inv.nics.map((n) => ({
        mac: n.mac,
        type: n.type,
        ...(opts.ip_changes === 'event' ? { ipv4: n.ipv4 } : {}),
      }));
  }
}

/** Every component's view: equal fingerprints ⇔ diffInventory finds nothing. */
export function fingerprint(inv: Inventory, opts: FingerprintOptions): Record<Component, unknown> {
  return Object.fromEntries(components.map((c) => [c, componentView(inv, c, opts)])) as Record<
    Component,
    unknown
  >;
}

/** JSON with object keys sorted at every level, so equal values always give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

/** sha256 (hex) of the canonical JSON of the inventory's fingerprint. */
export function inventoryHash(inv: Inventory, opts: FingerprintOptions): string {
  return createHash('sha256')
    .update(canonicalJson(fingerprint(inv, opts)))
    .digest('hex');
}
