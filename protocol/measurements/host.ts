import { defineMeasurement } from '../measurement.js';

export const host = defineMeasurement({
  name: 'host',
  description: 'Load, memory and uptime of the machine running the agent.',
  tags: ['hostname'],
  fields: {
    cpu_load_percent: { type: 'float', description: 'CPU busy over the last interval, % of all cores' },
    load1: { type: 'float', description: '1-minute load average (0 on Windows)' },
    mem_used_percent: { type: 'float', description: 'memory in use (excluding buffers/cache), %' },
    mem_total_bytes: { type: 'integer', description: 'physical memory, bytes' },
    mem_used_bytes: { type: 'integer', description: 'memory in use (excluding buffers/cache), bytes' },
    uptime_s: { type: 'integer', description: 'seconds since boot' },
  },
});

export const hostDisk = defineMeasurement({
  name: 'host_disk',
  description: 'Use of one mounted file system.',
  tags: ['hostname', 'mount', 'fs_type'],
  fields: {
    used_percent: { type: 'float', description: 'space used, %' },
    used_bytes: { type: 'integer', description: 'space used, bytes' },
    total_bytes: { type: 'integer', description: 'size, bytes' },
  },
});
