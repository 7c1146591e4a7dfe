/**
 * bench/snapshot — the content of a 90-day compliance snapshot, with hourly roll-ups and with raw
 * queries, side by side.
 *
 *   node dist/bench/snapshot/run.js        (after `npm run build`; needs influxd from setup.sh)
 *   DAYS=14 node dist/bench/snapshot/run.js   (a shorter seed on a busy machine)
 *
 * Seeds a fresh influxd (straight to /write, large line-protocol batches: ingest refuses points older
 * than 7 days) with DAYS (90) days of ping for the demo registry's 166 endpoints at a 60 s cycle
 * (~21.5 M points at 90 days; each endpoint down ~0.5 % of the time in short outages, some of them
 * parent_down), plus MACHINES (2,000) machines' inventory and antivirus every 6 h over the last 30 days
 * and agent_health every hour over the last 2 days, against an asset register of those machines
 * (a few missing, a few extra). Then rolls up every closed hour (the server's catch-up at start) and
 * times the snapshot content for the whole window: roll-ups first, raw second, RUNS (3) times each.
 * Prints seconds, queries and the machine's load (`uptime`): a figure, not an assertion.
 *
 *   DATA=/var/tmp/hatang-snapshot-seed node dist/bench/snapshot/run.js
 *
 * keeps the seeded influxd in DATA (seed.json records what was seeded and when) and, run again, reuses
 * it instead of seeding for a quarter of an hour: the window is then the seed's, and its roll-ups are
 * dropped and made again (the code that makes them may have changed).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Asset } from '../../lib/assets/index.js';
import { loadRegistry } from '../../lib/endpoints/index.js';
import { Influxd } from '../../lib/services/influxd.js';
import { freeTcpPort } from '../../lib/services/ports.js';
import { projectRoot } from '../../lib/version.js';
import { staticAssets } from '../../server/assets.js';
import { staticRegistry } from '../../server/registry.js';
import { createRollups } from '../../server/rollups.js';
import { buildBundle } from '../../server/snapshot/bundle.js';
import { createSnapshotCollector, formatMachineGaps, formatRatio } from '../../server/snapshot/collect.js';
import { findChromium } from '../../server/snapshot/formats/pdf.js';
import { createEd25519Signer, generateEd25519KeyPem } from '../../server/snapshot/sign.js';
import type { SnapshotContent } from '../../server/snapshot/types.js';
import { aroundQueries, createStorage } from '../../server/storage/index.js';
import { fmt } from '../proc.js';

const DAYS = Number(process.env.DAYS ?? 90);
const CYCLE_S = 60;
const MACHINES = Number(process.env.MACHINES ?? 2_000);
const RUNS = Number(process.env.RUNS ?? 3);
/** Lines per /write: ~4 MB bodies, under influxd's 25 MB limit. */
const BATCH = Number(process.env.BATCH ?? 30_000);
const WRITERS = Number(process.env.WRITERS ?? 2);
const SITE = 'so-tttt';
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

const escTag = (v: string) => v.replace(/[ ,=\\]/g, (c) => `\\${c}`);
const load = () => execFileSync('uptime', { encoding: 'utf8' }).trim();

/** A deterministic, cheap pseudo-random in [0, 1) from two integers. */
const noise = (a: number, b: number) => {
  const x = Math.sin(a * 12.9898 + b * 78.233) * 43758.5453;
  return x - Math.floor(x);
};

