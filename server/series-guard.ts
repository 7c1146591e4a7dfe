import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { lookupMeasurement, type Point } from '../protocol/index.js';

/** A refill-by-the-hour allowance of new series. */
class Allowance {
  private tokens: number;
  private at: number;
  constructor(
    private readonly perHour: number,
    now: number,
  ) {
    this.tokens = perHour;
    this.at = now;
  }
  available(now: number): number {
    this.tokens = Math.min(this.perHour, this.tokens + ((now - this.at) * this.perHour) / 3_600_000);
    this.at = now;
    return this.tokens;
  }
  take(n: number): void {
    this.tokens -= n;
  }
  /** Seconds until `n` are available (at most an hour: a batch larger than the allowance waits that long). */
  secondsUntil(n: number): number {
    return Math.min(3600, Math.ceil(((n - this.tokens) * 3600) / this.perHour));
  }
}

export interface SeriesRefusal {
  scope: 'site' | 'agent';
  /** New series the batch would create. */
  wanted: number;
  limit: number;
  retryAfterSeconds: number;
}

export interface SeriesGuardOptions {
  perSitePerHour: number;
  perAgentPerHour: number;
  log: Logger;
  /** Known series beyond this are not remembered (they are still admitted and counted). */
  maxKnown?: number;
}

/**
 * Bounds how fast one site or one agent can create new series (a new hostname, target, interface):
 * InfluxDB's own limits (max-series-per-database, max-values-per-tag) would otherwise be what stops
 * the next legitimate machine, and its points would be refused after they were acknowledged. The
 * series already seen are kept in a file beside the spool, so a restart does not make every
 * existing series look new.
 */
export class SeriesGuard {
  private readonly known = new Set<string>();
  private readonly sites = new Map<string, Allowance>();
  private readonly agents = new Map<string, Allowance>();
  private appending: Promise<void> = Promise.resolve();
  private full = false;
  /** Series refused since start, for /metrics and server_health. */
  refused = 0;

  private constructor(
    private readonly file: string,
    private readonly o: SeriesGuardOptions,
  ) {}

  static async open(file: string, options: SeriesGuardOptions): Promise<SeriesGuard> {
    const guard = new SeriesGuard(file, options);
    await mkdir(dirname(file), { recursive: true });
    try {
      for (const line of (await readFile(file, 'utf8')).split('\n')) if (line) guard.known.add(line);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new Error(`known series: ${file}`, { cause: err });
    }
    return guard;
  }

  get size(): number {
    return this.known.size;
  }

  /**
   * Admits a batch of stamped points, or says which allowance it would overdraw. Admitted new
   * series are remembered at once, so a batch retried after a 503 does not pay twice.
   */
  admit(
    points: readonly Point[],
    siteId: string,
    agentId: string,
    now = Date.now(),
  ): SeriesRefusal | undefined {
    const fresh = new Set<string>();
    for (const p of points) {
      const key = seriesKey(p);
      if (!this.known.has(key)) fresh.add(key);
    }
    if (fresh.size === 0) return undefined;
    const site = this.allowance(this.sites, siteId, this.o.perSitePerHour, now);
    const agent = this.allowance(this.agents, agentId, this.o.perAgentPerHour, now);
    for (const [scope, allowance, limit] of [
      ['agent', agent, this.o.perAgentPerHour],
      ['site', site, this.o.perSitePerHour],
    ] as const) {
      if (allowance.available(now) < fresh.size) {
        this.refused += fresh.size;
        return { scope, wanted: fresh.size, limit, retryAfterSeconds: allowance.secondsUntil(fresh.size) };
      }
    }
    site.take(fresh.size);
    agent.take(fresh.size);
    this.remember(fresh);
    return undefined;
  }

  /** Waits for the known-series file to hold everything admitted so far. */
  flushed(): Promise<void> {
    return this.appending;
  }

  private allowance(map: Map<string, Allowance>, id: string, perHour: number, now: number): Allowance {
    let a = map.get(id);
    if (!a) {
      if (map.size >= 100_000) map.clear();
      a = new Allowance(perHour, now);
      map.set(id, a);
    }
    return a;
  }

  private remember(keys: Set<string>): void {
    const max = this.o.maxKnown ?? 5_000_000;
    const lines: string[] = [];
    for (const k of keys) {
      if (this.known.size >= max) {
        if (!this.full)
          this.o.log.warn({ known: this.known.size }, 'known series: limit reached, no longer remembered');
        this.full = true;
        break;
      }
      this.known.add(k);
      lines.push(k);
    }
    if (lines.length === 0) return;
    const text = `${lines.join('\n')}\n`;
    this.appending = this.appending
      .then(() => appendFile(this.file, text))
      .catch((err) => this.o.log.warn({ err, file: this.file }, 'known series: cannot append'));
  }
}

/**
 * A series' identity as InfluxDB sees it: measurement, identity tags, then every tag value in the
 * catalogue's order, an absent tag as an empty value (tag values are never empty, so nothing is
 * ambiguous). Tag values cannot hold the separator (the validator refuses control characters).
 * Built on every point of every batch: values only, no tag names.
 */
export function seriesKey(p: Point): string {
  const { tags } = p;
  let key = `${p.measurement}\u0001${tags.agent_id ?? ''}\u0001${tags.site_id ?? ''}`;
  const names = lookupMeasurement(p.measurement)?.tags;
  if (names) for (let i = 0; i < names.length; i++) key += `\u0001${tags[names[i] as string] ?? ''}`;
  else for (const t of Object.keys(tags).sort()) key += `\u0001${t}=${tags[t]}`;
  return key;
}
