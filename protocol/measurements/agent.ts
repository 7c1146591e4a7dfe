import { defineMeasurement, machineWriters } from '../measurement.js';

export const agentHealth = defineMeasurement({
  name: 'agent_health',
  description: "The agent's own state: its send queue and what it had to drop.",
  writers: machineWriters,
  tags: ['hostname', 'version'],
  fields: {
    queue_batches: { type: 'integer', description: 'batches waiting on disk to be sent' },
    queue_points: { type: 'integer', description: 'points waiting on disk to be sent' },
    queue_bytes: { type: 'integer', description: 'bytes of the on-disk queue' },
    dropped_points: {
      type: 'integer',
      description:
        'points the agent produced but could not keep, all reasons (dropped_queue_full_points + dropped_disk_full_points)',
    },
    dropped_queue_full_points: {
      type: 'integer',
      description: 'points dropped oldest-first because the queue reached queue.max_bytes',
    },
    dropped_disk_full_points: {
      type: 'integer',
      description: 'newest points that could not be written to the queue (disk full or another write error)',
    },
    rejected_points: {
      type: 'integer',
      description: 'points the server refused as invalid (4xx), since enrollment',
    },
    corrupt_queue_files: {
      type: 'integer',
      description:
        'queue files found damaged (unreadable, not JSON, not a batch) and moved to queue/rejected/',
    },
    corrupt_queue_points: { type: 'integer', description: 'points those damaged queue files held' },
    reserve_points: {
      type: 'integer',
      description: 'agent_health and collector_run points held in memory while the queue cannot be written',
    },
    send_errors: { type: 'integer', description: 'failed send attempts since the agent started' },
    rss_bytes: { type: 'integer', description: 'resident memory of the agent process' },
  },
});

export const collectorRun = defineMeasurement({
  name: 'collector_run',
  description: 'One run of one collector: whether it could run, how long it took, what it produced.',
  writers: machineWriters,
  tags: ['hostname', 'collector'],
  fields: {
    success: { type: 'boolean', description: 'false when the collector threw or timed out' },
    duration_ms: { type: 'float', description: 'wall time of the run' },
    points: { type: 'integer', description: 'points the run produced' },
    error: { type: 'string', description: 'what went wrong ("" on success)' },
  },
});

export const serverHealth = defineMeasurement({
  name: 'server_health',
  description: "A collector server's own state, written by the server itself.",
  writers: ['server'],
  tags: ['instance'],
  fields: {
    spool_bytes: { type: 'integer', description: 'bytes waiting in the spool for InfluxDB' },
    spool_points: { type: 'integer', description: 'points waiting in the spool for InfluxDB' },
    points_accepted: { type: 'integer', description: 'points accepted since start' },
    points_rejected: { type: 'integer', description: 'points rejected since start' },
    write_errors: { type: 'integer', description: 'failed InfluxDB writes since start' },
    series_known: { type: 'integer', description: 'series this collector has seen (kept beside its spool)' },
    series_refused: {
      type: 'integer',
      description: 'new series refused since start by the per-site or per-agent hourly allowance',
    },
  },
});
