import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { StartError } from '../lib/config.js';
import { sleep } from '../lib/sleep.js';
import { hatangVersion } from '../lib/version.js';
import { agentHealth, type Point } from '../protocol/index.js';
import type { Collector } from './collector.js';
import { collectors } from './collectors/index.js';
import { type AgentConfig, agentHostname } from './config.js';
import { Backoff } from './runtime/backoff.js';
import { minRenewalGap, renewalDueAt } from './runtime/credential.js';
import { ensureEnrolled, renewCredential } from './runtime/enroll.js';
import { removeTempFiles } from './runtime/files.js';
import { HttpClient } from './runtime/http.js';
import { Outbox } from './runtime/outbox.js';
import { DiskQueue } from './runtime/queue.js';
import { type RunResult, Scheduler } from './runtime/scheduler.js';
import { Sender } from './runtime/sender.js';
import {
  type AgentStatus,
  type Counters,
  type Enrollment,
  readJson,
  stateFiles,
  writeJson,
  zeroCounters,
} from './runtime/state.js';
import { si } from './runtime/sysinfo.js';

export interface AgentRunOptions {
  /** Run every collector once, send, and return (exit code 0 only when the queue is empty). */
  once?: boolean;
  signal?: AbortSignal;
}

/**
 * The agent process: enrolls on first start, runs the collectors on their intervals, queues every
 * run's points on disk and sends them, renews its credential before it expires. Resolves with an
 * exit code when stopped (or after one pass with `once`).
 */
