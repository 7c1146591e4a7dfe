import { defineMeasurement, machineWriters } from '../measurement.js';

/**
 * Optional grouping tags an endpoint of the registry may carry (its `tags`) and that travel on its
 * ping points, so dashboards and the availability API can group by them: the district an office stood
 * in before the July 2025 reform, an operator's area, the carrier and its circuit.
 */
export const pingGroupingTags = ['former_district', 'area', 'carrier', 'circuit'] as const;
export type PingGroupingTag = (typeof pingGroupingTags)[number];

/**
 * Reachability of one target from one source, over one cycle of several echoes. A down target is a
 * point like any other (loss_percent=100, up=false, no rtt_* fields), never a missing point.
 */
export const ping = defineMeasurement({
  name: 'ping',
  description: 'ICMP echo reachability, loss, latency and jitter of one target over one cycle.',
  writers: ['poller'],
  // `district` only for registries of the old three-tier administration; `name` is the office's name.
  tags: ['source', 'target_id', 'name', 'level', 'district', ...pingGroupingTags],
  // The registry's levels: province and commune since July 2025, district in a three-tier registry.
  tagValues: { level: ['province', 'district', 'commune'] },
  fields: {
    sent: { type: 'integer', description: 'echo requests sent this cycle' },
    received: { type: 'integer', description: 'echo replies received (error replies do not count)' },
    loss_percent: { type: 'float', description: 'echo requests without a reply, %' },
    rtt_min_ms: { type: 'float', description: 'fastest round trip, ms (absent when nothing came back)' },
    rtt_avg_ms: { type: 'float', description: 'mean round trip, ms (absent when nothing came back)' },
    rtt_max_ms: { type: 'float', description: 'slowest round trip, ms (absent when nothing came back)' },
    rtt_stddev_ms: { type: 'float', description: 'population standard deviation of the round trips, ms' },
    jitter_ms: {
      type: 'float',
      description: 'mean absolute difference of consecutive round trips, ms (needs two replies)',
    },
    up: { type: 'boolean', description: 'at least one echo reply came back' },
    cause: {
      type: 'string',
      description:
        '"" when up, "down" when the target itself is unreachable, "parent_down" when an upstream endpoint is down',
      values: ['down', 'parent_down'],
    },
    parent_id: { type: 'string', description: 'with cause=parent_down: the down upstream endpoint, else ""' },
    address: { type: 'string', description: 'the address or name that was pinged' },
    error: {
      type: 'string',
      description: 'why the probe itself failed (unresolvable name, unreadable output), else ""',
    },
    interval_s: {
      type: 'float',
      description:
        'the cycle interval of the sweep that wrote the point, s: how long the point stands for when availability counts expected cycles',
    },
    lat: {
      type: 'float',
      description: "the endpoint's latitude from the registry (absent when it has none)",
    },
    lon: {
      type: 'float',
      description: "the endpoint's longitude from the registry (absent when it has none)",
    },
    sla_target_percent: {
      type: 'float',
      description:
        "the availability % the endpoint's level is held to, from the registry's sla_targets (or the default)",
    },
  },
});

const {
  cause: _cause,
  parent_id: _parentId,
  lat: _lat,
  lon: _lon,
  sla_target_percent: _sla,
  ...echoFields
} = ping.fields;

/**
 * What an agency PC can reach from where it sits (its gateway, the data center, configured
 * addresses): the same echo statistics as `ping`, in a measurement of its own so a PC's view never
 * mixes with the WAN endpoints' availability, which only the poller measures.
 */
export const connectivity = defineMeasurement({
  name: 'connectivity',
  description:
    'ICMP reachability of one target (gateway, data center, configured address) from an agency PC.',
  writers: machineWriters,
  tags: ['hostname', 'target'],
  fields: echoFields,
});

/** Whether the names an agency PC depends on resolve, as seen from that PC. */
export const connectivityDns = defineMeasurement({
  name: 'connectivity_dns',
  description: 'Resolution of one configured DNS name from the machine running the agent.',
  writers: machineWriters,
  tags: ['hostname', 'name'],
  fields: {
    resolved: { type: 'boolean', description: 'the name resolved to at least one address' },
    duration_ms: { type: 'float', description: 'time the resolution took (or until it failed or timed out)' },
    addresses: { type: 'string', description: 'the addresses, comma-separated, sorted ("" when unresolved)' },
    error: { type: 'string', description: 'resolver error code or "timeout" ("" when resolved)' },
  },
});

/**
 * One closed hour of `ping` of one endpoint, rolled up by the server (server/rollups.ts) so that
 * availability over months reads one point per endpoint-hour instead of one per cycle. The sums are
 * exactly those the availability computation takes from raw points (count, sums, max), so whole hours
 * from here plus raw points for the partial hours at a window's edges give the raw answer. The point
 * without a target_id is the hour's mark: the hour was rolled up (its fields are the hour's totals).
 */
export const pingHourly = defineMeasurement({
  name: 'ping_hourly',
  description:
    'Hourly roll-up of ping per endpoint (cycles, up, down, parent-down, monitored time), written by the server.',
  writers: ['server'],
  tags: ['target_id'],
  fields: {
    expected_cycles: {
      type: 'integer',
      description: 'cycles the hour holds at the longest interval_s of its points (60 s without any)',
    },
    cycles: { type: 'integer', description: 'ping points (cycles) recorded in the hour' },
    up_cycles: { type: 'integer', description: 'cycles with up=true' },
    down_cycles: { type: 'integer', description: 'cycles with up=false' },
    parent_down_cycles: { type: 'integer', description: 'down cycles with cause=parent_down' },
    interval_sum_s: { type: 'float', description: 'sum of interval_s over the cycles that carry it, s' },
    interval_cycles: { type: 'integer', description: 'cycles that carry interval_s' },
    interval_max_s: {
      type: 'float',
      description: 'longest interval_s of the hour (0 when no point carries it)',
    },
    monitored_seconds: {
      type: 'float',
      description: 'time the recorded cycles stand for (interval_s each, 60 s without it), at most 3600',
    },
    outage_seconds: {
      type: 'float',
      description: 'time the down cycles stand for (interval_s each, 60 s without it), at most 3600',
    },
    rolled_at_ms: { type: 'integer', description: 'when the server rolled the hour up, ms since the epoch' },
    down_runs: {
      type: 'string',
      description:
        'per endpoint: the runs of down points inside the hour and the point after each, JSON (server/outages.ts encodeRuns); absent without down cycles',
    },
    format: {
      type: 'integer',
      description:
        'on the mark: the roll-up format (2: endpoint-hours keep down_runs); older hours are read raw',
    },
    late_ms: {
      type: 'integer',
      description:
        'on the mark: when the server last wrote ping points into the hour after it closed, ms since the epoch; a roll-up older than that is not used until the hour is rolled up again',
    },
  },
});
