import { defineMeasurement, machineWriters } from '../measurement.js';

export const host = defineMeasurement({
  name: 'host',
  description: 'Load, memory and uptime of the machine running the agent.',
  writers: machineWriters,
  tags: ['hostname'],
  fields: {
    cpu_load_percent: { type: 'float', description: 'CPU busy over the last interval, % of all cores' },
    load1: { type: 'float', description: '1-minute load average (0 on Windows)' },
    mem_used_percent: { type: 'float', description: 'memory in use (excluding buffers/cache), %' },
    mem_total_bytes: { type: 'integer', description: 'physical memory, bytes' },
    mem_used_bytes: { type: 'integer', description: 'memory in use (excluding buffers/cache), bytes' },
    uptime_s: { type: 'integer', description: 'seconds since boot' },
    users_logged_in: { type: 'integer', description: 'interactive sessions open (console, RDP, ssh)' },
    reboot_required: {
      type: 'boolean',
      description: 'the OS waits for a reboot to finish updates (absent where the OS cannot say)',
    },
  },
});

export const hostDisk = defineMeasurement({
  name: 'host_disk',
  description: 'Use of one mounted file system.',
  writers: machineWriters,
  tags: ['hostname', 'mount', 'fs_type'],
  fields: {
    used_percent: { type: 'float', description: 'space used, %' },
    used_bytes: { type: 'integer', description: 'space used, bytes' },
    total_bytes: { type: 'integer', description: 'size, bytes' },
  },
});

export const hostNet = defineMeasurement({
  name: 'host_net',
  description: 'Traffic of one network interface of the machine running the agent.',
  writers: machineWriters,
  tags: ['hostname', 'interface'],
  fields: {
    rx_bytes: { type: 'integer', description: 'bytes received since the interface came up (counter)' },
    tx_bytes: { type: 'integer', description: 'bytes sent since the interface came up (counter)' },
    rx_bps: {
      type: 'float',
      description: 'receive rate since the previous run, bits/s (absent on the first run or after a reset)',
    },
    tx_bps: {
      type: 'float',
      description: 'send rate since the previous run, bits/s (absent on the first run or after a reset)',
    },
    rx_errors: { type: 'integer', description: 'receive errors (counter)' },
    tx_errors: { type: 'integer', description: 'send errors (counter)' },
    rx_dropped: { type: 'integer', description: 'received packets dropped (counter)' },
    tx_dropped: { type: 'integer', description: 'packets to send dropped (counter)' },
  },
});
