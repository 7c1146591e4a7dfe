import { readFile } from 'node:fs/promises';
import type { GatewayLookup } from './gateway.js';

const RTF_UP = 0x1;
const RTF_GATEWAY = 0x2;

/**
 * The IPv4 default gateway from a Linux routing table as the kernel prints it in /proc/net/route:
 * the up, gateway-flagged route with destination and mask 0, lowest metric first. Addresses are
 * hex in host (little-endian) byte order.
 *
 * @example
 * parseRouteTable('Iface\tDestination\tGateway ...\neth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n');
 * // → { address: '192.168.1.1', iface: 'eth0' }
 */
export function parseRouteTable(text: string): { address: string; iface: string } | undefined {
  let best: { address: string; iface: string; metric: number } | undefined;
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 8) continue;
    const [iface, dest, gw, flagsHex, , , metricText, mask] = cols as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const flags = Number.parseInt(flagsHex, 16);
    if (dest !== '00000000' || mask !== '00000000' || !(flags & RTF_UP) || !(flags & RTF_GATEWAY)) continue;
    if (!/^[0-9A-Fa-f]{8}$/.test(gw)) continue;
    const n = Number.parseInt(gw, 16);
    const address = [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24].join('.');
    const metric = Number(metricText);
    if (!best || metric < best.metric) best = { address, iface, metric };
  }
  return best && { address: best.address, iface: best.iface };
}

/** Reads the routing table file (default /proc/net/route) and finds the default gateway. */
export const linuxGateway: GatewayLookup = async (routeFile, signal) => {
  let text: string;
  try {
    text = await readFile(routeFile, { encoding: 'utf8', signal });
  } catch (err) {
    return {
      error: `cannot read ${routeFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    };
  }
  const found = parseRouteTable(text);
  return found ? { address: found.address } : { error: `no IPv4 default route in ${routeFile}` };
};
