import { isIP } from 'node:net';
import { z } from 'zod';
import { addressProblem } from '../../../lib/endpoints/index.js';
import { duration } from '../../../lib/units.js';
import { probeConfigShape } from '../ping/config.js';

const address = z.string().superRefine((a, ctx) => {
  const problem = addressProblem(a);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** Target ids the collector sets itself. */
export const reservedIds = ['gateway', 'datacenter'] as const;

const targetId = z
  .string()
  .regex(/^[a-z0-9]+(?:[-_][a-z0-9]+)*$/, 'must be lowercase letters, digits and single - or _ between them')
  .max(64)
  .refine((id) => !(reservedIds as readonly string[]).includes(id), 'is reserved for the built-in probes');

/** A DNS server as node:dns takes it: an IP, optionally with a port (`127.0.0.1:5353`, `[::1]:53`). */
const dnsServer = z.string().refine((s) => {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:]+)(?::(\d+))?$/.exec(s);
  if (!m) return isIP(s) === 6;
  const port = m[2] === undefined ? 53 : Number(m[2]);
  return isIP(m[1] ?? '') !== 0 && port >= 1 && port <= 65535;
}, 'must be an IP address, optionally with :port (e.g. 10.0.0.53 or 127.0.0.1:5353)');

export const connectivityConfig = z
  .strictObject({
    gateway: z
      .union([z.enum(['auto', 'off']), address])
      .default('auto')
      .describe(
        'auto: the default gateway (Linux: the routing table; Windows: ipconfig); off; or an address',
      ),
    route_file: z
      .string()
      .min(1)
      .default('/proc/net/route')
      .describe('Linux routing table read for gateway: auto'),
    datacenter: address
      .optional()
      .describe('an address in the provincial data center to reach, reported as target_id=datacenter'),
    targets: z
      .array(z.strictObject({ id: targetId, address }))
      .default([])
      .describe('further addresses to reach, each reported under its id'),
    dns: z
      .strictObject({
        names: z
          .array(z.string().min(1).max(253))
          .min(1)
          .describe('names that must resolve, e.g. the province portal'),
        servers: z
          .array(dnsServer)
          .default([])
          .describe('ask these DNS servers directly; empty: the system resolver, as applications do'),
        timeout: duration().default(3_000).describe('longest a resolution may take'),
      })
      .optional()
      .describe('DNS names whose resolution is checked every run'),
    ...probeConfigShape,
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.targets.forEach((t, i) => {
      if (seen.has(t.id))
        ctx.addIssue({ code: 'custom', path: ['targets', i, 'id'], message: `"${t.id}" is listed twice` });
      seen.add(t.id);
    });
  });

export type ConnectivityConfig = z.output<typeof connectivityConfig>;
