import {
  crossEntryProblems,
  type Endpoint,
  groupingTagsOf,
  loadRegistry,
  slaTargetOf,
  twoTierLevels,
} from '../../../lib/endpoints/index.js';
import type { Registry } from '../../../lib/endpoints/types.js';
import { sleep } from '../../../lib/sleep.js';
import { parseDuration } from '../../../lib/units.js';
import { ping } from '../../../protocol/index.js';
import { type CollectedPoint, defineCollector } from '../../collector.js';
import { type PingConfig, pingConfig } from './config.js';
import { chooseEngine, type PingEngine, type ProbeOptions, type ProbeOutcome } from './engine.js';
import { type Attribution, attributeOutages, unknownAncestors } from './outage.js';
import { inShard } from './shard.js';
import { summarize } from './stats.js';

export function probeOptions(cfg: {
  count: number;
  period: number;
  packet_interval: number;
  packet_timeout: number;
}): ProbeOptions {
  return {
    count: cfg.count,
    periodMs: cfg.period,
    packetIntervalMs: cfg.packet_interval,
    timeoutMs: cfg.packet_timeout,
  };
}

/**
 * Probes addresses in chunks of `chunkSize`, chunk k starting k·spread/chunks after the first, so
 * thousands of targets become a steady trickle rather than one burst (and one fping's argument and
 * memory stay bounded).
 */
export async function probeChunked(
  engine: PingEngine,
  addresses: readonly string[],
  options: ProbeOptions,
  chunking: { chunkSize: number; spreadMs: number },
  signal: AbortSignal,
): Promise<Map<string, ProbeOutcome>> {
  const unique = [...new Set(addresses)];
  const chunks: string[][] = [];
  for (let i = 0; i < unique.length; i += chunking.chunkSize)
    chunks.push(unique.slice(i, i + chunking.chunkSize));
  const results = new Map<string, ProbeOutcome>();
  const start = performance.now();
  for (const [k, chunk] of chunks.entries()) {
    const due = start + (k * chunking.spreadMs) / chunks.length;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait, signal);
    if (signal.aborted) throw new Error('ping: aborted', { cause: signal.reason });
    for (const [address, outcome] of await engine.probe(chunk, options, signal))
      results.set(address, outcome);
  }
  return results;
}

/** Fields a point carries besides the probe's outcome: the cycle interval and the registry's coordinates. */
export interface PingPointExtras {
  /** The collector's cycle interval, s: what availability counts expected cycles with. */
  interval_s?: number | undefined;
  lat?: number | undefined;
  lon?: number | undefined;
  /** The availability % the endpoint's level is held to (registry `sla_targets`, or the default). */
  sla_target_percent?: number | undefined;
}

/**
 * Builds the `ping` point of one target (shared with the connectivity collector). Tags left out or
 * empty are not sent (InfluxDB drops empty tags).
 */
export function pingPoint(
  tags: { source: string; target_id: string } & Record<string, string | undefined>,
  address: string,
  outcome: ProbeOutcome,
  attribution: Attribution | undefined,
  extras: PingPointExtras = {},
): CollectedPoint {
  const stats = summarize(outcome.sent, outcome.rttsMs, {
    received: outcome.received,
    reported: outcome.reported,
  });
  const cleanTags: Record<string, string> = {};
  for (const [key, value] of Object.entries(tags)) if (value) cleanTags[key] = value;
  const fallback: Attribution = stats.up ? { cause: '', parent_id: '' } : { cause: 'down', parent_id: '' };
  const { cause, parent_id } = attribution ?? fallback;
  const more: Record<string, number> = {};
  for (const [key, value] of Object.entries(extras)) if (value !== undefined) more[key] = value;
  return {
    measurement: ping.name,
    tags: cleanTags,
    fields: { ...stats, cause, parent_id, address, error: outcome.error ?? '', ...more },
  };
}

/** The tags of an endpoint's ping points: identity, name, level, and its grouping tags. */
export function endpointTags(source: string, e: Endpoint) {
  return {
    source,
    target_id: e.id,
    name: e.name,
    level: e.level,
    district: e.district,
    ...groupingTagsOf(e),
  };
}