function* pingLines(
  endpoints: { id: string; level: string; name: string; parent?: string | undefined }[],
  from: number,
  to: number,
): Generator<string> {
  const down = new Map<string, number>();
  const tags = endpoints.map(
    (e) =>
      `ping,source=poller-1,site_id=${SITE},agent_id=poller-1-a1,target_id=${escTag(e.id)},level=${e.level},name=${escTag(e.name)}`,
  );
  for (let t = from, k = 0; t < to; t += CYCLE_S * 1000, k++) {
    // First every endpoint's own state this cycle, then each line (a parent may come after its child).
    const ownDown = new Set<string>();
    endpoints.forEach((e, i) => {
      // An outage starts with probability 1/2,000 per cycle and lasts 1–19 cycles: ~0.5 % down.
      let left = down.get(e.id) ?? 0;
      if (left === 0 && noise(i, k) < 0.0005) left = 1 + Math.floor(noise(k, i) * 19);
      if (left > 0) {
        ownDown.add(e.id);
        down.set(e.id, left - 1);
      }
    });
    for (const [i, tag] of tags.entries()) {
      const e = endpoints[i];
      if (!e) continue;
      const parentDown = !ownDown.has(e.id) && e.parent !== undefined && ownDown.has(e.parent);
      if (!ownDown.has(e.id) && !parentDown) {
        const rtt = (8 + noise(i + 1, k) * 20).toFixed(2);
        yield `${tag} up=true,cause="",parent_id="",interval_s=60,sent=3i,received=3i,loss_percent=0,rtt_avg_ms=${rtt} ${t}`;
      } else {
        yield `${tag} up=false,cause="${parentDown ? 'parent_down' : 'down'}",parent_id="${parentDown ? e.parent : ''}",interval_s=60,sent=3i,received=0i,loss_percent=100 ${t}`;
      }
    }
  }
}

type Kind = 'rollups' | 'raw';
/** SKIP_RAW=1: only the roll-ups (the raw runs take a minute each). */
const kinds: readonly Kind[] = process.env.SKIP_RAW === '1' ? ['rollups'] : ['rollups', 'raw'];

const host = (i: number) => `PC-${String(i).padStart(4, '0')}`;

function* machineLines(now: number): Generator<string> {
  for (let i = 1; i <= MACHINES; i++) {
    const h = host(i);
    const tags = `hostname=${h},site_id=${SITE},agent_id=${h.toLowerCase()}-a1`;
    const state = i % 10 === 0 ? 'unprotected' : i % 37 === 0 ? 'unknown' : 'protected';
    const reason =
      state === 'protected' ? 'ok' : state === 'unknown' ? 'not_reported' : 'signatures_out_of_date';
    for (let t = now - 30 * DAY + (i % 360) * MIN; t < now; t += 6 * HOUR) {
      yield `antivirus,${tags},product=Windows\\ Defender state="${state}",reason="${reason}",host_state="${state}",source="defender",signature_age_days=${(noise(i, t) * 3).toFixed(2)} ${t}`;
      yield `inventory,${tags} manufacturer="Dell Inc.",model="OptiPlex 70${i % 10}0",serial="SN${i}",cpu_model="Intel Core i5-10500",cpu_cores=6i,mem_total_bytes=${(8 + (i % 2) * 8) * 1024 ** 3}i,disk_count=1i,disk_total_bytes=${512 * 1e9}i,os_distro="Microsoft Windows 10 Pro",os_release="10.0.19045",inventory_hash="h${i}" ${t}`;
    }
    for (let t = now - 2 * DAY + (i % 60) * MIN; t < now; t += HOUR) {
      yield `agent_health,${tags} queue_points=0i,queue_batches=0i,dropped_points=0i ${t}`;
    }
  }
}

