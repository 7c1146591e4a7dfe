import type { Disk, Inventory, MemoryModule, Nic } from './model.js';
import { UNKNOWN } from './model.js';
import type { RawInventory } from './source.js';

/** Longest text kept for one value; firmware strings are short, anything longer is garbage. */
const MAX_TEXT = 128;
/** Bounds on list lengths, so the summary fields stay well under the 16 KiB string limit. */
const MAX_ITEMS = 64;

/**
 * What firmware and systeminformation put where they know nothing. Compared lower-cased after
 * trimming. "To Be Filled By O.E.M." and "Default string" are AMI BIOS defaults left by board makers;
 * "System Product Name" and friends are ASUS's; "-" and "" are what systeminformation returns
 * without root.
 */
const placeholders = new Set(
  [
    'default string',
    'to be filled by o.e.m.',
    'to be filled by oem',
    'o.e.m.',
    'oem',
    'system manufacturer',
    'system product name',
    'system serial number',
    'system version',
    'base board serial number',
    'chassis serial number',
    'chassis manufacture',
    'type1productconfigid',
    'not specified',
    'not applicable',
    'not available',
    'not present',
    'none',
    'n/a',
    'na',
    'unknown',
    'undefined',
    'null',
    'invalid',
    'empty',
    'default',
    '123456789',
    '0123456789',
    '1234567890',
    '12345678',
    // A UUID that several board makers ship unchanged in every unit.
    '03000200-0400-0500-0006-000700080009',
  ].map((s) => s.toLowerCase()),
);

/**
 * A firmware/OS string made fit for the inventory: control characters and runs of blanks collapsed,
 * placeholders, "", "-", all-zero and all-F values turned into "unknown", length bounded.
 *
 * @example
 * clean('To Be Filled By O.E.M.'); // → 'unknown'
 * clean('  Dell Inc. '); // → 'Dell Inc.'
 */
export function clean(value: unknown): string {
  if (value === null || value === undefined) return UNKNOWN;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters from firmware are dropped
  const controls = /[\u0000-\u001f\u007f]+/g;
  const s = String(value).replace(controls, ' ').replace(/\s+/g, ' ').trim();
  if (s === '' || placeholders.has(s.toLowerCase())) return UNKNOWN;
  // "-", "0", "00000000", "0000-0000-…" (zeroed UUIDs), "...", "FFFFFFFF-FFFF-…" (erased EEPROM).
  if (/^[-0._\s]+$/.test(s) || /^[-Ff]{8,}$/.test(s) || /^[Xx]+$/.test(s)) return UNKNOWN;
  // A trailing backslash would escape the next separator wherever this ends up as a tag.
  return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT - 1)}…` : s.replace(/\\+$/, '') || UNKNOWN;
}

function nonNegativeInt(n: unknown): number {
  const v = typeof n === 'number' ? n : Number(n);
  return Number.isFinite(v) && v > 0 ? Math.round(v) : 0;
}

/** Options that decide what the inventory holds (collector config keys of the same names). */
export interface NormaliseOptions {
  include_disks_smart: boolean;
  usb_disks: 'ignore' | 'track';
  /** Interface names never reported: exact names or prefixes ending in `*` ("docker*"). */
  exclude_interfaces: readonly string[];
}

export const defaultNormaliseOptions: NormaliseOptions = {
  include_disks_smart: false,
  usb_disks: 'ignore',
  exclude_interfaces: [
    'docker*',
    'veth*',
    'br-*',
    'virbr*',
    'vmnet*',
    'vboxnet*',
    'tun*',
    'tap*',
    'wg*',
    'zt*',
  ],
};

function matchesName(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function memoryModules(raw: RawInventory): MemoryModule[] {
  const present = raw.memLayout.filter((m) => nonNegativeInt(m.size) > 0);
  // Without dmidecode (or without root) systeminformation invents one module of os.totalmem() bytes
  // with nothing else known. It is not a module; reporting it would also make every kernel update,
  // which moves MemTotal by a few MiB, look like a memory swap.
  const invented =
    present.length === 1 &&
    present.every(
      (m) =>
        !m.bank &&
        !m.type &&
        !m.serialNum &&
        !m.partNum &&
        !m.formFactor &&
        nonNegativeInt(m.size) === nonNegativeInt(raw.mem.total),
    );
  if (invented) return [];
  const seen = new Map<string, number>();
  const modules = present.slice(0, MAX_ITEMS).map((m, i) => {
    let slot = clean(m.bank);
    if (slot === UNKNOWN) slot = `#${i + 1}`;
    // Two modules reporting the same bank locator still need distinct slots to be told apart.
    const n = (seen.get(slot) ?? 0) + 1;
    seen.set(slot, n);
    return {
      slot: n > 1 ? `${slot} #${n}` : slot,
      size_bytes: nonNegativeInt(m.size),
      type: clean(m.type),
      serial: clean(m.serialNum),
    };
  });
  return modules.sort((a, b) => byText(a.slot, b.slot) || byText(a.serial, b.serial));
}

