import { z } from 'zod';
import { type LoadOptions, loadConfig } from '../config.js';

/**
 * The asset register: the machines that should exist, as an agency keeps them in its spreadsheet.
 * It is the denominator of every "x of the machines" figure in a compliance snapshot: a machine in
 * the register that never reports is counted (as "not reporting"), not silently left out.
 */

/** A host name as agents report it (os.hostname()): letters, digits, `.`, `_`, `-` (empty is `min`'s to say). */
const hostnamePattern = /^(?:[A-Za-z0-9][A-Za-z0-9._-]{0,252})?$/;
/** An enrollment site id, as in server config `auth.sites[].id`. */
const sitePattern = /^[a-z0-9](?:[a-z0-9-]{0,62})$/;

export const assetSchema = z.strictObject({
  site: z
    .string()
    .regex(sitePattern, 'must be an enrollment site id (a-z, 0-9, -), as in server.yaml auth.sites')
    .describe('enrollment site id (server config auth.sites[].id) the machine enrolls under'),
  agency: z.string().trim().min(1, 'is empty').describe('the agency (Đơn vị) the machine belongs to'),
  hostname: z
    .string()
    .trim()
    .min(1, 'is empty')
    .regex(hostnamePattern, 'must be a host name (letters, digits, ".", "_", "-")')
    .describe('host name as the machine reports it; matched without case'),
  asset_tag: z.string().trim().min(1, 'is empty').optional().describe('asset tag (Mã tài sản)'),
  owner: z.string().trim().min(1, 'is empty').optional().describe('the person using it (Người sử dụng)'),
  notes: z.string().optional().describe('free text (Ghi chú)'),
});

export type Asset = z.output<typeof assetSchema>;

export interface AssetProblem {
  index: number;
  path: (string | number)[];
  message: string;
}

/** The key a register row and a reporting machine are matched on: site and host name, without case. */
export function machineKey(site: string, hostname: string): string {
  return `${site}/${hostname.toLowerCase()}`;
}

/**
 * Rules across rows: a machine (site + host name, without case) listed twice, an asset tag given to two
 * machines, and sites the server does not know (when `sites` is given).
 */
export function crossAssetProblems(
  assets: readonly Partial<Asset>[],
  o: { sites?: readonly string[]; ref?: (index: number) => string } = {},
): AssetProblem[] {
  const ref = o.ref ?? ((i: number) => `assets[${i}]`);
  const problems: AssetProblem[] = [];
  const machines = new Map<string, number>();
  const tags = new Map<string, number>();
  const known = o.sites ? new Set(o.sites) : undefined;
  assets.forEach((a, i) => {
    if (typeof a.site === 'string' && known && !known.has(a.site)) {
      problems.push({
        index: i,
        path: ['site'],
        message: `"${a.site}" is not a site of the server (auth.sites: ${[...known].join(', ')})`,
      });
    }
    if (typeof a.site === 'string' && typeof a.hostname === 'string' && a.hostname.trim() !== '') {
      const key = machineKey(a.site, a.hostname.trim());
      const first = machines.get(key);
      if (first !== undefined) {
        problems.push({
          index: i,
          path: ['hostname'],
          message: `"${a.hostname.trim()}" at site ${a.site} is listed twice (also ${ref(first)})`,
        });
      } else machines.set(key, i);
    }
    if (typeof a.asset_tag === 'string' && a.asset_tag.trim() !== '') {
      const tag = a.asset_tag.trim();
      const first = tags.get(tag);
      if (first !== undefined) {
        problems.push({
          index: i,
          path: ['asset_tag'],
          message: `"${tag}" is the asset tag of another machine too (${ref(first)})`,
        });
      } else tags.set(tag, i);
    }
  });
  return problems;
}

/** The register file's schema; `sites`, when given, are the only site ids accepted. */
export function assetsFileSchema(sites?: readonly string[]) {
  return z
    .strictObject({
      assets: z.array(assetSchema).describe('the machines that should exist, one entry per machine'),
    })
    .superRefine(
      (file, ctx) => {
        if (!Array.isArray(file.assets)) return;
        for (const p of crossAssetProblems(file.assets, { ...(sites ? { sites } : {}) })) {
          ctx.addIssue({ code: 'custom', path: ['assets', p.index, ...p.path], message: p.message });
        }
      },
      // Run even when some row failed its own rules, so every problem is listed at once.
      { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
    );
}

export interface AssetRegister {
  assets: Asset[];
}

/**
 * Reads and validates an asset register (YAML). Throws a ConfigError listing every problem as
 * `file:line:col assets[3].hostname: "pc-01" at site so-tttt is listed twice (also assets[1])`.
 *
 * @example
 * const { assets } = loadAssets('config/assets.yaml', { sites: ['so-tttt'] });
 */
export function loadAssets(
  file: string,
  options: LoadOptions & { sites?: readonly string[] } = {},
): AssetRegister {
  const { sites, ...load } = options;
  // The register holds no secrets: `${…}` in an owner's name is text, so the environment is not consulted.
  return loadConfig(file, assetsFileSchema(sites), { env: {}, ...load });
}
