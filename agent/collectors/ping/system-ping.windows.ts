import type { ProbeOptions } from './engine.js';
import type { PingCommand } from './system-ping.js';

/**
 * Windows `ping -n N -w T addr`. ping.exe has no interval option (one echo a second) and prints
 * in the console's language and OEM code page, which the parser reads without knowing either.
 */
export const windowsPingCommand: PingCommand = {
  command: 'ping',
  args: (address: string, o: ProbeOptions) => [
    '-n',
    String(o.count),
    '-w',
    String(Math.round(o.timeoutMs)),
    address,
  ],
  durationMs: (o) => o.count * (1000 + o.timeoutMs),
};
