import { hostname } from 'node:os';
import { z } from 'zod';
import { type LoadOptions, loadConfig } from '../lib/config.js';
import { byteSize, duration } from '../lib/units.js';
import { wireLimits } from '../protocol/index.js';

const sha256Hex = z
  .string()
  .regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters (hatang token hash)');

const site = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a slug: lowercase letters, digits and -'),
  name: z.string().min(1).describe('human name, e.g. "Sở Thông tin và Truyền thông"'),
  enrollment_token_sha256: sha256Hex.describe(
    "sha256 of the site's enrollment token for agency PCs (role agent), from `hatang token new`",
  ),
  poller_token_sha256: sha256Hex
    .optional()
    .describe(
      "sha256 of the site's poller enrollment token: an agent enrolling with it gets role poller and may write ping and SNMP measurements",
    ),
});

const influxV1 = z.strictObject({
  kind: z.literal('influxdb-v1'),
  url: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8086'),
  database: z.string().min(1).default('hatang'),
  retention_policy: z.string().min(1).optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  create_database: z.boolean().default(true).describe('create the database when it is missing'),
  timeout: duration().default(10_000),
});

const influxV2 = z.strictObject({
  kind: z.literal('influxdb-v2'),
  url: z.url({ protocol: /^https?$/ }),
  org: z.string().min(1),
  bucket: z.string().min(1),
  token: z.string().min(1).describe('API token with write access to the bucket; use ${ENV}'),
  timeout: duration().default(10_000),
});

/** A token bucket: `burst` requests at once, refilled at `per_minute`; past it, 429 with Retry-After. */
const rate = z.strictObject({
  burst: z.number().int().min(1).max(1_000_000),
  per_minute: z.number().min(0.01).max(1_000_000),
});

