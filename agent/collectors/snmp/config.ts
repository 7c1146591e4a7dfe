import { z } from 'zod';
import { duration } from '../../../lib/units.js';

/** Community-based access (SNMPv1 / v2c). YAML reads `version: 1` as a number; both spellings work. */
const communityCredential = z.strictObject({
  version: z.enum(['1', '2c']),
  community: z
    .string()
    .min(1)
    .describe('community string: give it as an environment variable or secret file reference, never inline'),
});

const usmCredential = z
  .strictObject({
    version: z.literal('3'),
    user: z.string().min(1).max(32).describe('USM user name'),
    level: z.enum(['noAuthNoPriv', 'authNoPriv', 'authPriv']),
    auth_protocol: z.enum(['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512']).optional(),
    auth_key: z.string().min(8, 'must be at least 8 characters (RFC 3414)').optional(),
    priv_protocol: z
      .enum(['des', 'aes', 'aes256b', 'aes256r'])
      .optional()
      .describe('aes is AES-128; aes256b is the Blumenthal draft, aes256r the Reeder (Cisco) one'),
    priv_key: z.string().min(8, 'must be at least 8 characters (RFC 3414)').optional(),
  })
  .superRefine((c, ctx) => {
    const needAuth = c.level !== 'noAuthNoPriv';
    const needPriv = c.level === 'authPriv';
    const want = (key: 'auth_protocol' | 'auth_key' | 'priv_protocol' | 'priv_key', needed: boolean) => {
      if (needed && c[key] === undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message: `required when level is ${c.level}` });
      } else if (!needed && c[key] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message: `not used when level is ${c.level}` });
      }
    };
    want('auth_protocol', needAuth);
    want('auth_key', needAuth);
    want('priv_protocol', needPriv);
    want('priv_key', needPriv);
  });

export const credentialSchema = z.preprocess(
  (v) =>
    v && typeof v === 'object' && typeof (v as { version?: unknown }).version === 'number'
      ? { ...v, version: String((v as { version: number }).version) }
      : v,
  z.discriminatedUnion('version', [communityCredential, usmCredential]),
);

export type Credential = z.output<typeof credentialSchema>;

const deviceName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'must be letters, digits and _ . : - (it becomes the device tag)');

export const deviceSchema = z.strictObject({
  name: deviceName.describe('the device tag on every point; unique'),
  address: z.string().min(1).describe('IPv4 address or host name of the SNMP agent'),
  port: z.number().int().min(1).max(65_535).default(161),
  profile: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/)
    .optional()
    .describe('profile file name without .yaml; default: matched by sysObjectID'),
  credentials: z.string().min(1).describe('name of an entry under credentials:'),
  request_timeout: duration()
    .optional()
    .describe('wait for an answer before a retry (default: the collector-wide request_timeout)'),
  retries: z
    .number()
    .int()
    .min(0)
    .max(5)
    .optional()
    .describe('retries per request (default: collector-wide)'),
  zone: z
    .string()
    .min(1)
    .max(64)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: a tag value must not carry control characters
    .regex(/^[^\\\u0000-\u001f]+$/, 'must not contain control characters or backslashes')
    .optional()
    .describe('where the device stands (room, rack); tags its environment points'),
});

export type DeviceConfig = z.output<typeof deviceSchema>;

/** `k/n`: this poller takes the devices whose name hashes to k-1 modulo n. */
const shardSchema = z
  .string()
  .regex(/^\d+\/\d+$/, 'must be "k/n", e.g. "2/4"')
  .transform((s, ctx) => {
    const [k, n] = s.split('/').map(Number) as [number, number];
    if (n < 1 || k < 1 || k > n) {
      ctx.addIssue({ code: 'custom', message: `must be "k/n" with 1 ≤ k ≤ n, got "${s}"` });
      return z.NEVER;
    }
    return { k, n };
  });

export const snmpConfigSchema = z
  .strictObject({
    devices: z.array(deviceSchema).min(1, 'at least one device is required'),
    credentials: z
      .record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be [A-Za-z0-9_-]+'), credentialSchema)
      .describe('named credentials, kept apart from devices and profiles; never logged'),
    profiles_dir: z
      .string()
      .min(1)
      .optional()
      .describe('directory of profile YAML files (default: config/snmp-profiles of the installation)'),
    // Not `timeout`: the agent uses that key for the whole run of the collector.
    request_timeout: duration().default(2_000).describe('wait for an answer before a retry'),
    retries: z.number().int().min(0).max(5).default(1),
    poll_timeout: duration()
      .default(20_000)
      .describe('longest one device poll may take; a slower device is cut off and reported, others go on'),
    max_concurrent_devices: z.number().int().min(1).max(1_000).default(16),
    max_repetitions: z.number().int().min(1).max(100).default(25).describe('getBulk max-repetitions'),
    max_oids_per_device: z
      .number()
      .int()
      .min(10)
      .max(1_000_000)
      .default(20_000)
      .describe('a poll reading more varbinds than this stops (a runaway table or a broken agent)'),
    shard: shardSchema.optional().describe('"k/n": poll only this poller\'s share of the devices'),
  })
  .superRefine((cfg, ctx) => {
    const names = new Set<string>();
    const known = Object.keys(cfg.credentials);
    cfg.devices.forEach((d, i) => {
      if (names.has(d.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['devices', i, 'name'],
          message: `device "${d.name}" is listed twice`,
        });
      }
      names.add(d.name);
      if (!Object.hasOwn(cfg.credentials, d.credentials)) {
        ctx.addIssue({
          code: 'custom',
          path: ['devices', i, 'credentials'],
          message: `unknown credentials "${d.credentials}" (known: ${known.join(', ') || 'none'})`,
        });
      }
    });
  });

export type SnmpConfig = z.output<typeof snmpConfigSchema>;

/** FNV-1a: a stable hash, so adding a device does not move the others to another shard. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The devices this poller polls under `shard` (all of them without one). */
export function devicesOfShard(
  devices: readonly DeviceConfig[],
  shard?: { k: number; n: number },
): DeviceConfig[] {
  if (!shard) return [...devices];
  return devices.filter((d) => fnv1a(d.name) % shard.n === shard.k - 1);
}
