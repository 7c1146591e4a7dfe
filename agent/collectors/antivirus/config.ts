import { z } from 'zod';
import { duration } from '../../../lib/units.js';

const DAY_MS = 86_400_000;

/** The antivirus collector's own keys in agent.yaml (`type`, `interval`, `timeout` are added by the agent). */
export const antivirusConfig = z.strictObject({
  max_signature_age: duration()
    .default(3 * DAY_MS)
    .describe('signatures older than this are out of date: state unprotected, reason signatures_out_of_date'),
  stale_registration_age: duration()
    .default(30 * DAY_MS)
    .describe(
      '(Windows) a SecurityCenter2 entry whose timestamp is this much older than the newest entry is a leftover of an old install: state unknown, reason stale_registration',
    ),
  command_timeout: duration()
    .default(30_000)
    .describe('(Windows) longest one PowerShell query may take; PowerShell starts slowly on old PCs'),
  clamd_conf: z
    .string()
    .regex(/^\//, 'must be an absolute path')
    .default('/etc/clamav/clamd.conf')
    .describe('(Linux) clamd.conf whose DatabaseDirectory holds daily.cvd / daily.cld'),
  root_dir: z
    .string()
    .regex(/^\//, 'must be an absolute path')
    .default('/')
    .describe("(Linux) where the host's file system is mounted; '/host' when the agent runs in a container"),
  proc_dir: z
    .string()
    .regex(/^\//, 'must be an absolute path')
    .default('/proc')
    .describe("(Linux) the host's /proc, scanned for clamd, freshclam and other products' daemons"),
});

export type AntivirusConfig = z.output<typeof antivirusConfig>;