function targetsOf(cfg: PingConfig): { endpoints: Endpoint[]; registry: Registry | undefined } {
  const registry = cfg.endpoints_file ? loadRegistry(cfg.endpoints_file) : undefined;
  const fromFile = registry?.endpoints ?? [];
  const all = [...fromFile, ...(cfg.targets ?? [])];
  if (registry && cfg.targets?.length) {
    const ref = (i: number) => (i < fromFile.length ? `endpoints[${i}]` : `targets[${i - fromFile.length}]`);
    // Inline targets join the file's levels: a two-tier registry's targets have no district.
    const problems = crossEntryProblems(all, { ref, levels: registry.levels ?? twoTierLevels });
    if (problems.length > 0) {
      const first = problems[0]!;
      const at = [ref(first.index), ...first.path.map(String)].join('.');
      throw new Error(`ping: inline targets clash with ${cfg.endpoints_file}: ${at} ${first.message}`);
    }
  }
  return { endpoints: all, registry };
}

/**
 * The poller's ICMP sweep over the endpoint registry: several echoes per target, loss, latency,
 * jitter, and outage attribution along the parent tree. See README.md for the measurement.
 */
const defaultInterval = '60s';

/**
 * The cycle interval of this collector instance, ms. The agent adds `interval` to every collector's
 * entry (CollectorEntry); each point carries it as interval_s, which is how availability knows how
 * many cycles a window should hold.
 */
function intervalOf(cfg: PingConfig): number {
  const interval = (cfg as PingConfig & { interval?: unknown }).interval;
  return typeof interval === 'number' && interval > 0 ? interval : parseDuration(defaultInterval);
}

export const pingCollector = defineCollector({
  name: 'ping',
  defaultInterval,
  defaultTimeout: '50s',
  config: pingConfig,
  async collect(cfg, ctx) {
    const { endpoints, registry } = targetsOf(cfg);
    const mine = endpoints.filter((e) => inShard(e.id, cfg.shard));
    if (mine.length === 0) return [];
    const engine = chooseEngine(cfg);
    const options = probeOptions(cfg);
    const chunking = { chunkSize: cfg.chunk_size, spreadMs: cfg.spread };
    const started = performance.now();
    let results: Map<string, ProbeOutcome>;
    try {
      results = await probeChunked(
        engine,
        mine.map((e) => e.address),
        options,
        chunking,
        ctx.signal,
      );
    } catch (cause) {
      throw new Error(`ping: sweep of ${mine.length} targets with ${engine.name}`, { cause });
    }
    const byId = new Map(endpoints.map((e) => [e.id, e]));
    const upOf = new Map<string, boolean>();
    for (const e of mine) upOf.set(e.id, (results.get(e.address)?.received ?? 0) > 0);

    let attribution: Map<string, Attribution> | undefined;
    if (cfg.outage_attribution === 'parents') {
      const down = mine.filter((e) => !upOf.get(e.id)).map((e) => e.id);
      // Parents outside this shard are probed too (no points for them: their own shard reports them).
      const extra = unknownAncestors(endpoints, down, (id) => upOf.has(id));
      if (extra.length > 0) {
        const addresses = extra.map((id) => byId.get(id)!.address);
        try {
          const more = await probeChunked(
            engine,
            addresses,
            options,
            { ...chunking, spreadMs: 0 },
            ctx.signal,
          );
          for (const id of extra) upOf.set(id, (more.get(byId.get(id)!.address)?.received ?? 0) > 0);
        } catch (cause) {
          throw new Error(`ping: probing ${extra.length} parents of down targets`, { cause });
        }
      }
      attribution = attributeOutages(endpoints, (id) => upOf.get(id));
    }

    const points = mine.map((e) =>
      pingPoint(
        endpointTags(ctx.hostname, e),
        e.address,
        results.get(e.address) ?? {
          sent: cfg.count,
          received: 0,
          rttsMs: [],
          error: 'no result from the engine',
        },
        attribution?.get(e.id),
        {
          interval_s: intervalOf(cfg) / 1000,
          lat: e.lat,
          lon: e.lon,
          sla_target_percent: slaTargetOf(registry, e.level),
        },
      ),
    );
    ctx.log.debug(
      {
        collector: 'ping',
        engine: engine.name,
        targets: mine.length,
        up: points.filter((p) => p.fields.up === true).length,
        ms: Math.round(performance.now() - started),
      },
      'ping sweep done',
    );
    return points;
  },
});
