import type { Logger } from 'pino';
import { repeatEvery } from '../../lib/sleep.js';
import { dcCriterion, dcReadiness, type Point } from '../../protocol/index.js';
import type { Storage } from '../storage/index.js';
import { levels } from './criteria.js';
import type { DatacenterConfig } from './declaration.js';
import { evaluateSite, type Scorecard, statusUpTo } from './evaluate.js';
import { queryEvidence } from './evidence.js';

export interface ReadinessOptions {
  declaration: DatacenterConfig;
  storage: Storage;
  /** A live reading older than this counts as missing. */
  staleAfterMs: number;
  log: Logger;
}

/** The readiness engine: queries evidence per site and runs the pure evaluator. */
export interface Readiness {
  readonly sites: readonly string[];
  /** Scorecards of every site (or of `site`), evaluated now. */
  evaluate(o?: { site?: string; now?: number; signal?: AbortSignal }): Promise<Scorecard[]>;
}

export function createReadiness(o: ReadinessOptions): Readiness {
  return {
    sites: o.declaration.sites.map((s) => s.id),
    async evaluate({ site, now = Date.now(), signal } = {}) {
      const chosen = o.declaration.sites.filter((s) => site === undefined || s.id === site);
      return Promise.all(
        chosen.map(async (s) => {
          const rows = await queryEvidence(o.storage, {
            site: s,
            now,
            ...(signal ? { signal } : {}),
          });
          return evaluateSite(s, rows, { now, staleAfterMs: o.staleAfterMs });
        }),
      );
    },
  };
}

/** The points one scorecard writes: dc_readiness per subsystem and overall, dc_criterion per criterion. */
export function scorecardPoints(card: Scorecard, time: number): Point[] {
  const ups = card.criteria.find((c) => c.id === 'E1')?.figures;
  const points: Point[] = card.subsystems.map((s) => ({
    measurement: dcReadiness.name,
    tags: { dc_site: card.site, subsystem: s.subsystem },
    fields: {
      ...(s.subsystem === 'electrical' && ups ? ups : {}),
      rating: s.rating,
      target_rating: s.target_rating,
      passed: s.passed,
      failed: s.failed,
      unknown: s.unknown,
      total: s.total,
      blocking: s.blocking.join(','),
    },
    time,
  }));
  const sum = (k: 'passed' | 'failed' | 'unknown' | 'total') => card.subsystems.reduce((n, s) => n + s[k], 0);
  points.push({
    measurement: dcReadiness.name,
    tags: { dc_site: card.site, subsystem: 'overall' },
    fields: {
      rating: card.overall_rating,
      target_rating: card.target_rating,
      passed: sum('passed'),
      failed: sum('failed'),
      unknown: sum('unknown'),
      total: sum('total'),
      blocking: card.gaps.map((g) => g.id).join(','),
    },
    time,
  });
  for (const c of card.criteria) {
    const firstBad = c.levels.findIndex((l) => l.status === 'fail' || l.status === 'unknown');
    const bad = firstBad >= 0 ? c.levels[firstBad] : undefined;
    let level = 0;
    for (const l of levels) {
      const s = c.levels[l - 1]?.status;
      if (s !== 'pass' && s !== 'na') break;
      level = l;
    }
    points.push({
      measurement: dcCriterion.name,
      tags: { dc_site: card.site, subsystem: c.subsystem, criterion: c.id },
      fields: {
        status: statusUpTo(c, card.target_rating),
        status_r1: c.levels[0]?.status ?? 'unknown',
        status_r2: c.levels[1]?.status ?? 'unknown',
        status_r3: c.levels[2]?.status ?? 'unknown',
        status_r4: c.levels[3]?.status ?? 'unknown',
        level,
        requirement: c.requirement.map((r, i) => `R${i + 1} ${r ?? '–'}`).join(' | '),
        evidence: c.evidence
          .map(
            (e) =>
              `${e.kind === 'live' ? 'live' : 'declared'}: ${e.text}${e.document ? ` [${e.document}]` : ''}`,
          )
          .join('; ')
          .slice(0, 4000),
        reason: bad?.reason ?? '',
        fix: bad?.fix ?? '',
        contradiction: c.contradiction ?? '',
        source: c.sources.join(','),
        unverified: c.unverified,
        decided_by: c.decided_by,
      } satisfies Record<keyof typeof dcCriterion.fields, unknown>,
      time,
    });
  }
  return points;
}

/** Evaluates every site on a timer and writes the points through `write`; errors are logged, never thrown. */
export function startReadinessSchedule(
  readiness: Readiness,
  o: { intervalMs: number; write: (points: Point[]) => Promise<void>; log: Logger },
): { stop(): void; runOnce(): Promise<void> } {
  const runOnce = async () => {
    const now = Date.now();
    try {
      const cards = await readiness.evaluate({ now });
      await o.write(cards.flatMap((c) => scorecardPoints(c, now)));
      o.log.debug({ sites: cards.map((c) => `${c.site}=${c.overall_rating}`) }, 'readiness evaluated');
    } catch (err) {
      o.log.warn({ err }, 'readiness not evaluated');
    }
  };
  const { stop } = repeatEvery(runOnce, { firstDelayMs: 5_000, intervalMs: o.intervalMs });
  return { runOnce, stop };
}
