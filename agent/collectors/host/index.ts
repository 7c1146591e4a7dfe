import { loadavg, uptime } from 'node:os';
import { z } from 'zod';
import { host, hostDisk, hostNet } from '../../../protocol/index.js';
import { type CollectedPoint, defineCollector } from '../../collector.js';
import { si } from '../../runtime/sysinfo.js';
import { ignored, type NicSample, rates } from './net.js';
import { pendingReboot } from './reboot.js';

const config = z.strictObject({
  ignore_fs_types: z
    .array(z.string())
    .default(['tmpfs', 'devtmpfs', 'squashfs', 'proc', 'sysfs', 'efivarfs', 'ramfs', 'nsfs'])
    .describe('file system types never reported'),
  mounts: z
    .array(z.string())
    .optional()
    .describe('report only these mount points (default: every mount not ignored by type)'),
  ignore_interfaces: z
    .array(z.string())
    .default(['lo', 'veth*', 'docker*', 'br-*', 'virbr*', 'Loopback*'])
    .describe('network interfaces never reported: exact names, or prefixes ending in *'),
});

/**
 * CPU load, memory, per-mount disk use, per-interface traffic, uptime, logged-in users and pending
 * reboot, via systeminformation (which reads /proc and /sys on Linux: no process per call except
 * `who` for the users).
 */
export const hostCollector = defineCollector({
  name: 'host',
  defaultInterval: '30s',
  defaultTimeout: '20s',
  config,
  async collect(cfg, ctx) {
    // Uptime from node:os, not si.time(): that one also asks Intl for the time zone name, which maps
    // ~7 MiB of ICU data into the agent for good (bench/agent-footprint).
    const [load, mem, disks, nics, users, reboot] = await Promise.all([
      si.currentLoad(),
      si.mem(),
      si.fsSize(),
      si.networkStats('*'),
      si.users(),
      pendingReboot(ctx.signal),
    ]);
    const usedBytes = mem.active;
    const points: CollectedPoint[] = [
      {
        measurement: host.name,
        tags: { hostname: ctx.hostname },
        fields: {
          cpu_load_percent: round2(load.currentLoad),
          load1: round2(loadavg()[0] ?? 0),
          mem_total_bytes: mem.total,
          mem_used_bytes: usedBytes,
          mem_used_percent: mem.total > 0 ? round2((usedBytes / mem.total) * 100) : 0,
          uptime_s: Math.round(uptime()),
          users_logged_in: users.length,
          ...(reboot === undefined ? {} : { reboot_required: reboot }),
        },
      },
    ];
    const seen = new Set<string>();
    for (const disk of disks) {
      if (cfg.ignore_fs_types.includes(disk.type) || seen.has(disk.mount)) continue;
      if (cfg.mounts && !cfg.mounts.includes(disk.mount)) continue;
      if (!disk.mount || !(disk.size > 0)) continue;
      seen.add(disk.mount);
      points.push({
        measurement: hostDisk.name,
        tags: { hostname: ctx.hostname, mount: disk.mount, fs_type: disk.type || 'unknown' },
        fields: {
          used_percent: round2((disk.used / disk.size) * 100),
          used_bytes: Math.round(disk.used),
          total_bytes: Math.round(disk.size),
        },
      });
    }
    const at = ctx.now();
    for (const nic of nics) {
      if (!nic.iface || ignored(nic.iface, cfg.ignore_interfaces)) continue;
      const sample: NicSample = { at, rx_bytes: nic.rx_bytes, tx_bytes: nic.tx_bytes };
      const key = `nic:${nic.iface}`;
      const rate = rates(ctx.memory.get(key) as NicSample | undefined, sample);
      ctx.memory.set(key, sample);
      points.push({
        measurement: hostNet.name,
        tags: { hostname: ctx.hostname, interface: nic.iface },
        fields: {
          rx_bytes: nic.rx_bytes,
          tx_bytes: nic.tx_bytes,
          rx_errors: nic.rx_errors,
          tx_errors: nic.tx_errors,
          rx_dropped: nic.rx_dropped,
          tx_dropped: nic.tx_dropped,
          ...(rate ?? {}),
        },
      });
    }
    return points;
  },
});

function round2(n: number): number {
  return Number.isFinite(n) ? Math.round(n * 100) / 100 : 0;
}
