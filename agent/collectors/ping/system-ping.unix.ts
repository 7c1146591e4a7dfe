import type { ProbeOptions } from './engine.js';
import type { PingCommand } from './system-ping.js';

/**
 * Linux iputils (and BusyBox) `ping -n -c N -i I -W T addr`, in the C locale. Without root, iputils
 * refuses intervals under 200 ms, so the period is raised to that. Works without root where the
 * binary has cap_net_raw or net.ipv4.ping_group_range admits the user.
 */
export const unixPingCommand: PingCommand = {
  command: 'ping',
  args(address: string, o: ProbeOptions) {
    const minPeriodMs = process.getuid?.() === 0 ? 1 : 200;
    const periodS = Math.max(minPeriodMs, o.periodMs) / 1000;
    const waitS = Math.max(1, Math.ceil(o.timeoutMs / 1000));
    return ['-n', '-c', String(o.count), '-i', String(periodS), '-W', String(waitS), address];
  },
  env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
  durationMs: (o) => o.count * Math.max(200, o.periodMs) + Math.max(1000, o.timeoutMs),
};
