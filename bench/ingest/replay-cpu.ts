/**
 * bench/ingest/replay-cpu — the server's CPU per replayed point, the figure a loaded machine cannot
 * blur (CPU-seconds, not wall time). Fills a spool with POINTS host points (500-point records, as
 * spooled live batches) and replays it into a real influxd with the server's own pipeline, measuring
 * this process's CPU while it drains.
 *
 *   node dist/bench/ingest/replay-cpu.js [tree]   (tree: another build's root to compare, e.g. an older commit's)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { Influxd } from '../../lib/services/influxd.js';
import { freeTcpPort } from '../../lib/services/ports.js';
import { projectRoot } from '../../lib/version.js';
import type { Point } from '../../protocol/index.js';

const POINTS = Number(process.env.POINTS ?? 300_000);
const RECORD = 500;

async function main() {
  const tree = resolve(process.argv[2] ?? projectRoot());
  const { Spool } = (await import(
    join(tree, 'dist/server/spool.js')
  )) as typeof import('../../server/spool.js');
  const { WritePipeline } = (await import(
    join(tree, 'dist/server/pipeline.js')
  )) as typeof import('../../server/pipeline.js');
  const { createStorage } = (await import(
    join(tree, 'dist/server/storage/index.js')
  )) as typeof import('../../server/storage/index.js');
  const { createMetrics } = (await import(
    join(tree, 'dist/server/metrics.js')
  )) as typeof import('../../server/metrics.js');

  const dir = mkdtempSync(join(tmpdir(), 'hatang-bench-replay-'));
  const influxd = new Influxd({
    dir: join(dir, 'influxdb'),
    httpPort: await freeTcpPort(),
    rpcPort: await freeTcpPort(),
  });
  await influxd.start();
  try {
    const log = pino({ level: 'warn' });
    const spool = await Spool.open(join(dir, 'spool'), {
      maxBytes: 4 * 1024 ** 3,
      segmentBytes: 16 * 1024 ** 2,
      deadMaxBytes: 1024 ** 2,
      log,
    });
    const base = Date.now() - 3_600_000;
    for (let i = 0; i < POINTS; i += RECORD) {
      const points: Point[] = Array.from({ length: RECORD }, (_, j) => {
        const k = i + j;
        return {
          measurement: 'host',
          tags: { hostname: `pc-${k % 20_000}`, agent_id: `pc-${k % 20_000}-a1b2c3`, site_id: 'so-tttt' },
          fields: {
            cpu_load_percent: ((k * 7) % 100) + 0.5,
            load1: (k % 13) / 4,
            mem_used_percent: ((k * 3) % 100) + 0.25,
            mem_total_bytes: 8_589_934_592,
            mem_used_bytes: 4_000_000_000 + k,
            uptime_s: 86_400 + k,
          },
          time: base + k,
        };
      });
      await spool.append(points);
    }
    const spoolBytes = spool.bytes;
    const storage = createStorage(
      { kind: 'influxdb-v1', url: influxd.url, database: 'hatang', timeout: 30_000, create_database: true },
      8 * 1024 ** 2,
      log,
    );
    await storage.prepare();
    const pipeline = new WritePipeline({
      storage,
      spool,
      metrics: createMetrics(),
      log,
      batchMaxPoints: 5000,
      maxBodyBytes: 8 * 1024 ** 2,
      lingerMs: 1,
      concurrency: 2,
      replayConcurrency: 4,
      ackTimeoutMs: 1000,
    });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    pipeline.start();
    while (!spool.isEmpty || pipeline.replaying) await new Promise((r) => setTimeout(r, 20));
    const cpu = process.cpuUsage(cpu0);
    const secs = (performance.now() - t0) / 1000;
    const cpuS = (cpu.user + cpu.system) / 1e6;
    const stored = await influxd.query('SELECT count(uptime_s) FROM host', 'hatang');
    console.log(
      `${tree}: ${POINTS} points (${(spoolBytes / 2 ** 20).toFixed(1)} MiB spooled) replayed in ${secs.toFixed(1)} s; ` +
        `replayer CPU ${cpuS.toFixed(2)} s = ${((cpuS / POINTS) * 1e6).toFixed(2)} µs a point; stored ${stored[0]?.values[0]?.[1]}`,
    );
  } finally {
    await influxd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