export const serverConfigSchema = z.strictObject({
  instance: z.string().min(1).default(hostname()).describe('name of this collector in server_health'),
  log_level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  listen: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8080),
      tls: z
        .strictObject({ cert_file: z.string().min(1), key_file: z.string().min(1) })
        .optional()
        .describe('serve HTTPS with this PEM certificate chain and key'),
      metrics_token_sha256: sha256Hex
        .optional()
        .describe(
          'when set, /metrics needs `Authorization: Bearer <token>` and /healthz shows storage detail only with it (`hatang token hash`)',
        ),
    })
    .prefault({}),
  auth: z.strictObject({
    signing_key: z
      .string()
      .min(32, 'must be at least 32 characters (use ${HATANG_SIGNING_KEY} or ${file:...})')
      .describe('HMAC key signing agent credentials; every collector of a deployment shares it'),
    sites: z
      .array(site)
      .min(1, 'at least one site is required')
      .superRefine((sites, ctx) => {
        const ids = new Set<string>();
        const hashes = new Set<string>();
        sites.forEach((s, i) => {
          if (ids.has(s.id))
            ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate site id "${s.id}"` });
          ids.add(s.id);
          for (const key of ['enrollment_token_sha256', 'poller_token_sha256'] as const) {
            const hash = s[key];
            if (hash === undefined) continue;
            if (hashes.has(hash)) {
              ctx.addIssue({
                code: 'custom',
                path: [i, key],
                message: 'same token as another one: each site and role needs its own token',
              });
            }
            hashes.add(hash);
          }
        });
      }),
    credential_lifetime: z
      .strictObject({
        machine: duration()
          .default(90 * 86_400_000)
          .describe('agents and pollers; they renew their credential when a third of it is left'),
        person: duration()
          .default(30 * 86_400_000)
          .describe('auditor and admin credentials from `hatang token issue` (unless --expires says)'),
      })
      .prefault({}),
    revoked: z
      .array(z.string().min(1))
      .default([])
      .describe(
        "refused from now on: agent ids (that machine under any hostname), people's subjects, or credential:<id>",
      ),
    revoked_agents: z
      .array(z.string().min(1))
      .default([])
      .describe('older name of `revoked`; entries of both lists are refused'),
    revocation_file: z
      .string()
      .optional()
      .describe('file with one revocation entry per line (as in `revoked`), re-read when it changes'),
  }),
  storage: z.discriminatedUnion('kind', [influxV1, influxV2]).prefault({ kind: 'influxdb-v1' }),
  spool: z.strictObject({
    dir: z.string().min(1).describe('where accepted points wait while InfluxDB is unreachable'),
    max_bytes: byteSize().default(2 * 1024 ** 3),
    segment_bytes: byteSize().default(16 * 1024 ** 2),
    dead_max_bytes: byteSize()
      .default(256 * 1024 ** 2)
      .describe(
        'bound of spool/dead/ (points InfluxDB refused, damaged records); the oldest files go first, counted',
      ),
  }),
  write: z
    .strictObject({
      batch_max_points: z.number().int().min(1).max(50_000).default(5000),
      linger: duration()
        .default(1)
        .describe('how long a write waits for more requests to join it when a write slot is free'),
      concurrency: z.number().int().min(1).max(16).default(2).describe('InfluxDB writes in flight'),
      replay_concurrency: z
        .number()
        .int()
        .min(1)
        .max(16)
        .default(4)
        .describe('spool segments replayed at once once InfluxDB is back (each in order)'),
      max_body_bytes: byteSize()
        .default(8 * 1024 ** 2)
        .describe(
          "largest InfluxDB write body; keep below influxd's [http] max-body-size (25 MB by default)",
        ),
      ack_timeout: duration()
        .default(1_000)
        .describe('how long a request waits on InfluxDB before its batch goes to the spool instead'),
    })
    .prefault({}),
  limits: z
    .strictObject({
      body_max_bytes: byteSize()
        .default(1024 ** 2)
        .describe('request body as sent (compressed)'),
      decompressed_max_bytes: byteSize().default(16 * 1024 ** 2),
      points_per_batch: z
        .number()
        .int()
        .min(1)
        .max(wireLimits.pointsPerBatch)
        .default(wireLimits.pointsPerBatch),
      json_max_depth: z
        .number()
        .int()
        .min(4)
        .max(64)
        .default(8)
        .describe('deepest JSON nesting accepted (a batch needs 4); checked on the bytes before parsing'),
      json_max_values: z
        .number()
        .int()
        .min(1000)
        .default(500_000)
        .describe('JSON values in one body (a full 5,000-point batch has at most ~425,000)'),
      request_timeout: duration()
        .default(30_000)
        .describe(
          'a request, headers and body, must arrive within this (a client dripping bytes is cut off with 408)',
        ),
      in_flight_per_credential: z
        .number()
        .int()
        .min(1)
        .max(10_000)
        .default(16)
        .describe(
          'ingest requests of one credential in progress at once; past this, 429 (an agent sends one at a time)',
        ),
      decode_concurrency: z
        .number()
        .int()
        .min(1)
        .max(64)
        .default(2)
        .describe('request bodies inflated and parsed at once'),
      decode_queue: z
        .number()
        .int()
        .min(0)
        .max(100_000)
        .default(1024)
        .describe('requests waiting to be parsed; past this, 503 with Retry-After'),
      decode_queue_bytes: byteSize()
        .default(64 * 1024 ** 2)
        .describe(
          'bodies (as sent) held by the requests waiting to be parsed; past this, 503 with Retry-After',
        ),
      enroll_per_source: rate
        .prefault({ burst: 300, per_minute: 60 })
        .describe(
          'enrollments per client address: a burst (a site behind one NAT after a GPO push), then a steady rate',
        ),
      enroll_per_token: rate
        .prefault({ burst: 1000, per_minute: 300 })
        .describe("enrollments per site token, whatever the address (a leaked token's reach)"),
    })
    .prefault({}),
  ingest: z
    .strictObject({
      max_point_age: duration()
        .default(7 * 86_400_000)
        .describe(
          "points older than this are refused (a backlog an agent queued while offline must be younger); keep it within InfluxDB's retention",
        ),
      max_clock_skew: duration()
        .default(5 * 60_000)
        .describe('points further in the future than this are refused (a broken clock)'),
      new_series_per_site_per_hour: z
        .number()
        .int()
        .min(1)
        .default(20_000)
        .describe(
          "new series (a new hostname, target, interface…) one site may create in an hour; beyond it batches get 429 and wait in the agents' queues",
        ),
      new_series_per_agent_per_hour: z
        .number()
        .int()
        .min(1)
        .default(5_000)
        .describe('new series one agent or poller may create in an hour'),
    })
    .prefault({}),
  endpoints_file: z
    .string()
    .min(1)
    .optional()
    .describe(
      'the endpoint registry (config/endpoints.yaml) behind /api/v1/endpoints and /api/v1/availability; re-read within a second of a change (a bad edit keeps the last good one and is logged)',
    ),
  assets: z
    .strictObject({
      file: z
        .string()
        .min(1)
        .optional()
        .describe(
          'the asset register (config/assets.yaml, `hatang assets import`): the machines that should exist, the denominator of snapshot figures; re-read within a second of a change',
        ),
      lookback: duration()
        .default(30 * 86_400_000)
        .describe(
          'a machine counts as reporting when it wrote agent_health, inventory, host or antivirus this long before a snapshot\'s "as of"',
        ),
    })
    .prefault({})
    .describe('compliance snapshots: what machines should exist and how recently they must have reported'),
  rollups: z
    .strictObject({
      interval: duration()
        .default(300_000)
        .describe(
          'how often closed hours of ping are rolled up into ping_hourly (the last 3 closed hours each time, and every hour the server wrote ping points into after its roll-up)',
        ),
      recheck_interval: duration()
        .default(3_600_000)
        .describe(
          "how often every closed hour within ingest.max_point_age is rolled up again: a safety net for ping points written into InfluxDB other than through this server (the server's own late writes mark their hour, which the next pass rolls up again)",
        ),
    })
    .prefault({})
    .describe('hourly roll-ups of ping (ping_hourly), so availability over months does not scan every point'),
  readiness: z
    .strictObject({
      datacenter_file: z
        .string()
        .min(1)
        .describe('the facility declaration (config/datacenter.yaml) behind /api/v1/readiness'),
      interval: duration()
        .refine((ms) => ms >= 1000, {
          message: 'must be at least 1s: each one queries InfluxDB and writes points',
        })
        .default(300_000)
        .describe('how often dc_readiness and dc_criterion are written (at least 1s)'),
      stale_after: duration()
        .default(600_000)
        .describe('a live reading older than this counts as missing: its criteria are unknown'),
    })
    .optional()
    .describe('TIA-942 readiness self-assessment (not a certification)'),
  snapshots: z
    .strictObject({
      dir: z
        .string()
        .min(1)
        .optional()
        .describe(
          "the snapshot state: signing keys (keys/), kept bundles (store/) and the auditors' audit log (default: snapshots/ beside spool.dir)",
        ),
      lang: z.enum(['vi', 'en']).default('vi').describe('language of a report when a request names none'),
      max_window: duration()
        .default(400 * 86_400_000)
        .describe('longest window one snapshot may cover'),
      verify_max_bytes: byteSize()
        .default(256 * 1024 ** 2)
        .describe('largest bundle accepted by POST /api/v1/snapshots/verify and the page'),
      chromium: z
        .string()
        .min(1)
        .optional()
        .describe(
          'headless Chromium used to print the report as PDF (default: found on PATH; "none" skips the PDF)',
        ),
      session_ttl: duration()
        .default(8 * 3_600_000)
        .describe("an auditor's page session ends after this, or when the credential expires if sooner"),
      max_sessions: z
        .number()
        .int()
        .min(1)
        .max(100_000)
        .default(200)
        .describe('page sessions held at once; past it, the oldest ends'),
      schedule: z
        .array(
          z.strictObject({
            name: z
              .string()
              .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a slug: lowercase letters, digits and -'),
            every: z
              .enum(['month'])
              .describe('month: on the 1st, the previous calendar month (Asia/Ho_Chi_Minh)'),
            lang: z.enum(['vi', 'en']).default('vi'),
            sites: z
              .array(z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a site id'))
              .default([])
              .describe('scope; empty = everything'),
            delay: duration()
              .default(3_600_000)
              .describe('wait this long after the period ends, so late data (agents’ queues) is in'),
          }),
        )
        .superRefine((list, ctx) => {
          const seen = new Set<string>();
          list.forEach((s, i) => {
            if (seen.has(s.name))
              ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${s.name}" is used twice` });
            seen.add(s.name);
          });
        })
        .default([])
        .describe('snapshots made by the server itself; a missed one is made at the next start'),
    })
    .prefault({})
    .describe("auditors' compliance snapshots: keys, store, audit log, schedule and the /audit/ page"),
  shutdown_grace: duration().default(10_000).describe('how long open requests may finish on SIGTERM'),
  health_interval: duration()
    .refine((ms) => ms >= 100, { message: 'must be at least 100ms: each one writes a point' })
    .default(60_000)
    .describe('how often server_health is written (at least 100ms)'),
});

export type ServerConfig = z.output<typeof serverConfigSchema>;
export type StorageConfig = ServerConfig['storage'];

export function loadServerConfig(file: string, options?: LoadOptions): ServerConfig {
  return loadConfig(file, serverConfigSchema, options);
}