function smart(status: string, include: boolean): Disk['smart'] {
  if (!include) return UNKNOWN;
  const s = status.trim().toLowerCase();
  if (s === 'ok' || s === 'passed' || s === 'verified') return 'ok';
  if (s.includes('fail')) return 'failing';
  return UNKNOWN;
}

function disks(raw: RawInventory, opts: NormaliseOptions): Disk[] {
  return raw.diskLayout
    .filter((d) => nonNegativeInt(d.size) > 0)
    .filter((d) => !/^\/dev\/(loop|ram|zram|nbd)/.test(d.device ?? ''))
    .filter((d) => opts.usb_disks === 'track' || (d.interfaceType ?? '').trim().toUpperCase() !== 'USB')
    .slice(0, MAX_ITEMS)
    .map((d) => ({
      device: clean(d.device),
      model: clean(d.name || d.vendor),
      serial: clean(d.serialNum),
      size_bytes: nonNegativeInt(d.size),
      type: clean(d.type),
      interface: clean(d.interfaceType),
      smart: smart(String(d.smartStatus ?? ''), opts.include_disks_smart),
    }))
    .sort(
      (a, b) =>
        byText(a.serial, b.serial) ||
        byText(a.model, b.model) ||
        a.size_bytes - b.size_bytes ||
        byText(a.device, b.device),
    );
}

function nics(raw: RawInventory, opts: NormaliseOptions): Nic[] {
  const out: Nic[] = [];
  for (const n of raw.networkInterfaces) {
    const name = clean(n.iface);
    const mac = clean(n.mac).toLowerCase();
    // Loopback, software interfaces and anything without a hardware address are not the machine's NICs.
    if (n.internal || n.virtual || mac === UNKNOWN || /^(00:){5}00$/.test(mac)) continue;
    if (matchesName(n.iface ?? '', opts.exclude_interfaces) || name === 'lo') continue;
    const ipv4 = clean(n.ip4);
    const ipv6 = clean(n.ip6).toLowerCase();
    out.push({
      name,
      mac,
      ipv4: ipv4 === UNKNOWN ? [] : [ipv4],
      // Link-local addresses are derived from the MAC and say nothing more.
      ipv6: ipv6 === UNKNOWN || ipv6.startsWith('fe80') ? [] : [ipv6],
      speed_mbps: nonNegativeInt(n.speed),
      type: clean(n.type),
    });
  }
  return out.sort((a, b) => byText(a.mac, b.mac) || byText(a.name, b.name)).slice(0, MAX_ITEMS);
}

function domainOf(fqdn: string): string {
  const dot = fqdn.indexOf('.');
  return fqdn === UNKNOWN || dot <= 0 ? UNKNOWN : clean(fqdn.slice(dot + 1).toLowerCase());
}

/**
 * Turns what systeminformation returned into the stable inventory: placeholders become "unknown",
 * lists are sorted, software NICs and USB sticks are left out.
 */
export function normaliseInventory(
  raw: RawInventory,
  opts: NormaliseOptions = defaultNormaliseOptions,
): Inventory {
  const manufacturer = clean(raw.cpu.manufacturer);
  const brand = clean(raw.cpu.brand);
  const cpuModel =
    brand === UNKNOWN
      ? manufacturer
      : manufacturer === UNKNOWN || brand.toLowerCase().startsWith(manufacturer.toLowerCase())
        ? brand
        : `${manufacturer} ${brand}`;
  const hostname = clean(raw.osInfo.hostname);
  const fqdn = clean(raw.osInfo.fqdn);
  return {
    system: {
      manufacturer: clean(raw.system.manufacturer),
      model: clean(raw.system.model),
      serial: clean(raw.system.serial),
      uuid: clean(raw.system.uuid).toLowerCase(),
      virtual: raw.system.virtual === true,
    },
    bios: {
      vendor: clean(raw.bios.vendor),
      version: clean(raw.bios.version),
      release_date: clean(raw.bios.releaseDate),
    },
    board: {
      manufacturer: clean(raw.baseboard.manufacturer),
      model: clean(raw.baseboard.model),
      serial: clean(raw.baseboard.serial),
    },
    cpu: {
      model: clean(cpuModel),
      physical_cores: nonNegativeInt(raw.cpu.physicalCores),
      logical_cores: nonNegativeInt(raw.cpu.cores),
    },
    memory: { total_bytes: nonNegativeInt(raw.mem.total), modules: memoryModules(raw) },
    disks: disks(raw, opts),
    os: {
      platform: clean(raw.osInfo.platform),
      distro: clean(raw.osInfo.distro),
      release: clean(raw.osInfo.release),
      build: clean(raw.osInfo.build),
      kernel: clean(raw.osInfo.kernel),
      arch: clean(raw.osInfo.arch),
      hostname,
      fqdn,
      domain: domainOf(fqdn),
    },
    nics: nics(raw, opts),
  };
}
