import { hostname as osHostname } from 'node:os';
import { z } from 'zod';
import { type LoadOptions, loadConfig } from '../lib/config.js';
import { byteSize, duration, parseDuration } from '../lib/units.js';
import type { Collector } from './collector.js';
import { collectors } from './collectors/index.js';

/** One entry of `collectors:` after validation; the other keys are the collector's own config. */
export interface CollectorEntry {
  type: string;
  name?: string | undefined;
  interval: number;
  timeout?: number | undefined;
  [key: string]: unknown;
}

/**
 * Floors for the agent's intervals. `interval: 0s` or `1ms` made a collector run back to back and
 * queue hundreds of batches a second. A collector run starts a scan (a process, a sweep, an SNMP
 * walk) and queues a batch, so once a second is the most any of them may run (the defaults are 15s
 * to 5m; the tests run the host collector every second); sending needs no scan, so it may be faster.
 */
export const intervalFloors = {
  collector: 1_000,
  health: 1_000,
  send: 100,
} as const;

/** A duration of at least `floorMs`; the message says the floor and why. */
function durationAtLeast(floorMs: number, why: string) {
  const floor = floorMs >= 1000 ? `${floorMs / 1000}s` : `${floorMs}ms`;
  return duration().refine((ms) => ms >= floorMs, { message: `must be at least ${floor}: ${why}` });
}

/** Longest a run may take when neither the entry nor the collector says (and never more). */
export const MAX_RUN_TIMEOUT_MS = 5 * 60_000;

/**
 * The run timeout the scheduler applies: the entry's `timeout`, else the collector's `defaultTimeout`
 * capped at the interval (a run longer than its interval would delay the next), else the interval;
 * at most 5 minutes unless the entry says so.
 */
export function runTimeoutOf(
  entry: { interval: number; timeout?: number | undefined },
  c: Collector,
): number {
  if (entry.timeout !== undefined) return entry.timeout;
  const fallback = c.defaultTimeout ? parseDuration(c.defaultTimeout) : entry.interval;
  return Math.min(fallback, entry.interval, MAX_RUN_TIMEOUT_MS);
}

function collectorEntry(c: Collector) {
  const entry = c.config.extend({
    type: z.literal(c.name),
    name: z
      .string()
      .regex(/^[a-z0-9_-]+$/)
      .optional()
      .describe('instance name, needed when the same type runs twice (defaults to the type)'),
    interval: durationAtLeast(
      intervalFloors.collector,
      'each run scans and queues a batch; shorter would flood the queue',
    )
      .default(parseDuration(c.defaultInterval))
      .describe('how often the collector runs (at least 1s)'),
    timeout: duration()
      .optional()
      .describe(
        "longest a run may take before it is cut short (default: the collector's own default or the interval, whichever is shorter, capped at 5m)",
      ),
  });
  const check = c.check;
  if (!check) return entry;
  return entry.superRefine((e, ctx) => {
    const runTimeoutMs = runTimeoutOf(e as { interval: number; timeout?: number }, c);
    for (const p of check(e, { runTimeoutMs }))
      ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
  });
}

const entries = Object.values(collectors as Record<string, Collector>).map(collectorEntry);
const collectorEntries = z.discriminatedUnion('type', entries as [(typeof entries)[0], ...typeof entries], {
  error: (issue) =>
    issue.code === 'invalid_union'
      ? `unknown collector type (known: ${Object.keys(collectors).join(', ')})`
      : undefined,
});

export const agentConfigSchema = z.strictObject({
  agent: z
    .strictObject({
      state_dir: z.string().min(1).describe('where the credential, the send queue and collector state live'),
      hostname: z.string().min(1).optional().describe("name to tag points with (default: the OS's hostname)"),
      log_level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    })
    .describe('the agent process'),
  server: z.strictObject({
    urls: z
      .array(z.url({ protocol: /^https?$/ }))
      .min(1)
      .describe('collector base URLs, tried in order; the next is used when one fails'),
    enrollment_token: z
      .preprocess((v) => (v === '' ? undefined : v), z.string().min(16).optional())
      .describe('per-site token, needed only until the agent has enrolled; use ${ENV:-} or ${file:...}'),
    ca_file: z.string().optional().describe('PEM file of a private CA to trust for HTTPS'),
    request_timeout: duration()
      .default(15_000)
      .describe(
        'longest a whole request may take (connect, send, the complete answer); connecting alone gets at most 10s',
      ),
  }),
  queue: z
    .strictObject({
      max_bytes: byteSize()
        .default(64 * 1024 ** 2)
        .describe('on-disk queue size; beyond it the oldest batches are dropped and counted'),
      batch_max_points: z.number().int().min(1).max(5000).default(1000),
      send_interval: durationAtLeast(intervalFloors.send, 'shorter would resend in a busy loop')
        .default(5_000)
        .describe('how often queued batches are sent (at least 100ms)'),
      backoff_max: duration().default(300_000).describe('longest wait between retries'),
      rejected_max_bytes: byteSize()
        .default(16 * 1024 ** 2)
        .describe('queue/rejected/ (refused and damaged batches) keeps its newest files within this size'),
      rejected_max_files: z
        .number()
        .int()
        .min(1)
        .default(1000)
        .describe('queue/rejected/ keeps at most this many files, the newest'),
    })
    .default({
      max_bytes: 64 * 1024 ** 2,
      batch_max_points: 1000,
      send_interval: 5_000,
      backoff_max: 300_000,
      rejected_max_bytes: 16 * 1024 ** 2,
      rejected_max_files: 1000,
    }),
  log: z
    .strictObject({
      file: z
        .string()
        .min(1)
        .optional()
        .describe('also write the log (JSON lines) to this file; a Windows service has no other log'),
      max_bytes: byteSize()
        .default(10 * 1024 ** 2)
        .describe('the file is rotated when it would grow past this'),
      keep: z.number().int().min(1).max(20).default(3).describe('rotated files kept (agent.log.1 … .N)'),
      stderr: z.enum(['on', 'off']).default('on').describe('also log to stderr (the journal under systemd)'),
      event_log: z
        .enum(['on', 'off'])
        .default('off')
        .refine((v) => v === 'off' || process.platform === 'win32', {
          message: `the Windows Event Log exists only on Windows (this is ${process.platform}): use file or stderr`,
        })
        .describe(
          'Windows: also write warnings and errors to the Application event log (source hatang-agent, via eventcreate.exe; at most 10 a minute)',
        ),
    })
    .default({ max_bytes: 10 * 1024 ** 2, keep: 3, stderr: 'on', event_log: 'off' })
    .describe('where the agent logs'),
  health_interval: durationAtLeast(
    intervalFloors.health,
    'each report queues a point; shorter would flood the queue',
  )
    .default(60_000)
    .describe('how often agent_health is reported (at least 1s)'),
  collectors: z
    .array(collectorEntries as unknown as z.ZodType<CollectorEntry>)
    .min(1, 'at least one collector is required')
    .superRefine((list, ctx) => {
      const seen = new Set<string>();
      list.forEach((c, i) => {
        const id = c.name ?? c.type;
        if (seen.has(id)) {
          ctx.addIssue({
            code: 'custom',
            path: [i, 'name'],
            message: `collector "${id}" is configured twice: give each a distinct name`,
          });
        }
        seen.add(id);
      });
    }),
});

export type AgentConfig = z.output<typeof agentConfigSchema>;

export function loadAgentConfig(file: string, options?: LoadOptions): AgentConfig {
  return loadConfig(file, agentConfigSchema, options);
}

export function agentHostname(cfg: AgentConfig): string {
  return cfg.agent.hostname ?? osHostname();
}
