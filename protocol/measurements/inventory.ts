import { defineMeasurement, machineWriters } from '../measurement.js';

/**
 * Hardware and OS inventory of one machine. Written when the inventory changes and re-asserted on a
 * long heartbeat (collector option `reassert`, default 6h), so `last()` over a window longer than the
 * heartbeat always finds it. Text that is not known (no root, placeholder firmware strings) is
 * "unknown", never "".
 */
export const inventory = defineMeasurement({
  name: 'inventory',
  description: 'Hardware and OS inventory of the machine, written on change and re-asserted on a heartbeat.',
  writers: machineWriters,
  tags: ['hostname'],
  fields: {
    manufacturer: { type: 'string', description: 'system manufacturer (SMBIOS), or "unknown"' },
    model: { type: 'string', description: 'system model (SMBIOS), or "unknown"' },
    serial: {
      type: 'string',
      description: 'system serial number (SMBIOS; needs root on Linux), or "unknown"',
    },
    uuid: { type: 'string', description: 'system UUID (SMBIOS), or "unknown"' },
    virtual: { type: 'boolean', description: 'true when the machine is a virtual machine or container' },
    bios_vendor: { type: 'string', description: 'BIOS/UEFI firmware vendor' },
    bios_version: { type: 'string', description: 'BIOS/UEFI firmware version' },
    bios_release_date: {
      type: 'string',
      description: 'BIOS/UEFI firmware release date as the firmware states it',
    },
    board_manufacturer: { type: 'string', description: 'mainboard manufacturer' },
    board_model: { type: 'string', description: 'mainboard model' },
    board_serial: { type: 'string', description: 'mainboard serial number' },
    cpu_model: {
      type: 'string',
      description: 'processor manufacturer and brand, e.g. "Intel Core i5-10500"',
    },
    cpu_cores: { type: 'integer', description: 'physical processor cores (0 when unknown)' },
    cpu_logical_cores: { type: 'integer', description: 'logical processors (hardware threads)' },
    mem_total_bytes: { type: 'integer', description: 'physical memory the OS sees, bytes' },
    mem_module_count: { type: 'integer', description: 'memory modules reported by the firmware' },
    mem_modules: {
      type: 'string',
      description: 'memory modules, "; "-separated: slot size type serial (e.g. "DIMM1 8 GiB DDR4 SN 1A2B")',
    },
    disk_count: { type: 'integer', description: 'physical disks (USB disks only with usb_disks: track)' },
    disk_total_bytes: { type: 'integer', description: 'sum of the physical disks, bytes' },
    disks: { type: 'string', description: 'physical disks, "; "-separated: model serial size type' },
    os_platform: { type: 'string', description: 'linux, win32, darwin, …' },
    os_distro: {
      type: 'string',
      description: 'OS name, e.g. "Microsoft Windows 10 Pro", "Debian GNU/Linux"',
    },
    os_release: { type: 'string', description: 'OS release, e.g. "10.0.19045", "12"' },
    os_build: { type: 'string', description: 'OS build number (Windows), or "unknown"' },
    os_kernel: { type: 'string', description: 'kernel version' },
    arch: { type: 'string', description: 'processor architecture of the OS: x64, ia32, arm64, …' },
    fqdn: { type: 'string', description: 'fully qualified name as the OS reports it' },
    domain: {
      type: 'string',
      description: 'DNS or Windows domain (the fqdn after the host name), or "unknown"',
    },
    macs: {
      type: 'string',
      description: 'MAC addresses of the physical network interfaces, comma-separated',
    },
    ips: { type: 'string', description: 'IPv4 and IPv6 addresses of those interfaces, comma-separated' },
    inventory_hash: {
      type: 'string',
      description: 'sha256 of the canonical inventory; changes iff a change is reported',
    },
    changed: {
      type: 'boolean',
      description: 'true when this point reports a change (inventory_change events carry the details)',
    },
  },
});

/**
 * One component of the inventory that changed between two passes, written once per component per
 * change (never on the first, baseline inventory).
 */
export const inventoryChange = defineMeasurement({
  name: 'inventory_change',
  description: 'A change of one inventory component (memory, disk, cpu, system, bios, board, nic, os).',
  writers: machineWriters,
  tags: ['hostname', 'component'],
  tagValues: { component: ['memory', 'disk', 'cpu', 'system', 'bios', 'board', 'nic', 'os'] },
  fields: {
    before: { type: 'string', description: 'the component as it was' },
    after: { type: 'string', description: 'the component as it is now' },
    summary: { type: 'string', description: 'human summary, e.g. "memory 16 GiB → 8 GiB"' },
  },
});
