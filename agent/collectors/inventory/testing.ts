/**
 * Test helpers for the inventory collector: the captured fixture of a real machine and edited copies
 * of it. Only *.test.ts files import this.
 */
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import type { Systeminformation } from 'systeminformation';
import type { CollectContext } from '../../collector.js';
import type { Inventory } from './model.js';
import type { RawInventory } from './source.js';

interface Capture {
  about: string;
  captured_at: string;
  raw: RawInventory;
  inventory: Inventory;
}

/**
 * This machine's inventory, captured with `bench/agent-footprint/inventory-pass.ts --capture` (our own
 * capture of a real machine, not hand-written): a Debian 12 container on KVM, so serials, BIOS,
 * memory modules and disks are all unknown or absent — exactly what an agent sees without dmidecode.
 */
export function loadCapture(): Capture {
  return JSON.parse(
    readFileSync(new URL('./testdata/this-machine.json', import.meta.url), 'utf8'),
  ) as Capture;
}

export const GiB = 1024 ** 3;

/** A memory module as systeminformation reports it from dmidecode on Linux. */
export function memModule(bank: string, size: number, serial: string): Systeminformation.MemLayoutData {
  return {
    size,
    bank,
    type: 'DDR4',
    ecc: false,
    clockSpeed: 2666,
    formFactor: 'DIMM',
    manufacturer: 'Samsung',
    partNum: 'M378A1K43CB2-CTD',
    serialNum: serial,
    voltageConfigured: 1.2,
    voltageMin: 1.2,
    voltageMax: 1.2,
  };
}

/** A disk as systeminformation's Linux diskLayout reports it (geometry is null there). */
export function diskEntry(
  device: string,
  name: string,
  serial: string,
  size: number,
  extra: Partial<Systeminformation.DiskLayoutData> = {},
): Systeminformation.DiskLayoutData {
  return {
    device,
    type: 'SSD',
    name,
    vendor: 'Samsung',
    size,
    bytesPerSector: null,
    totalCylinders: null,
    totalHeads: null,
    totalSectors: null,
    totalTracks: null,
    tracksPerCylinder: null,
    sectorsPerTrack: null,
    firmwareRevision: 'RVT04B6Q',
    serialNum: serial,
    interfaceType: 'SATA',
    smartStatus: 'Ok',
    temperature: null,
    ...extra,
  } as unknown as Systeminformation.DiskLayoutData;
}

/**
 * The captured machine, edited to look like an agency desktop with firmware data: SMBIOS identity,
 * two 8 GiB modules, one SATA SSD. Each test edits a further copy of this.
 */
export function officePc(): RawInventory {
  const raw = structuredClone(loadCapture().raw);
  raw.system = {
    ...raw.system,
    manufacturer: 'Dell Inc.',
    model: 'OptiPlex 7090',
    serial: 'ABC1234',
    virtual: false,
  };
  raw.system.uuid = '4c4c4544-0042-3410-8031-b2c04f333132';
  raw.bios = { ...raw.bios, vendor: 'Dell Inc.', version: '1.12.0', releaseDate: '2023-03-14' };
  raw.baseboard = {
    ...raw.baseboard,
    manufacturer: 'Dell Inc.',
    model: '0YJ1XJ',
    serial: '/ABC1234/CNFCW0012A00B1/',
  };
  raw.mem = { total: 16 * GiB - 412 * 1024 ** 2 };
  raw.memLayout = [memModule('BANK 0', 8 * GiB, '1A2B3C4D'), memModule('BANK 1', 8 * GiB, '5E6F7A8B')];
  raw.diskLayout = [diskEntry('/dev/sda', 'Samsung SSD 860 EVO 500GB', 'S3Z9NB0K123456A', 500_107_862_016)];
  return raw;
}

export interface TestContext extends CollectContext {
  /** Every log record written through ctx.log, parsed. */
  logs: Array<{ level: number; msg: string; [key: string]: unknown }>;
}

/** A CollectContext with a real pino logger whose records the test can read. */
export function testContext(
  stateDir: string,
  now: number,
  signal = new AbortController().signal,
): TestContext {
  const logs: TestContext['logs'] = [];
  // pino writes each record synchronously to any object with write(): the records are there at once.
  const sink = { write: (line: string) => void logs.push(JSON.parse(line)) };
  return {
    signal,
    log: pino({ level: 'debug' }, sink),
    now: () => now,
    hostname: 'pc-kt-07',
    stateDir,
    memory: new Map(),
    logs,
  };
}
