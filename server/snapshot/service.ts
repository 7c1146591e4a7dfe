import { dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { repeatEvery } from '../../lib/sleep.js';
import type { ServerConfig } from '../config.js';
import { createWorkGate } from '../limits.js';
import type { AuditAction, AuditLog } from './audit-log.js';
import type { SnapshotKeys } from './keys.js';
import { previousMonth, vietnamIso } from './period.js';
import type { SnapshotStore, StoredSnapshot } from './store.js';
import type {
  CollectSnapshot,
  Manifest,
  PublicKeyRecord,
  SnapshotContent,
  SnapshotEntry,
  SnapshotSigner,
  VerifyResult,
} from './types.js';

/** `buildBundle` of bundle.ts. */
export type BuildBundle = (
  content: SnapshotContent,
  signer: SnapshotSigner,
  o: { lang: 'vi' | 'en'; createdAt?: number; chromium?: string | null },
) => Promise<{ manifest: Manifest; zip: Buffer }>;
/** `verifyBundle` of verify.ts. */
export type VerifyBundle = (zip: Buffer, o?: { trustedKeys?: PublicKeyRecord[] }) => VerifyResult;

/** Who does something, for the audit log. */
export interface Actor {
  subject: string;
  role: string | null;
  /** Client address, or 'local'. */
  source: string;
  via: 'web' | 'api' | 'cli' | 'schedule';
}

/** A snapshot request as an auditor writes it: times in ms, an optional scope and language. */
export interface CreateRequest {
  from: number;
  to: number;
  sites?: string[];
  lang?: 'vi' | 'en';
}

/** A request that cannot be made (bad window, unknown site): the message says what to change. */
export class SnapshotRequestError extends Error {}

/**
 * Makes, keeps and hands out snapshots, recording each auditor action in the audit log before
 * answering: collect → build and sign the bundle → keep it → audit. One snapshot is made at a time
 * (a few more wait; past that, `busy`), so a burst of requests never runs many year-long queries.
 *
 * @example
 * const service = createSnapshotService({ collect, build: buildBundle, verify: verifyBundle, keys, store, audit, ... });
 * const { entry } = await service.create({ from, to }, { subject: 'kiem-toan-1', role: 'auditor', source: '10.0.0.5', via: 'api' });
 */
export interface SnapshotService {
  create(
    req: CreateRequest,
    actor: Actor,
    o?: { schedule?: string; signal?: AbortSignal },
  ): Promise<{ entry: SnapshotEntry; created: boolean }>;
  list(): SnapshotEntry[];
  get(id: string): StoredSnapshot | undefined;
  /** The bundle's bytes (audited as a download), or undefined when no such snapshot is kept. */
  download(id: string, actor: Actor): Promise<{ entry: SnapshotEntry; zip: Buffer } | undefined>;
  /** Checks a bundle against this server's public keys (current and retired); audited. */
  verify(zip: Buffer, actor: Actor): Promise<VerifyResult>;
  publicKeys(): PublicKeyRecord[];
  /** Records an action the service does not perform itself (sign-in, sign-out, export). */
  audit(actor: Actor, action: AuditAction, o?: { snapshotId?: string; detail?: string }): Promise<void>;
  readonly auditLog: AuditLog;
  /** Site ids a scope may name. */
  readonly sites: readonly string[];
}

export interface SnapshotServiceOptions {
  collect: CollectSnapshot;
  build: BuildBundle;
  verify: VerifyBundle;
  keys: SnapshotKeys;
  store: SnapshotStore;
  audit: AuditLog;
  /** Site ids a scope may name (enrollment sites, data-center sites, registry groups). */
  sites: readonly string[];
  lang: 'vi' | 'en';
  maxWindowMs: number;
  /** Passed to buildBundle: a path, null for no PDF, undefined to look for one. */
  chromium?: string | null;
  log: Logger;
  now?: () => number;
}

export function createSnapshotService(o: SnapshotServiceOptions): SnapshotService {
  const now = o.now ?? Date.now;
  // One snapshot at a time; a few wait their turn, more are told to retry.
  const gate = createWorkGate({ concurrency: 1, queue: 4, retryAfterSeconds: 30 });
  const audit: SnapshotService['audit'] = async (actor, action, extra = {}) => {
    await o.audit.append({
      subject: actor.subject,
      role: actor.role,
      action,
      source: actor.source,
      ...(extra.snapshotId ? { snapshot_id: extra.snapshotId } : {}),
      detail: [actor.via, extra.detail].filter(Boolean).join(': '),
    });
  };

  const check = (req: CreateRequest) => {
    const problems: string[] = [];
    if (!Number.isFinite(req.from) || !Number.isFinite(req.to)) problems.push('from and to must be times');
    else {
      if (req.from >= req.to)
        problems.push(`from (${vietnamIso(req.from)}) must be before to (${vietnamIso(req.to)})`);
      if (req.to - req.from > o.maxWindowMs) {
        problems.push(
          `the window is ${Math.ceil((req.to - req.from) / 86_400_000)} days; at most ${Math.floor(o.maxWindowMs / 86_400_000)} (snapshots.max_window)`,
        );
      }
      if (req.from > now()) problems.push(`from (${vietnamIso(req.from)}) is in the future`);
    }
    const unknown = (req.sites ?? []).filter((s) => !o.sites.includes(s));
    if (unknown.length > 0) {
      problems.push(
        `unknown site ${unknown.map((s) => `"${s}"`).join(', ')} (known: ${o.sites.join(', ') || 'none'})`,
      );
    }
    if (problems.length > 0) throw new SnapshotRequestError(`snapshot request: ${problems.join('; ')}`);
  };

  return {
    auditLog: o.audit,
    sites: o.sites,
    audit,
    async create(req, actor, extra = {}) {
      check(req);
      return gate.run(async () => {
        const sites = [...new Set(req.sites ?? [])].sort();
        const content = await o.collect(
          { from: req.from, to: req.to, sites, requestedBy: actor.subject, lang: req.lang ?? o.lang },
          extra.signal,
        );
        const { manifest, zip } = await o.build(content, o.keys.signer(), {
          lang: req.lang ?? o.lang,
          createdAt: now(),
          ...(o.chromium !== undefined ? { chromium: o.chromium } : {}),
        });
        const kept = o.store.put(manifest, zip, extra.schedule ? { schedule: extra.schedule } : {});
        await audit(actor, actor.via === 'schedule' ? 'schedule_run' : 'create', {
          snapshotId: kept.entry.id,
          detail: `${vietnamIso(req.from)}..${vietnamIso(req.to)}${sites.length ? ` sites=${sites.join(',')}` : ''}${kept.created ? '' : ' (same content already kept)'}`,
        });
        o.log.info(
          { snapshot: kept.entry.id, by: actor.subject, bytes: zip.length, created: kept.created },
          'snapshot kept',
        );
        return kept;
      });
    },
    list: () => o.store.list(),
    get: (id) => o.store.get(id),
    async download(id, actor) {
      const stored = o.store.get(id);
      const zip = stored && o.store.read(id);
      if (!stored || !zip) return undefined;
      await audit(actor, 'download', { snapshotId: id });
      return { entry: stored.entry, zip };
    },
    async verify(zip, actor) {
      const trustedKeys = o.keys.list();
      // With no trusted keys the bundle's own key would be used: a bundle signed by anyone would pass.
      const result = trustedKeys.length > 0 ? o.verify(zip, { trustedKeys }) : noKeyYet(o.verify(zip));
      await audit(actor, 'verify', {
        ...(result.manifest?.id ? { snapshotId: result.manifest.id } : {}),
        detail: result.ok
          ? 'ok'
          : result.problems.map((p) => `${p.kind}${p.file ? ` ${p.file}` : ''}`).join(', '),
      });
      return result;
    },
    publicKeys: () => o.keys.list(),
  };
}

/** A verification by a server that has signed nothing yet: no bundle can be one of its own. */
function noKeyYet(r: VerifyResult): VerifyResult {
  const problems = [
    ...r.problems,
    {
      kind: 'unknown_key' as const,
      message:
        'this server has no signing key yet (it has made no snapshot): the bundle is not one of its own',
    },
  ];
  return { ...r, ok: false, problems };
}

/** Where the snapshot state lives: `snapshots.dir`, or snapshots/ beside the spool. */
export function snapshotsDir(config: ServerConfig): string {
  return config.snapshots.dir ?? join(dirname(resolve(config.spool.dir)), 'snapshots');
}

export type ScheduleConfig = ServerConfig['snapshots']['schedule'][number];

/** The period a schedule entry should have made by `now`: the last whole month before now − delay. */
export function duePeriod(s: ScheduleConfig, now: number): { from: number; to: number } {
  return previousMonth(now - s.delay);
}

/**
 * Makes the scheduled snapshots: shortly after start (so a run missed while the server was down is
 * made then) and every hour after, each schedule's last whole period when the store holds none for
 * it yet. Errors are logged and audited, never thrown.
 */
export function startSnapshotSchedule(
  service: SnapshotService,
  schedules: readonly ScheduleConfig[],
  o: { log: Logger; now?: () => number; firstDelayMs?: number; intervalMs?: number },
): { stop(): void; runOnce(): Promise<void> } {
  const now = o.now ?? Date.now;
  let running: Promise<void> | undefined;
  const runAll = async () => {
    for (const s of schedules) {
      const { from, to } = duePeriod(s, now());
      const made = service
        .list()
        .some(
          (e) =>
            e.schedule === s.name && Date.parse(e.window.from) === from && Date.parse(e.window.to) === to,
        );
      if (made) continue;
      const actor: Actor = { subject: `schedule:${s.name}`, role: null, source: 'local', via: 'schedule' };
      try {
        await service.create({ from, to, sites: s.sites, lang: s.lang }, actor, { schedule: s.name });
      } catch (err) {
        o.log.warn({ err, schedule: s.name }, 'scheduled snapshot not made');
        await service
          .audit(actor, 'schedule_failed', { detail: (err as Error).message.slice(0, 300) })
          .catch((e) => o.log.error({ err: e }, 'audit log not written'));
      }
    }
  };
  const runOnce = () => {
    running ??= runAll().finally(() => {
      running = undefined;
    });
    return running;
  };
  if (schedules.length === 0) return { stop() {}, runOnce };
  const { stop } = repeatEvery(runOnce, {
    firstDelayMs: o.firstDelayMs ?? 10_000,
    intervalMs: o.intervalMs ?? 3_600_000,
  });
  return { runOnce, stop };
}
