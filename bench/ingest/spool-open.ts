/**
 * bench/ingest/spool-open — how long `hatang server` takes to open a large spool left by an earlier
 * run, with the segments' `.idx` sidecars and without them (as before issue 9, reading every segment).
 *
 *   node dist/bench/ingest/spool-open.js [segments=32]    (16 MiB each: 128 make 2 GiB)
 */
import { mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Point } from '../../protocol/index.js';
import { Spool } from '../../server/spool.js';
import { fmt } from '../proc.js';

async function main() {
  const segments = Number(process.argv[2] ?? 32);
  const dir = mkdtempSync(join(tmpdir(), 'hatang-bench-spool-'));
  try {
    const points: Point[] = Array.from({ length: 50 }, (_, i) => ({
      measurement: 'host',
      tags: { hostname: `pc-${i}`, agent_id: `pc-${i}-a1b2c3`, site_id: 'so-tttt' },
      fields: { cpu_load_percent: 1.5, uptime_s: i, mem_used_bytes: 4e9 + i },
      time: 1.7e12 + i,
    }));
    const line = `${points.length} ${JSON.stringify(points)}\n`;
    const records = Math.floor((16 * 1024 ** 2) / Buffer.byteLength(line));
    const segment = Buffer.from(line.repeat(records));
    for (let i = 1; i <= segments; i++) {
      const file = join(dir, `${String(i).padStart(12, '0')}.seg`);
      writeFileSync(file, segment);
      writeFileSync(
        file.replace(/\.seg$/, '.idx'),
        JSON.stringify({ bytes: segment.length, points: records * 50 }),
      );
    }
    const opts = {
      maxBytes: 8 * 1024 ** 3,
      segmentBytes: 16 * 1024 ** 2,
      deadMaxBytes: 1e9,
      log: pino({ level: 'silent' }),
    };
    const size = `${fmt((segments * segment.length) / 2 ** 20)} MiB in ${segments} segments`;
    let t0 = performance.now();
    const indexed = await Spool.open(dir, opts);
    console.log(
      `${size}, ${fmt(indexed.points)} points: opened in ${fmt(performance.now() - t0)} ms with the index`,
    );
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.idx'))) unlinkSync(join(dir, f));
    t0 = performance.now();
    const read = await Spool.open(dir, opts);
    console.log(
      `without the index (reading every segment): ${fmt(performance.now() - t0)} ms, ${fmt(read.points)} points`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
