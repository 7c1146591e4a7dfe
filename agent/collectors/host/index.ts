import { loadavg } from 'node:os';
import si from 'systeminformation';
import { z } from 'zod';
import { host, hostDisk } from '../../../protocol/index.js';
import { type CollectedPoint, defineCollector } from '../../collector.js';

const config = z.strictObject({
  ignore_fs_types: z
    .array(z.string())
    .default(['tmpfs', 'devtmpfs', 'squashfs', 'proc', 'sysfs', 'efivarfs', 'ramfs', 'nsfs'])
    .describe('file system types never reported'),
  mounts: z
    .array(z.string())
    .optional()
    .describe('report only these mount points (default: every mount not ignored by type)'),
});

/** CPU load, memory, per-mount disk use and uptime, via systeminformation. */
export const hostCollector = defineCollector({
  name: 'host',
  defaultInterval: '30s',
  defaultTimeout: '20s',
  config,
  async collect(cfg, ctx) {
    const [load, mem, disks, time] = await Promise.all([si.currentLoad(), si.mem(), si.fsSize(), si.time()]);
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
          uptime_s: Math.round(Number(time.uptime)),
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
    return points;
  },
});

function round2(n: number): number {
  return Number.isFinite(n) ? Math.round(n * 100) / 100 : 0;
}
