import { describe, expect, it } from 'vitest';
import { inventorySchema } from './model.js';
import { clean, defaultNormaliseOptions, normaliseInventory } from './normalise.js';
import { diskEntry, GiB, loadCapture, memModule, officePc } from './testing.js';

describe('clean()', () => {
  it.each([
    '',
    '   ',
    '-',
    '0',
    '00000000',
    '00000000-0000-0000-0000-000000000000',
    'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
    'Default string',
    'DEFAULT STRING',
    'To Be Filled By O.E.M.',
    'To be filled by O.E.M.',
    'System Product Name',
    'System Serial Number',
    'Not Specified',
    'N/A',
    'Unknown',
    '03000200-0400-0500-0006-000700080009',
    null,
    undefined,
  ])('turns the placeholder %j into "unknown"', (value) => {
    expect(clean(value)).toBe('unknown');
  });

  it('keeps real values, trimmed and with blank runs and control characters collapsed', () => {
    expect(clean('  Dell Inc. ')).toBe('Dell Inc.');
    expect(clean('Samsung\tSSD\n860   EVO')).toBe('Samsung SSD 860 EVO');
    expect(clean('S3Z9NB0K123456A')).toBe('S3Z9NB0K123456A');
  });

  it('bounds a value to 128 characters and strips a trailing backslash', () => {
    expect(clean(`${'x'.repeat(500)}y`)).toHaveLength(128);
    expect(clean('C:\\')).toBe('C:');
  });
});

describe('normaliseInventory()', () => {
  it('gives the captured inventory back from the captured systeminformation output of this machine', () => {
    const { raw, inventory } = loadCapture();
    expect(normaliseInventory(raw)).toEqual(inventory);
    expect(inventorySchema.safeParse(inventory).success).toBe(true);
  });

  it('reports no memory modules when systeminformation invents one from os.totalmem() (no dmidecode)', () => {
    const { raw } = loadCapture();
    expect(raw.memLayout).toHaveLength(1);
    expect(raw.memLayout[0]?.size).toBe(raw.mem.total);
    expect(normaliseInventory(raw).memory.modules).toEqual([]);
  });

  it('lists real memory modules sorted by slot, empty slots left out, repeated slots numbered', () => {
    const raw = officePc();
    raw.memLayout = [
      memModule('BANK 1', 8 * GiB, '5E6F7A8B'),
      { ...memModule('BANK 2', 0, ''), type: 'Empty' },
      memModule('BANK 0', 8 * GiB, '1A2B3C4D'),
      memModule('BANK 0', 4 * GiB, 'To Be Filled By O.E.M.'),
    ];
    expect(normaliseInventory(raw).memory.modules).toEqual([
      { slot: 'BANK 0', size_bytes: 8 * GiB, type: 'DDR4', serial: '1A2B3C4D' },
      { slot: 'BANK 0 #2', size_bytes: 4 * GiB, type: 'DDR4', serial: 'unknown' },
      { slot: 'BANK 1', size_bytes: 8 * GiB, type: 'DDR4', serial: '5E6F7A8B' },
    ]);
  });

  it('leaves USB disks and loop devices out unless usb_disks is "track"', () => {
    const raw = officePc();
    raw.diskLayout.push(
      diskEntry('/dev/sdb', 'SanDisk Cruzer Blade', '4C530001230517', 16_008_609_792, {
        interfaceType: 'USB',
      }),
      diskEntry('/dev/loop0', '', '', 1_000_000),
    );
    expect(normaliseInventory(raw).disks.map((d) => d.device)).toEqual(['/dev/sda']);
    const tracked = normaliseInventory(raw, { ...defaultNormaliseOptions, usb_disks: 'track' });
    expect(tracked.disks.map((d) => d.device)).toEqual(['/dev/sdb', '/dev/sda']);
  });

  it('reports SMART as "unknown" unless include_disks_smart is on, then as ok/failing', () => {
    const raw = officePc();
    raw.diskLayout.push(
      diskEntry('/dev/sdb', 'ST1000DM010', 'Z9A1B2C3', 1_000_204_886_016, {
        smartStatus: 'Predicted Failure',
        type: 'HD',
      }),
    );
    expect(normaliseInventory(raw).disks.map((d) => d.smart)).toEqual(['unknown', 'unknown']);
    const withSmart = normaliseInventory(raw, { ...defaultNormaliseOptions, include_disks_smart: true });
    expect(withSmart.disks.map((d) => [d.serial, d.smart])).toEqual([
      ['S3Z9NB0K123456A', 'ok'],
      ['Z9A1B2C3', 'failing'],
    ]);
  });

  it('keeps physical NICs only: loopback, virtual, MAC-less and excluded names are left out', () => {
    const raw = loadCapture().raw;
    const eth0 = raw.networkInterfaces.find((n) => n.iface === 'eth0');
    expect(eth0).toBeDefined();
    raw.networkInterfaces.push(
      { ...eth0!, iface: 'docker0', mac: '02:42:ac:11:00:01', ip4: '172.17.0.1' },
      { ...eth0!, iface: 'vnet3', mac: '52:54:00:12:34:56', virtual: true },
      { ...eth0!, iface: 'ppp0', mac: '' },
      {
        ...eth0!,
        iface: 'enp3s0',
        mac: 'A4:BB:6D:01:02:03',
        ip4: '10.20.30.40',
        ip6: 'fe80::a6bb:6dff:fe01:203',
        speed: 1000,
      },
    );
    expect(normaliseInventory(raw).nics).toEqual([
      {
        name: 'eth0',
        mac: '02:fc:00:00:00:01',
        ipv4: ['192.0.2.2'],
        ipv6: ['fd00::2'],
        speed_mbps: 0,
        type: 'wired',
      },
      {
        name: 'enp3s0',
        mac: 'a4:bb:6d:01:02:03',
        ipv4: ['10.20.30.40'],
        ipv6: [],
        speed_mbps: 1000,
        type: 'wired',
      },
    ]);
  });

  it('derives the domain from the fqdn, and "unknown" when the fqdn has none', () => {
    const raw = officePc();
    expect(normaliseInventory(raw).os.domain).toBe('unknown');
    raw.osInfo = { ...raw.osInfo, hostname: 'PC-KT-07', fqdn: 'PC-KT-07.sokhdt.tinh.gov.vn' };
    expect(normaliseInventory(raw).os).toMatchObject({ hostname: 'PC-KT-07', domain: 'sokhdt.tinh.gov.vn' });
  });

  it('names the CPU by manufacturer and brand without repeating the manufacturer', () => {
    const raw = officePc();
    expect(normaliseInventory(raw).cpu.model).toBe('AMD EPYC');
    raw.cpu = { ...raw.cpu, manufacturer: 'Intel', brand: 'Intel Core™ i5-10500' };
    expect(normaliseInventory(raw).cpu.model).toBe('Intel Core™ i5-10500');
  });
});
