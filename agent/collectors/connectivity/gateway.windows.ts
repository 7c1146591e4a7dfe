import { execFile } from 'node:child_process';
import { isIPv4 } from 'node:net';
import type { GatewayLookup } from './gateway.js';

/**
 * The IPv4 default gateways in `ipconfig` output, in the adapters' order: the value of each
 * "Default Gateway . . . :" entry and of the indented lines continuing it (Windows lists an IPv6
 * gateway first, the IPv4 one on the next line). ipconfig exists on every Windows and under Wine;
 * route.exe and PowerShell's Get-NetRoute do not exist under Wine, so their output could not be
 * captured to test a parser against. The label is matched in English (Windows and Wine print it so
 * on English systems); on a Windows whose ipconfig is translated nothing is found and the collector
 * says so: set `gateway: <address>` there.
 *
 * @example
 * parseIpconfig('Ethernet adapter eth0\r\n\r\n    Default gateway . . . : 192.0.2.1\r\n'); // → ['192.0.2.1']
 */
export function parseIpconfig(text: string): string[] {
  const found: string[] = [];
  let inGateway = false;
  for (const line of text.split(/\r?\n/)) {
    const entry = /^\s+([^:]*?)[ .]*:\s*(.*?)\s*$/.exec(line);
    if (entry && /\S/.test(entry[1] ?? '')) {
      inGateway = /^default gateway$/i.test((entry[1] ?? '').trim());
      if (inGateway && isIPv4(entry[2] ?? '')) found.push(entry[2] as string);
      continue;
    }
    const continued = /^\s+(\S+)\s*$/.exec(line);
    if (inGateway && continued && isIPv4(continued[1] ?? '')) found.push(continued[1] as string);
    else inGateway = false;
  }
  return found;
}

/** Runs `ipconfig` (no shell, bounded) and returns its first IPv4 default gateway. */
export const windowsGateway: GatewayLookup = (_routeFile, signal) =>
  new Promise((resolve) => {
    execFile(
      'ipconfig',
      [],
      { timeout: 10_000, signal, windowsHide: true, maxBuffer: 1024 * 1024 },
      (err, stdout) => {
        if (err) {
          resolve({ error: `ipconfig: ${err.message.split('\n')[0]}` });
          return;
        }
        const [first] = parseIpconfig(stdout);
        resolve(
          first
            ? { address: first }
            : {
                error: 'no IPv4 default gateway in ipconfig output: set gateway to the address in the config',
              },
        );
      },
    );
  });
