import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import si from 'systeminformation';
import { sleep } from '../lib/sleep.js';
import { hatangVersion } from '../lib/version.js';
import { agentHealth, type Point } from '../protocol/index.js';
import type { Collector } from './collector.js';
import { collectors } from './collectors/index.js';
import { type AgentConfig, agentHostname } from './config.js';
import { ensureEnrolled } from './runtime/enroll.js';
import { HttpClient } from './runtime/http.js';
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
} from './runtime/state.js';

export interface AgentRunOptions {
  /** Run every collector once, send, and return (exit code 0 only when the queue is empty). */
  once?: boolean;
  signal?: AbortSignal;
}

/**
 * The agent process: enrolls on first start, runs the collectors on their intervals, queues every
 * run's points on disk and sends them. Resolves with an exit code when stopped (or after one pass
 * with `once`).
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
  const ca = config.server.ca_file ? await readFile(config.server.ca_file) : undefined;
  const http = new HttpClient(ca, config.server.request_timeout);
  const queue = await DiskQueue.open(files.queue, config.queue.max_bytes);
  const counters: Counters = {
    dropped_points: 0,
    rejected_points: 0,
    ...(await readJson<Counters>(files.counters)),
  };
  const stop = new AbortController();
  opts.signal?.addEventListener('abort', () => stop.abort(), { once: true });

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
    if (enrollment) Object.assign(status, { agent_id: enrollment.agent_id, site_id: enrollment.site_id });
    await writeJson(files.status, status).catch((err) => log.warn({ err }, 'cannot write status file'));
  };

  let seq = 0;
  const batchId = () =>
    `${Date.now().toString(36)}-${process.pid}-${(seq++).toString(36)}-${randomBytes(3).toString('hex')}`;
  /** Queues points in batches of at most batch_max_points, counting what the bounded queue dropped. */
  const enqueue = async (points: Point[]) => {
    for (let i = 0; i < points.length; i += config.queue.batch_max_points) {
      const dropped = await queue.push({
        batch_id: batchId(),
        points: points.slice(i, i + config.queue.batch_max_points),
      });
      if (dropped > 0) {
        counters.dropped_points += dropped;
        log.warn(
          { dropped_points: dropped, total_dropped: counters.dropped_points },
          'send queue full: dropped the oldest points',
        );
        await writeJson(files.counters, counters);
      }
    }
  };
  const healthPoint = (): Point => ({
    measurement: agentHealth.name,
    tags: { hostname, version },
    fields: {
      queue_batches: queue.batches,
      queue_points: queue.points,
      queue_bytes: queue.bytes,
      dropped_points: counters.dropped_points,
      rejected_points: counters.rejected_points,
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
    deliver: async (run: RunResult) => {
      await enqueue(run.points);
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
    onRejected: (points) => {
      counters.rejected_points += points;
      writeJson(files.counters, counters).catch((err) => log.warn({ err }, 'cannot save counters'));
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
  /** Enrolls (or reads the stored credential); a failure is kept in status.json for `agent status`. */
  const enroll = async () => {
    try {
      const done = await ensureEnrolledNow();
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
  const ensureEnrolledNow = () =>
    ensureEnrolled({
      stateDir: config.agent.state_dir,
      urls: config.server.urls,
      token: config.server.enrollment_token,
      hostname,
      version,
      http,
      log,
    });

  // On Windows every systeminformation call starts powershell.exe; one kept-open shell serves them all.
  if (process.platform === 'win32') si.powerShellStart();
  try {
    if (opts.once) {
      enrollment = await enroll();
      await scheduler.runOnce(stop.signal);
      await enqueue([healthPoint()]);
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
      enqueue([healthPoint()]).catch((err) => log.error({ err }, 'cannot queue agent_health'));
    }, config.health_interval);
    try {
      while (!stop.signal.aborted) {
        if (!enrollment) {
          try {
            if (reenroll) await rm(files.enrollment, { force: true });
            reenroll = false;
            enrollment = await enroll();
          } catch (err) {
            log.error({ err: (err as Error).message }, 'not enrolled yet; retrying');
            await sleep(sender.nextDelay(), stop.signal);
            continue;
          }
        }
        const empty = await sender.flush(stop.signal);
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