async function seed(url: string, lines: Iterable<string>): Promise<number> {
  let total = 0;
  const inFlight = new Set<Promise<void>>();
  const send = async (body: string, n: number) => {
    // A busy influxd answers 500 "timeout" when a write outlasts its coordinator timeout; writing the
    // same points again is harmless (same series and times overwrite), so retry a few times.
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(`${url}/write?db=hatang&precision=ms`, { method: 'POST', body });
      if (res.status === 204) break;
      const text = await res.text();
      if (res.status < 500 || attempt >= 5)
        throw new Error(`seed: influxd /write answered ${res.status}: ${text}`);
      await new Promise((resolve) => setTimeout(resolve, 2_000 * attempt));
    }
    total += n;
  };
  let batch: string[] = [];
  const flush = async () => {
    const p = send(batch.join('\n'), batch.length).finally(() => inFlight.delete(p));
    inFlight.add(p);
    batch = [];
    if (inFlight.size >= WRITERS) await Promise.race(inFlight);
  };
  for (const line of lines) {
    batch.push(line);
    if (batch.length >= BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  await Promise.all(inFlight);
  return total;
}

async function timed<T>(f: () => Promise<T>): Promise<{ s: number; value: T }> {
  const start = performance.now();
  const value = await f();
  return { s: (performance.now() - start) / 1000, value };
}

interface Seeded {
  now: number;
  days: number;
  machines: number;
}

async function main() {
  const keep = process.env.DATA;
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'hatang-bench-snapshot-'));
  if (keep) mkdirSync(keep, { recursive: true });
  const seedFile = join(dir, 'seed.json');
  const influx = new Influxd({
    dir: join(dir, 'influx'),
    httpPort: await freeTcpPort(),
    rpcPort: await freeTcpPort(),
  });
  await influx.start();
  try {
    await fetch(`${influx.url}/query?q=${encodeURIComponent('CREATE DATABASE hatang')}`, { method: 'POST' });
    const registry = loadRegistry(join(projectRoot(), 'config', 'endpoints.yaml'));
    const reused: Seeded | undefined = existsSync(seedFile)
      ? JSON.parse(readFileSync(seedFile, 'utf8'))
      : undefined;
    if (reused && (reused.days !== DAYS || reused.machines !== MACHINES))
      throw new Error(
        `bench: ${seedFile} holds ${reused.days} d and ${reused.machines} machines; remove ${dir} or set DAYS/MACHINES to match`,
      );
    const now = reused?.now ?? Math.floor(Date.now() / MIN) * MIN;
    const from = now - DAYS * DAY;
    if (reused) {
      console.log(
        `reusing the seed in ${dir} (${DAYS} d up to ${new Date(now).toISOString()}); dropping its roll-ups`,
      );
      await fetch(`${influx.url}/query?db=hatang&q=${encodeURIComponent('DROP MEASUREMENT "ping_hourly"')}`, {
        method: 'POST',
      });
    } else {
      console.log(`load before seeding: ${load()}`);
      const seeded = await timed(async () => {
        const pings = await seed(influx.url, pingLines(registry.endpoints, from, now));
        const machines = await seed(influx.url, machineLines(now));
        return { pings, machines };
      });
      console.log(
        `seeded ${fmt(seeded.value.pings)} ping points (${registry.endpoints.length} endpoints, ${DAYS} d at ${CYCLE_S} s) and ${fmt(seeded.value.machines)} machine points (${fmt(MACHINES)} machines) in ${fmt(seeded.s, 1)} s`,
      );
      if (keep)
        writeFileSync(
          seedFile,
          `${JSON.stringify({ now, days: DAYS, machines: MACHINES } satisfies Seeded)}\n`,
        );
    }

    const storage = createStorage(
      { kind: 'influxdb-v1', url: influx.url, database: 'hatang', create_database: true, timeout: 600_000 },
      20_000_000,
    );
    const log = pino({ level: 'silent' });
    const rollups = createRollups({ storage, write: (p) => storage.write(p), log, maxPointAgeMs: 7 * DAY });
    // Every closed hour of the seed, as the server's catch-up at start does (the seed has no marks).
    const rolled = await timed(() => rollups.rollUp(from, now, { now }));
    const marks = await storage.query(
      `SELECT count("rolled_at_ms") FROM "ping_hourly" WHERE "target_id" = ''`,
    );
    console.log(
      `rolled up ${fmt(rolled.value)} closed hours (${fmt(Number(marks[0]?.values[0]?.[1] ?? 0))} hour marks stored) in ${fmt(rolled.s, 1)} s`,
    );
    const recheck = await timed(() => rollups.recheck(now));
    console.log(
      `one recheck pass (every closed hour within 7 d max_point_age): ${fmt(recheck.value)} hours in ${fmt(recheck.s, 1)} s`,
    );

    // The register: every machine but the last 30, and 20 that never reported.
    const assets: Asset[] = [];
    for (let i = 1; i <= MACHINES - 30; i++)
      assets.push({ site: SITE, agency: `Đơn vị ${1 + (i % 40)}`, hostname: host(i) });
    for (let i = 1; i <= 20; i++) assets.push({ site: SITE, agency: 'Đơn vị mới', hostname: `NEW-${i}` });
    // Where the time goes: every request timed (a batch of statements counts as one request).
    const timings: [number, string][] = [];
    const time = async <T>(what: string, f: () => Promise<T>) => {
      const start = performance.now();
      try {
        return await f();
      } finally {
        timings.push([performance.now() - start, what]);
      }
    };
    const timedStorage = aroundQueries(storage, (statements, run) =>
      time(
        statements.length === 1
          ? (statements[0] as string)
          : `${statements.length} statements: ${statements[0] ?? ''}`,
        run,
      ),
    );
    const collect = (kind: Kind) =>
      createSnapshotCollector({
        storage: timedStorage,
        registry: staticRegistry(registry),
        assets: staticAssets(assets),
        lookbackMs: 30 * DAY,
        version: 'bench',
        rollups: kind !== 'raw',
      });
    const req = { from, to: now, asOf: now };
    const results: Record<Kind, number[]> = { rollups: [], raw: [] };
    let contents: Partial<Record<Kind, SnapshotContent>> = {};
    for (let run = 0; run < RUNS; run++) {
      for (const kind of kinds) {
        const r = await timed(() => collect(kind)(req));
        results[kind].push(r.s);
        contents = { ...contents, [kind]: r.value };
      }
    }
    const slowest = timings.sort((a, b) => b[0] - a[0]).slice(0, Number(process.env.SLOWEST ?? 10));
    console.log(
      `\nslowest requests of all runs (${fmt(timings.length)} requests, ${fmt(timings.reduce((n, [ms]) => n + ms, 0) / 1000, 1)} s in all):`,
    );
    for (const [ms, q] of slowest) console.log(`  ${fmt(ms)} ms  ${q.slice(0, 160)}`);
    const show = (xs: number[]) => xs.map((x) => fmt(x, 2)).join(' / ');
    console.log(`\n90-day snapshot content (${DAYS} d seeded), ${RUNS} runs each:`);
    console.log(`  with roll-ups: ${show(results.rollups)} s  (${contents.rollups?.queries.length} queries)`);
    if (contents.raw) {
      console.log(`  raw queries:   ${show(results.raw)} s  (${contents.raw.queries.length} queries)`);
      const table = (k: Kind, name: string) => contents[k]?.tables.find((t) => t.name === name)?.rows;
      const same = (name: string) =>
        JSON.stringify(table('rollups', name)) === JSON.stringify(table('raw', name));
      console.log(`  same endpoint availability both ways: ${same('endpoint-availability')}`);
      console.log(
        `  same outages both ways: ${same('outages')} (${fmt(table('raw', 'outages')?.length ?? 0)} listed)`,
      );
    }
    const c = contents.rollups;
    if (c) {
      for (const r of c.summary.ratios) console.log(`  ${r.id}: ${formatRatio(r)}`);
      console.log(`  machines: ${formatMachineGaps(c.denominators)}`);
    }
    // The whole snapshot as `hatang snapshot create` makes it: content (roll-ups), then the bundle —
    // CSV, XLSX, HTML, signature, zip — with and without the PDF (headless Chromium).
    const signer = createEd25519Signer(generateEd25519KeyPem(), new Date(now).toISOString());
    const chromium = findChromium();
    for (const pdf of chromium ? [false, true] : [false]) {
      const made = await timed(async () => {
        const content = await collect('rollups')(req);
        const parts = await timed(() =>
          buildBundle(content, signer, { lang: 'vi', chromium: pdf ? chromium : null }),
        );
        return { parts, content };
      });
      console.log(
        `whole snapshot ${pdf ? 'with' : 'without'} the PDF: ${fmt(made.s, 2)} s (bundle ${fmt(made.value.parts.s, 2)} s, zip ${fmt(made.value.parts.value.zip.length / 1e6, 1)} MB)`,
      );
    }
    if (!chromium) console.log('  (no Chromium here: the PDF was not timed)');
    console.log(`load after: ${load()}`);
  } finally {
    await influx.stop();
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
