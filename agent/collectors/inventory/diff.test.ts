import { describe, expect, it } from 'vitest';
import { diffInventory, formatGB, formatGiB } from './diff.js';
import { inventoryHash } from './model.js';
import { normaliseInventory } from './normalise.js';
import { diskEntry, GiB, loadCapture, memModule, officePc } from './testing.js';

const event = { ip_changes: 'event' } as const;
const quiet = { ip_changes: 'quiet' } as const;

describe('diffInventory()', () => {
  it('finds nothing between an inventory and itself, and the hashes agree', () => {
    const { inventory } = loadCapture();
    expect(diffInventory(inventory, structuredClone(inventory))).toEqual([]);
    expect(inventoryHash(inventory, event)).toBe(inventoryHash(structuredClone(inventory), event));
  });

  it('reports a removed memory module as one memory event with the new total', () => {
    const before = normaliseInventory(officePc());
    const raw = officePc();
    raw.memLayout = [memModule('BANK 0', 8 * GiB, '1A2B3C4D')];
    raw.mem = { total: 8 * GiB - 300 * 1024 ** 2 };
    const after = normaliseInventory(raw);
    expect(diffInventory(before, after)).toEqual([
      {
        component: 'memory',
        before: '15.6 GiB: BANK 0 8 GiB DDR4 SN 1A2B3C4D; BANK 1 8 GiB DDR4 SN 5E6F7A8B',
        after: '7.7 GiB: BANK 0 8 GiB DDR4 SN 1A2B3C4D',
        summary: 'memory 15.6 GiB → 7.7 GiB; module removed: BANK 1 8 GiB DDR4 SN 5E6F7A8B',
      },
    ]);
    expect(inventoryHash(before, event)).not.toBe(inventoryHash(after, event));
  });

  it('reports a memory drop seen only in the OS total when the firmware lists no modules', () => {
    const before = loadCapture().inventory;
    const after = structuredClone(before);
    after.memory.total_bytes = Math.round(before.memory.total_bytes / 2);
    const [change, ...rest] = diffInventory(before, after);
    expect(rest).toEqual([]);
    expect(change).toMatchObject({ component: 'memory', summary: 'memory 23.5 GiB → 11.8 GiB' });
  });

  it('ignores the few MiB a kernel or firmware update moves the OS memory total by', () => {
    const before = normaliseInventory(officePc());
    const after = structuredClone(before);
    after.memory.total_bytes -= 3 * 1024 ** 2;
    expect(diffInventory(before, after)).toEqual([]);
    expect(inventoryHash(after, event)).toBe(inventoryHash(before, event));
  });

  it('reports a swapped disk as one disk event naming the removed and the added disk', () => {
    const before = normaliseInventory(officePc());
    const raw = officePc();
    raw.diskLayout = [diskEntry('/dev/sda', 'KINGSTON SA400S37480G', '50026B77838A1F2C', 480_103_981_056)];
    const changes = diffInventory(before, normaliseInventory(raw));
    expect(changes).toEqual([
      {
        component: 'disk',
        before: 'Samsung SSD 860 EVO 500GB S3Z9NB0K123456A 500 GB SSD',
        after: 'KINGSTON SA400S37480G 50026B77838A1F2C 480 GB SSD',
        summary:
          'disk removed: Samsung SSD 860 EVO 500GB S3Z9NB0K123456A 500 GB SSD; ' +
          'disk added: KINGSTON SA400S37480G 50026B77838A1F2C 480 GB SSD',
      },
    ]);
  });

  it('does not count a disk renamed by the OS (sda → sdb) as a change', () => {
    const before = normaliseInventory(officePc());
    const raw = officePc();
    raw.diskLayout = raw.diskLayout.map((d) => ({ ...d, device: '/dev/sdb' }));
    expect(diffInventory(before, normaliseInventory(raw))).toEqual([]);
  });

  it('reports a changed system serial as "system serial ABC → DEF"', () => {
    const before = normaliseInventory(officePc());
    const after = structuredClone(before);
    after.system.serial = 'DEF5678';
    expect(diffInventory(before, after)).toEqual([
      {
        component: 'system',
        before: 'Dell Inc. OptiPlex 7090, serial ABC1234, uuid 4c4c4544-0042-3410-8031-b2c04f333132',
        after: 'Dell Inc. OptiPlex 7090, serial DEF5678, uuid 4c4c4544-0042-3410-8031-b2c04f333132',
        summary: 'system serial ABC1234 → DEF5678',
      },
    ]);
  });

  it('reports each changed component once, in component order, for several changes at once', () => {
    const before = normaliseInventory(officePc());
    const raw = officePc();
    raw.bios = { ...raw.bios, version: '1.15.1', releaseDate: '2024-06-02' };
    raw.osInfo = { ...raw.osInfo, release: '13', kernel: '6.12.41-amd64' };
    raw.diskLayout.push(diskEntry('/dev/nvme0n1', 'WD Blue SN570 1TB', '22411G801234', 1_000_204_886_016));
    raw.system.serial = 'DEF5678';
    const changes = diffInventory(before, normaliseInventory(raw));
    expect(changes.map((c) => [c.component, c.summary])).toEqual([
      ['system', 'system serial ABC1234 → DEF5678'],
      ['bios', 'bios version 1.12.0 → 1.15.1, release date 2023-03-14 → 2024-06-02'],
      ['disk', 'disk added: WD Blue SN570 1TB 22411G801234 1 TB SSD'],
      ['os', 'os release 12 → 13, kernel 6.18.44-fc-v769 → 6.12.41-amd64'],
    ]);
  });

  it('reports a disk whose SMART verdict turned to failing, when SMART is in the inventory', () => {
    const before = normaliseInventory(officePc(), {
      include_disks_smart: true,
      usb_disks: 'ignore',
      exclude_interfaces: [],
    });
    const after = structuredClone(before);
    after.disks[0]!.smart = 'failing';
    expect(diffInventory(before, after).map((c) => c.summary)).toEqual([
      'disk S3Z9NB0K123456A: smart ok → failing',
    ]);
  });

  it('reports a NIC IPv4 change with ip_changes "event" and stays silent with "quiet"', () => {
    const before = loadCapture().inventory;
    const after = structuredClone(before);
    after.nics[0]!.ipv4 = ['192.0.2.77'];
    after.nics[0]!.speed_mbps = 1000;
    expect(diffInventory(before, after, event).map((c) => c.summary)).toEqual([
      'nic 02:fc:00:00:00:01: ipv4 192.0.2.2 → 192.0.2.77',
    ]);
    expect(diffInventory(before, after, quiet)).toEqual([]);
    expect(inventoryHash(before, quiet)).toBe(inventoryHash(after, quiet));
  });

  it('reports a NIC replaced by another card as removed and added', () => {
    const before = loadCapture().inventory;
    const after = structuredClone(before);
    after.nics[0]!.mac = 'a4:bb:6d:01:02:03';
    expect(diffInventory(before, after, quiet).map((c) => c.summary)).toEqual([
      'nic removed: eth0 02:fc:00:00:00:01 192.0.2.2 fd00::2; nic added: eth0 a4:bb:6d:01:02:03 192.0.2.2 fd00::2',
    ]);
  });
});

describe('size formatting', () => {
  it('shows memory in GiB with at most one decimal and disks in label GB/TB', () => {
    expect(formatGiB(16 * GiB)).toBe('16 GiB');
    expect(formatGiB(512 * 1024 ** 2)).toBe('512 MiB');
    expect(formatGB(500_107_862_016)).toBe('500 GB');
    expect(formatGB(2_000_398_934_016)).toBe('2 TB');
  });
});
