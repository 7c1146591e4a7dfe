import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIpconfig } from './gateway.windows.js';

// `wine ipconfig` (Wine 8.0, Debian 12) on a machine whose default route is 192.0.2.1 via eth0.
const wine = readFileSync(new URL('./testdata/ipconfig-wine8.txt', import.meta.url), 'utf8');

describe('parseIpconfig', () => {
  it('finds the gateway of the adapter that has one, skipping empty entries (Wine 8 capture)', () => {
    expect(parseIpconfig(wine)).toEqual(['192.0.2.1']);
  });

  it('takes the IPv4 gateway on the line continuing an IPv6 one, in adapter order', () => {
    const text = [
      'Ethernet adapter Ethernet:',
      '',
      '   IPv4 Address. . . . . . . . . . . : 10.1.2.3',
      '   Subnet Mask . . . . . . . . . . . : 255.255.255.0',
      '   Default Gateway . . . . . . . . . : fe80::1%12',
      '                                       10.1.2.1',
      '',
      'Wireless LAN adapter Wi-Fi:',
      '',
      '   Default Gateway . . . . . . . . . : 192.168.1.1',
      '',
    ].join('\r\n');
    expect(parseIpconfig(text)).toEqual(['10.1.2.1', '192.168.1.1']);
  });

  it('finds nothing when no adapter has a gateway or the labels are translated', () => {
    expect(parseIpconfig(wine.replace('192.0.2.1', ''))).toEqual([]);
    expect(parseIpconfig(wine.replaceAll('Default gateway', 'Passerelle par défaut'))).toEqual([]);
    expect(parseIpconfig('')).toEqual([]);
  });
});
