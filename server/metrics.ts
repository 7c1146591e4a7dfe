/**
 * A small Prometheus text-format registry: counters and gauges with labels, and histograms with
 * fixed buckets. Enough for /metrics without a dependency.
 */
type Labels = Record<string, string>;

function key(labels: Labels): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');
}

class Counter {
  private values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge',
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const k = key(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  set(labels: Labels, value: number): void {
    this.values.set(key(labels), value);
  }
  get(labels: Labels = {}): number {
    return this.values.get(key(labels)) ?? 0;
  }
  /** Sum over every label set. */
  total(): number {
    let sum = 0;
    for (const v of this.values.values()) sum += v;
    return sum;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    if (this.values.size === 0 && this.type === 'counter') lines.push(`${this.name} 0`);
    for (const [k, v] of this.values) lines.push(`${this.name}${k ? `{${k}}` : ''} ${v}`);
    return lines.join('\n');
  }
}

class Histogram {
  private counts: number[];
  private sum = 0;
  private count = 0;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {
    this.counts = buckets.map(() => 0);
  }
  observe(value: number): void {
    this.sum += value;
    this.count++;
    this.buckets.forEach((b, i) => {
      if (value <= b) this.counts[i] = (this.counts[i] ?? 0) + 1;
    });
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    this.buckets.forEach((b, i) => {
      lines.push(`${this.name}_bucket{le="${b}"} ${this.counts[i]}`);
    });
    lines.push(
      `${this.name}_bucket{le="+Inf"} ${this.count}`,
      `${this.name}_sum ${this.sum}`,
      `${this.name}_count ${this.count}`,
    );
    return lines.join('\n');
  }
}

const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Every metric the server exposes; one instance per app, no module-level state. */
export function createMetrics() {
  const m = {
    requests: new Counter('hatang_http_requests_total', 'HTTP requests by route and status', 'counter'),
    pointsAccepted: new Counter(
      'hatang_points_accepted_total',
      'points accepted (stored or spooled)',
      'counter',
    ),
    pointsRejected: new Counter(
      'hatang_points_rejected_total',
      'points in validated batches refused with a 4xx/5xx (only batches within the size limits count)',
      'counter',
    ),
    requestsRejected: new Counter(
      'hatang_requests_rejected_total',
      'requests refused, by route and error code (a refused body is one, whatever it claimed)',
      'counter',
    ),
    pointsWritten: new Counter('hatang_points_written_total', 'points written to InfluxDB', 'counter'),
    pointsSpooled: new Counter('hatang_points_spooled_total', 'points appended to the spool', 'counter'),
    writeErrors: new Counter('hatang_influx_write_errors_total', 'failed InfluxDB writes', 'counter'),
    spoolFull: new Counter(
      'hatang_spool_full_total',
      'batches refused because the spool was full (its max_bytes, or its disk)',
      'counter',
    ),
    seriesRefused: new Counter(
      'hatang_series_refused_total',
      'new series refused by the per-site or per-agent hourly allowance, by scope',
      'counter',
    ),
    seriesKnown: new Counter('hatang_series_known', 'series the collector has seen', 'gauge'),
    spoolBytes: new Counter('hatang_spool_bytes', 'bytes waiting in the spool', 'gauge'),
    spoolDiskFull: new Counter(
      'hatang_spool_disk_full',
      "1 while the spool's disk is full (batches are refused with 503)",
      'gauge',
    ),
    replayStalled: new Counter(
      'hatang_replay_stalled',
      '1 while the spool replayer tries and makes no progress',
      'gauge',
    ),
    replayFailures: new Counter(
      'hatang_replay_failures_total',
      'spool replay rounds that failed (InfluxDB unreachable) and were retried after a pause',
      'counter',
    ),
    pointsRefused: new Counter(
      'hatang_points_refused_total',
      'spooled points InfluxDB refused as data (partial write, type conflict, too large), set aside in dead/',
      'counter',
    ),
    deadLetterBytes: new Counter('hatang_dead_letter_bytes', 'bytes in spool/dead/', 'gauge'),
    deadLetterPoints: new Counter('hatang_dead_letter_points', 'points in spool/dead/', 'gauge'),
    deadLetterDropped: new Counter(
      'hatang_dead_letter_dropped_points_total',
      'dead-letter points deleted to keep spool/dead/ within spool.dead_max_bytes (or not writable)',
      'counter',
    ),
    spoolMissing: new Counter(
      'hatang_spool_missing_points_total',
      'points of spool segments that vanished before replay (moved aside by hand)',
      'counter',
    ),
    spoolPoints: new Counter('hatang_spool_points', 'points waiting in the spool', 'gauge'),
    influxUp: new Counter('hatang_influx_up', '1 when the last InfluxDB write or ping succeeded', 'gauge'),
    writeLatency: new Histogram('hatang_influx_write_seconds', 'InfluxDB write latency', latencyBuckets),
    requestLatency: new Histogram('hatang_ingest_request_seconds', 'ingest request latency', latencyBuckets),
    render(): string {
      return `${Object.values(m)
        .filter((v): v is Counter | Histogram => v instanceof Counter || v instanceof Histogram)
        .map((v) => v.render())
        .join('\n')}\n`;
    },
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
