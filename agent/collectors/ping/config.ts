import { z } from 'zod';
import { crossEntryProblems, endpointSchema } from '../../../lib/endpoints/index.js';
import { duration } from '../../../lib/units.js';
import { parseShard } from './shard.js';

/** How each target is probed; shared by the `ping` and `connectivity` collectors. */
export const probeConfigShape = {
  count: z.number().int().min(1).max(100).default(4).describe('echo requests per target per cycle'),
  period: duration()
    .default(1_000)
    .refine((ms) => ms >= 10, 'must be at least 10ms')
    .describe('time between two echoes to the same target (fping -p, ping -i)'),
  packet_interval: duration()
    .default(10)
    .refine((ms) => ms >= 1, 'must be at least 1ms')
    .describe('time between any two echoes sent, i.e. the packet rate of the whole sweep (fping -i)'),
  packet_timeout: duration()
    .default(1_000)
    .refine((ms) => ms >= 1, 'must be at least 1ms')
    .describe('how long to wait for each reply (fping -t, ping -W/-w)'),
  engine: z
    .enum(['auto', 'fping', 'system'])
    .default('auto')
    .describe('auto: fping where installed (not on Windows), else the OS ping; fping; system (OS ping)'),
  fping_path: z.string().min(1).default('/usr/bin/fping').describe('where fping is installed'),
  concurrency: z
    .number()
    .int()
    .min(1)
    .max(256)
    .default(16)
    .describe('ping processes run at once by the system engine (fping needs one for all)'),
  codepage: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("Windows console code page of ping.exe's output (e.g. 1258, 866, 949); guessed when absent"),
};

export const pingConfig = z
  .strictObject({
    endpoints_file: z
      .string()
      .min(1)
      .optional()
      .describe(
        'the endpoint registry (config/endpoints.yaml); read at every cycle so edits apply without restart',
      ),
    targets: z
      .array(endpointSchema)
      .optional()
      .describe(
        'endpoints given inline, same shape as in the registry (id, name, level, district, parent?, address)',
      ),
    shard: z
      .string()
      .default('1/1')
      .transform((text, ctx) => {
        try {
          return parseShard(text);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
          return z.NEVER;
        }
      })
      .describe(
        'k/n: this poller probes the targets whose id hashes to k of n (several pollers split the list)',
      ),
    chunk_size: z.number().int().min(1).max(10_000).default(500).describe('targets per fping process'),
    spread: duration()
      .default(0)
      .describe('start the chunks evenly over this time instead of back to back, e.g. half the interval'),
    outage_attribution: z
      .enum(['parents', 'off'])
      .default('parents')
      .describe(
        'parents: a target behind a down parent is reported cause=parent_down; off: every down target is "down"',
      ),
    ...probeConfigShape,
  })
  .superRefine((cfg, ctx) => {
    if (cfg.endpoints_file === undefined && (cfg.targets === undefined || cfg.targets.length === 0)) {
      ctx.addIssue({ code: 'custom', path: ['targets'], message: 'give endpoints_file, targets, or both' });
    }
    // Inline targets alone must form a registry of their own; mixed with a file they are checked
    // together at each cycle, when the file is read.
    if (cfg.endpoints_file === undefined && cfg.targets) {
      for (const p of crossEntryProblems(cfg.targets, { ref: (i) => `targets[${i}]` })) {
        ctx.addIssue({
          code: 'custom',
          path: ['targets', p.index, ...(p.path as (string | number)[])],
          message: p.message,
        });
      }
    }
  });

export type PingConfig = z.output<typeof pingConfig>;