export async function runAgent(
  config: AgentConfig,
  log: Logger,
  opts: AgentRunOptions = {},
): Promise<number> {
  const version = hatangVersion();
  const hostname = agentHostname(config);
  const files = stateFiles(config.agent.state_dir);
  await mkdir(config.agent.state_dir, { recursive: true, mode: 0o700 });
  // Temp files of writes cut short by a crash or a full disk: never part of any state.
  await removeTempFiles(config.agent.state_dir);
  for (const c of await readdir(files.collectors).catch(() => [] as string[]))
    await removeTempFiles(join(files.collectors, c));
  const ca = config.server.ca_file ? await readFile(config.server.ca_file) : undefined;
  const http = new HttpClient(ca, {
    connectMs: Math.min(10_000, config.server.request_timeout),
    totalMs: config.server.request_timeout,
  });
  const counters = await loadCounters(files.counters, log);
  const queue = await DiskQueue.open(files.queue, {
    maxBytes: config.queue.max_bytes,
    rejectedMaxBytes: config.queue.rejected_max_bytes,
    rejectedMaxFiles: config.queue.rejected_max_files,
    log,
    onCorrupt: ({ points }) => outbox.corrupt(points),
  });
  const stop = new AbortController();
  opts.signal?.addEventListener('abort', () => stop.abort(), { once: true });

  let seq = 0;
  const batchId = () =>
    `${Date.now().toString(36)}-${process.pid}-${(seq++).toString(36)}-${randomBytes(3).toString('hex')}`;
  const outbox = new Outbox({
    queue,
    batchMaxPoints: config.queue.batch_max_points,
    counters,
    countersFile: files.counters,
    batchId,
    log,
  });

  let enrollment: Enrollment | undefined;
  let reenroll = false;
  let sendErrors = 0;
  const status: AgentStatus = {
    pid: process.pid,
    version,
    updated_at: new Date().toISOString(),
    queue: { batches: 0, points: 0, bytes: 0 },
    counters,
    collectors: {},
  };
  const saveStatus = async () => {
    status.updated_at = new Date().toISOString();
    status.queue = { batches: queue.batches, points: queue.points, bytes: queue.bytes };
    status.reserve_points = outbox.reservePoints;
    status.last_write_error = outbox.lastWriteError;
    if (enrollment) {
      const renewFrom = renewalDueAt(enrollment);
      Object.assign(status, {
        agent_id: enrollment.agent_id,
        site_id: enrollment.site_id,
        credential: {
          role: enrollment.role,
          expires_at: enrollment.expires_at,
          renew_from: renewFrom === undefined ? undefined : new Date(renewFrom).toISOString(),
        },
      });
    }
    await outbox.saveCounters();
    await writeJson(files.status, status).catch((err) =>
      // With the disk full this fails every time; the outbox has said so once already.
      outbox.lastWriteError ? undefined : log.warn({ err }, 'cannot write status file'),
    );
  };

  const healthPoint = (): Point => ({
    measurement: agentHealth.name,
    tags: { hostname, version },
    fields: {
      queue_batches: queue.batches,
      queue_points: queue.points,
      queue_bytes: queue.bytes,
      dropped_points: counters.dropped_points,
      dropped_queue_full_points: counters.dropped_queue_full_points,
      dropped_disk_full_points: counters.dropped_disk_full_points,
      rejected_points: counters.rejected_points,
      corrupt_queue_files: counters.corrupt_queue_files,
      corrupt_queue_points: counters.corrupt_queue_points,
      reserve_points: outbox.reservePoints,
      send_errors: sendErrors,
      rss_bytes: process.memoryUsage.rss(),
    },
    time: Date.now(),
  });

  const scheduler = new Scheduler({
    entries: config.collectors,
    registry: collectors as Record<string, Collector>,
    hostname,
    stateDir: files.collectors,
    log,
    role: () => enrollment?.role,
    deliver: async (run: RunResult) => {
      await outbox.keep(run.points);
      status.collectors[run.collector] = {
        last_run_at: new Date(run.startedAt).toISOString(),
        success: run.success,
        duration_ms: run.durationMs,
        points: run.points.length - 1,
        error: run.error,
      };
      await saveStatus();
    },
  });
  const sender = new Sender({
    queue,
    http,
    urls: config.server.urls,
    credential: () => enrollment?.credential,
    batchMaxPoints: config.queue.batch_max_points,
    backoffMaxMs: config.queue.backoff_max,
    log,
    memory: {
      batch: () => outbox.memoryBatch(),
      delivered: (batch, outcome) => outbox.memoryDelivered(batch, outcome),
    },
    onRejected: (points) => {
      outbox.rejected(points);
      outbox.saveCounters();
    },
    onSent: () => {
      status.last_send_at = new Date().toISOString();
      status.last_send_error = undefined;
    },
    onError: (message) => {
      sendErrors++;
      status.last_send_error = message;
    },
    onUnauthorized: () => {
      // A collector whose signing key changed refuses every credential it did not sign. With the
      // site token still configured the agent can enroll again; without it, a person must act.
      if (!enrollment || !config.server.enrollment_token) {
        log.error('credential refused (401): set server.enrollment_token to let the agent enroll again');
        return;
      }
      log.warn({ agent_id: enrollment.agent_id }, 'credential refused (401): enrolling again');
      enrollment = undefined;
      reenroll = true;
    },
  });
  const enrollOptions = {
    stateDir: config.agent.state_dir,
    urls: config.server.urls,
    token: config.server.enrollment_token,
    hostname,
    version,
    http,
    log,
  };
  /** Enrolls (or reads the stored credential); a failure is kept in status.json for `agent status`. */
  const enroll = async () => {
    try {
      const done = await ensureEnrolled({ ...enrollOptions, replace: reenroll });
      status.last_error = undefined;
      return done;
    } catch (err) {
      // Written when the reason changes, not at every retry: status.json is not a heartbeat.
      const message = (err as Error).message;
      if (status.last_error?.message !== message) {
        status.last_error = { at: new Date().toISOString(), message };
        await saveStatus();
      }
      throw err;
    }
  };

  const renewBackoff = new Backoff(config.queue.backoff_max);
  let renewNotBefore = 0;
  /** Renews once less than a third of the credential's lifetime is left; keeps the old one on failure. */
  const renewIfDue = async () => {
    const due = enrollment && renewalDueAt(enrollment);
    if (!enrollment || due === undefined || Date.now() < Math.max(due, renewNotBefore)) return;
    try {
      const outcome = await renewCredential(enrollment, enrollOptions);
      if (outcome.kind === 'renewed') {
        enrollment = outcome.enrollment;
        renewBackoff.reset();
        renewNotBefore = Date.now() + minRenewalGap(enrollment);
        return;
      }
      if (config.server.enrollment_token) {
        log.warn(
          { status: outcome.status, err: outcome.message },
          'credential renewal refused: enrolling again',
        );
        enrollment = undefined;
        reenroll = true;
      } else
        log.error(
          { status: outcome.status, err: outcome.message },
          'credential renewal refused: set server.enrollment_token to let the agent enroll again',
        );
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'credential renewal failed; keeping the current one');
    }
    // Also after a refusal: a server handing out credentials already due must not make this spin.
    renewNotBefore = Date.now() + renewBackoff.next();
  };

  // On Windows every systeminformation call starts powershell.exe; one kept-open shell serves them all.
  if (process.platform === 'win32') si.powerShellStart();
  try {
    if (opts.once) {
      try {
        enrollment = await enroll();
      } catch (err) {
        // Kept in status.json for `agent status`; a one-line refusal for whoever ran --once.
        throw new StartError((err as Error).message, { cause: err });
      }
      await renewIfDue();
      if (!enrollment) enrollment = await enroll();
      await scheduler.runOnce(stop.signal);
      await outbox.keep([healthPoint()]);
      const empty = await sender.flush(stop.signal);
      await saveStatus();
      if (!empty)
        log.error(
          { queued_batches: queue.batches },
          'not everything was sent; it stays queued for the next run',
        );
      return empty ? 0 : 1;
    }

    log.info(
      { hostname, collectors: config.collectors.map((c) => c.name ?? c.type), version },
      'hatang agent starting',
    );
    // Collect from the first second, even before enrollment succeeds: the queue keeps it all.
    scheduler.start(stop.signal);
    const health = setInterval(() => {
      outbox.keep([healthPoint()]).catch((err) => log.error({ err }, 'cannot queue agent_health'));
    }, config.health_interval);
    const enrollBackoff = new Backoff(config.queue.backoff_max);
    try {
      while (!stop.signal.aborted) {
        if (!enrollment) {
          try {
            enrollment = await enroll();
            reenroll = false;
            enrollBackoff.reset();
          } catch (err) {
            log.error({ err: (err as Error).message }, 'not enrolled yet; retrying');
            await sleep(enrollBackoff.next(), stop.signal);
            continue;
          }
        }
        await renewIfDue();
        if (!enrollment) continue;
        const empty = await sender.flush(stop.signal).catch((err) => {
          // A queue file that cannot be removed (EIO, EACCES) must not stop collection.
          log.error({ err: (err as Error).message }, 'sending the queue failed');
          return false;
        });
        await saveStatus();
        await sleep(empty ? config.queue.send_interval : sender.nextDelay(), stop.signal);
      }
    } finally {
      clearInterval(health);
      await scheduler.stopped();
      // Runs cut short by the stop were queued: give them one bounded chance to leave now.
      if (enrollment) await sender.flush(AbortSignal.timeout(5_000)).catch(() => false);
      await saveStatus();
    }
    log.info({ queued_batches: queue.batches }, 'hatang agent stopped');
    return 0;
  } finally {
    http.close();
    if (process.platform === 'win32') si.powerShellRelease();
  }
}

/** counters.json, or zeros; a damaged file is reported and restarted from zero rather than stop the agent. */
async function loadCounters(file: string, log: Logger): Promise<Counters> {
  const counters = zeroCounters();
  try {
    const stored = await readJson<Partial<Counters>>(file);
    for (const key of Object.keys(counters) as (keyof Counters)[]) {
      const v = stored?.[key];
      if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) counters[key] = v;
    }
    // Before the reasons were counted apart, every drop was a full queue.
    if (stored && stored.dropped_queue_full_points === undefined)
      counters.dropped_queue_full_points = counters.dropped_points;
  } catch (err) {
    log.error({ err: (err as Error).message }, 'counters file unreadable: counting from zero');
  }
  return counters;
}
