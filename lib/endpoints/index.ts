import { isIP } from 'node:net';
import { z } from 'zod';
import { pingGroupingTags } from '../../protocol/measurements/ping.js';
import { wireLimits } from '../../protocol/point.js';
import { type LoadOptions, loadConfig } from '../config.js';
import type { Endpoint, EndpointLevel, Registry } from './types.js';

export type { Endpoint, EndpointLevel, Registry } from './types.js';

/**
 * Vietnam's local government since 1 July 2025 (Resolution 202/2025/QH15): province → commune (xã,
 * phường, đặc khu). The default levels of a registry that does not list its own.
 */
export const twoTierLevels = ['province', 'commune'] as const satisfies readonly EndpointLevel[];

/**
 * The administration before July 2025: province → district → commune. A registry without `levels:`
 * whose entries carry `district:` is read with these, so registries written before the reform load
 * unchanged.
 */
export const threeTierLevels = [
  'province',
  'district',
  'commune',
] as const satisfies readonly EndpointLevel[];

/** Grouping tags of an endpoint that travel on its ping points (see protocol's pingGroupingTags). */
export const groupingTags: readonly string[] = pingGroupingTags;

/**
 * The levels a registry uses: its own `levels:`, else the old three-tier ones when an entry carries
 * `district:` (a registry written before the reform), else the two-tier ones.
 */
export function levelsOf(file: { levels?: unknown; endpoints?: unknown }): readonly EndpointLevel[] {
  if (Array.isArray(file.levels) && file.levels.every((l) => typeof l === 'string') && file.levels.length > 0)
    return file.levels as string[];
  const list = Array.isArray(file.endpoints) ? file.endpoints : [];
  const legacy = list.some((e) => e && typeof e === 'object' && 'district' in e);
  return legacy ? threeTierLevels : twoTierLevels;
}

/**
 * Whether a point of level `child` may hang off a point of level `parent` (its `parent`), `levels`
 * listed from the top down. The dedicated network is a tree: a point reaches the data center through
 * a point of a higher level (a commune through its aggregation node or the provincial core; in a
 * three-tier registry through its district's point or a province point); top-level points hang off
 * each other (departments off the provincial core). A point behind one of its own level below the top
 * (a commune behind another commune) would hide a topology mistake, so it is refused; a point without
 * a parent hangs off the data center directly and is always allowed.
 */
export function parentLevelAllowed(levels: readonly EndpointLevel[], child: string, parent: string): boolean {
  const c = levels.indexOf(child);
  const p = levels.indexOf(parent);
  if (c < 0 || p < 0) return true;
  return p < c || (c === 0 && p === 0);
}

function allowedParentText(levels: readonly EndpointLevel[], level: string): string {
  const i = levels.indexOf(level);
  if (i === 0) return `another ${level} point`;
  const above = levels.slice(0, i).reverse();
  // "its district's point" keeps the three-tier rule readable: a commune sits in its district.
  const named = above.map((l) =>
    l === 'district' && level !== 'district' ? "its district's point" : `a ${l} point`,
  );
  return orList(named);
}

const idMaxLength = 64;
const slugPattern = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** "Sở Y tế" → "so-y-te": ASCII, lowercase, words joined by `-`; how an operator's name becomes an id. */
export function slugify(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function idProblem(id: string): string | undefined {
  if (id.length > idMaxLength) return `is longer than ${idMaxLength} characters`;
  if (slugPattern.test(id)) return undefined;
  const suggestion = slugify(id).slice(0, idMaxLength).replace(/-+$/, '');
  const hint = suggestion ? `: try "${suggestion}"` : '';
  return `"${id}" is not a slug (lowercase letters, digits and single - between them)${hint}`;
}

/** RFC 1123 host names; a numeric last label is a mistyped IPv4 address ("10.0.0.300"), not a name. */
function isHostname(text: string): boolean {
  const host = text.endsWith('.') ? text.slice(0, -1) : text;
  if (host.length === 0 || host.length > 253) return false;
  const labels = host.split('.');
  if (!labels.every((l) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(l))) return false;
  return !/^\d+$/.test(labels[labels.length - 1] ?? '');
}

/** Why `address` is not an IPv4/IPv6 literal or a host name, or undefined when it is one. */
export function addressProblem(address: string): string | undefined {
  if (isIP(address) !== 0 || isHostname(address)) return undefined;
  return `"${address}" is not an IP address or hostname`;
}

/** The form two spellings of one address share: `::0:1` and `::1`, `Router.Local` and `router.local.`. */
function addressKey(address: string): string {
  if (isIP(address) === 6) {
    try {
      return new URL(`http://[${address}]/`).hostname;
    } catch {
      return address.toLowerCase();
    }
  }
  return address.toLowerCase().replace(/\.$/, '');
}

/** Districts compared as an operator reads them: "Văn Giang" typed on a Mac (NFD) is the same district. */
const districtKey = (district: string) => district.normalize('NFC').trim();

// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const controlChars = /[\u0000-\u001f\u007f]/;

const text = (max: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !controlChars.test(s), 'must not contain control characters (line breaks, tabs)');

/** `district` becomes an InfluxDB tag on ping points, so it follows the wire's tag value rules. */
const districtSchema = text(wireLimits.tagValueMaxLength).refine(
  (s) => !s.endsWith('\\'),
  'must not end with a backslash',
);

/** A blank `parent:` or `lat:` in YAML is null: read it as "not set", as the operator meant. */
const unset = <S extends z.ZodType>(schema: S) =>
  z.preprocess((v) => (v === null ? undefined : v), schema.optional());

const degrees = (name: string, limit: number) =>
  z
    .number()
    .min(-limit, `must be between -${limit} and ${limit} (${name}, decimal degrees)`)
    .max(limit, `must be between -${limit} and ${limit} (${name}, decimal degrees)`);

const tagNamePattern = /^[a-z][a-z0-9_]*$/;

/** One endpoint, strict: an unknown key is an error naming it. */
export const endpointSchema = z
  .strictObject({
    id: z
      .string()
      .superRefine((id, ctx) => {
        const problem = idProblem(id);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .describe('stable slug naming the point in dashboards and alerts, e.g. "ubnd-van-giang"'),
    name: districtSchema.describe(
      'the office as people call it, e.g. "UBND xã Xuân Quan" (a tag on ping points: dashboards show it)',
    ),
    level: z
      .string({ error: (issue) => (issue.input === undefined ? 'required' : undefined) })
      .describe(
        "one of the registry's levels: province (departments, provincial core, aggregation nodes) or commune (communes, wards, special zones); district only in a three-tier registry",
      ),
    district: districtSchema
      .optional()
      .describe(
        'three-tier registries only (before July 2025): the district the point stands in; a two-tier registry keeps it as tags.former_district',
      ),
    parent: unset(z.string().min(1, 'must not be empty: leave parent out when there is none')).describe(
      'id of the point this one reaches the data center through; none: straight to the data center',
    ),
    address: z
      .string()
      .superRefine((address, ctx) => {
        const problem = addressProblem(address);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .describe('IPv4/IPv6 literal or host name the poller pings'),
    lat: unset(degrees('latitude', 90)).describe('latitude, decimal degrees (WGS84), for map panels'),
    lon: unset(degrees('longitude', 180)).describe('longitude, decimal degrees (WGS84), for map panels'),
    tags: z
      .record(z.string(), districtSchema)
      .superRefine((tags, ctx) => {
        for (const key of Object.keys(tags)) {
          if (!tagNamePattern.test(key) || key.length > wireLimits.nameMaxLength) {
            ctx.addIssue({
              code: 'custom',
              path: [key],
              message: 'tag name must be snake_case ([a-z][a-z0-9_]*)',
            });
          }
        }
      })
      .optional()
      .describe(
        `labels; ${pingGroupingTags.join(', ')} are grouping tags that travel on ping points and group dashboards and availability, e.g. { former_district: Văn Giang, carrier: vnpt, circuit: "HY-0123" }; other names stay in the registry`,
      ),
  })
  .superRefine(
    (e, ctx) => {
      const unsetLat = e.lat === undefined || e.lat === null;
      if (unsetLat !== (e.lon === undefined || e.lon === null)) {
        const [missing, set] = unsetLat ? ['lat', 'lon'] : ['lon', 'lat'];
        ctx.addIssue({ code: 'custom', path: [missing], message: `required when ${set} is set` });
      }
    },
    // Checked even when another key is wrong (then `e` is the raw input), so all problems show at once.
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  ) satisfies z.ZodType<Endpoint>;

/** One problem of one entry: `path` is inside the entry (`['parent']`, `['tags', 'Carrier']`). */
export interface EndpointProblem {
  index: number;
  path: PropertyKey[];
  message: string;
}

export interface ValidateOptions {
  /** How a message names another entry; `endpoints[3]` by default, `line 5` for a spreadsheet. */
  ref?: (index: number) => string;
  /** The registry's levels, from the top down; by default those {@link levelsOf} finds for the list. */
  levels?: readonly EndpointLevel[];
}

const defaultRef = (index: number) => `endpoints[${index}]`;

/** What cross-entry rules need of an entry, taken even from an entry that fails its own rules. */
interface Facts {
  index: number;
  id?: string | undefined;
  level?: string | undefined;
  hasDistrict: boolean;
  district?: string | undefined;
  parent?: string | undefined;
  address?: string | undefined;
}

function factsOf(raw: unknown, index: number): Facts {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  return {
    index,
    id: str(r.id),
    level: str(r.level),
    hasDistrict: r.district !== undefined,
    district: str(r.district),
    parent: str(r.parent),
    address: str(r.address),
  };
}

/** "a, b or c". */
const orList = (items: readonly string[]) =>
  items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;

function levelWordsHint(levels: readonly EndpointLevel[]): string {
  const words: Record<string, string> = {
    province: 'Tỉnh',
    district: 'Huyện',
    commune: levels.includes('district') ? 'Xã' : 'Xã/Phường/Đặc khu',
  };
  const known = levels.filter((l) => words[l]).map((l) => words[l]);
  return known.length > 0 ? ` (${known.join(', ')} in spreadsheets)` : '';
}

/** Each entry's rules that depend on the registry's levels: a known level, `district` only in three tiers. */
function levelProblems(facts: readonly Facts[], levels: readonly EndpointLevel[]): EndpointProblem[] {
  const problems: EndpointProblem[] = [];
  const threeTier = levels.includes('district');
  for (const f of facts) {
    if (f.level !== undefined && !levels.includes(f.level)) {
      const reform =
        f.level === 'district'
          ? ': districts were dissolved in July 2025, keep it as tags.former_district'
          : '';
      problems.push({
        index: f.index,
        path: ['level'],
        message: `"${f.level}" is not a level: use ${orList(levels)}${levelWordsHint(levels)}${reform}`,
      });
    }
    if (threeTier && !f.hasDistrict) {
      problems.push({ index: f.index, path: ['district'], message: 'required' });
    } else if (!threeTier && f.hasDistrict) {
      problems.push({
        index: f.index,
        path: ['district'],
        message: `the registry's levels (${levels.join(', ')}) have no district: a former district goes in tags.former_district`,
      });
    }
  }
  return problems;
}

/**
 * The rules that look across entries or need the registry's levels: a known level, unique ids and
 * addresses, parents that exist, the level rules of {@link parentLevelAllowed} (and, in a three-tier
 * registry, a commune's district point in its own district), no cycles. Entries that fail their own
 * rules still take part with whatever they have, so one broken entry does not hide, or fake, a problem
 * of another.
 */
export function crossEntryProblems(
  list: readonly unknown[],
  options: ValidateOptions = {},
): EndpointProblem[] {
  const ref = options.ref ?? defaultRef;
  const levels = options.levels ?? levelsOf({ endpoints: list });
  const facts = list.map(factsOf);
  const problems: EndpointProblem[] = levelProblems(facts, levels);
  const byId = new Map<string, Facts>();
  const byAddress = new Map<string, Facts>();
  for (const f of facts) {
    if (f.id !== undefined) {
      const first = byId.get(f.id);
      if (first)
        problems.push({
          index: f.index,
          path: ['id'],
          message: `"${f.id}" is already used at ${ref(first.index)}`,
        });
      else byId.set(f.id, f);
    }
    if (f.address !== undefined && addressProblem(f.address) === undefined) {
      const key = addressKey(f.address);
      const first = byAddress.get(key);
      if (first) {
        const owner = first.id ? `${first.id} (${ref(first.index)})` : ref(first.index);
        problems.push({
          index: f.index,
          path: ['address'],
          message: `"${f.address}" is already the address of ${owner}`,
        });
      } else byAddress.set(key, f);
    }
  }
  for (const f of facts) {
    if (f.parent === undefined) continue;
    const parent = byId.get(f.parent);
    if (!parent) {
      problems.push({
        index: f.index,
        path: ['parent'],
        message: `"${f.parent}" is not the id of any endpoint`,
      });
      continue;
    }
    if (parent === f || f.level === undefined || parent.level === undefined) continue;
    if (!parentLevelAllowed(levels, f.level, parent.level)) {
      problems.push({
        index: f.index,
        path: ['parent'],
        message: `"${f.parent}" is a ${parent.level} point: a ${f.level} point hangs off ${allowedParentText(levels, f.level)}`,
      });
    } else if (
      parent.level === 'district' &&
      f.district !== undefined &&
      parent.district !== undefined &&
      districtKey(f.district) !== districtKey(parent.district)
    ) {
      problems.push({
        index: f.index,
        path: ['parent'],
        message: `"${f.parent}" is the point of district ${parent.district}, not ${f.district}`,
      });
    }
  }
  for (const p of cycleProblems(byId)) problems.push(p);
  return problems.sort((a, b) => a.index - b.index);
}

/** Each cycle once, at its first entry, named the way it reads: `a → b → a`. */
function cycleProblems(byId: Map<string, Facts>): EndpointProblem[] {
  const problems: EndpointProblem[] = [];
  const state = new Map<string, 'walking' | 'done'>();
  for (const start of byId.values()) {
    const walked: string[] = [];
    let current: string | undefined = start.id;
    while (current !== undefined && !state.has(current)) {
      state.set(current, 'walking');
      walked.push(current);
      const parent: string | undefined = byId.get(current)?.parent;
      current = parent !== undefined && byId.has(parent) ? parent : undefined;
    }
    if (current !== undefined && state.get(current) === 'walking') {
      const cycle = walked.slice(walked.indexOf(current));
      const members = cycle.map((id) => byId.get(id) as Facts);
      const first = members.reduce((a, b) => (b.index < a.index ? b : a));
      const at = cycle.indexOf(first.id as string);
      const ordered = [...cycle.slice(at), ...cycle.slice(0, at), first.id as string];
      problems.push({
        index: first.index,
        path: ['parent'],
        message: `forms a cycle: ${ordered.join(' → ')}`,
      });
    }
    for (const id of walked) state.set(id, 'done');
  }
  return problems;
}

function issueMessage(issue: z.core.$ZodIssue, entry: unknown): string {
  const at = issue.path.reduce<unknown>(
    (v, k) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined),
    entry,
  );
  if (issue.code === 'invalid_type' && at === undefined) return 'required';
  if (issue.code === 'invalid_type') {
    const got = at === null ? 'null' : Array.isArray(at) ? 'list' : typeof at;
    return `expected ${issue.expected === 'object' ? 'a mapping' : issue.expected}, got ${got}`;
  }
  return issue.message.charAt(0).toLowerCase() + issue.message.slice(1);
}

/** Every problem of one entry on its own (types, unknown keys, id, address, lat/lon...). */
export function entryProblems(entry: unknown, index: number): EndpointProblem[] {
  const result = endpointSchema.safeParse(entry);
  if (result.success) return [];
  return result.error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ index, path: [...issue.path, key], message: 'unknown key' }))
      : [{ index, path: issue.path, message: issueMessage(issue, entry) }],
  );
}

/**
 * Every problem of a list of endpoints, at once, ordered by entry: each entry's own rules, then the
 * rules across entries (see {@link crossEntryProblems}). An empty result means the list is a valid
 * registry.
 *
 * @example
 * const problems = validateEndpoints([
 *   { id: 'a', name: 'A', level: 'commune', parent: 'b', address: '127.1.0.1' },
 *   { id: 'b', name: 'B', level: 'province', parent: 'a', address: '127.1.0.2' },
 * ]);
 * // [{ index: 0, path: ['parent'], message: 'forms a cycle: a → b → a' }, { index: 1, path: ['parent'], ... }]
 */
export function validateEndpoints(
  list: readonly unknown[],
  options: ValidateOptions = {},
): EndpointProblem[] {
  const own = list.flatMap((entry, index) => entryProblems(entry, index));
  return [...own, ...crossEntryProblems(list, options)].sort((a, b) => a.index - b.index);
}

const levelsSchema = z
  .array(
    z.string().regex(slugPattern, 'must be a slug (lowercase letters, digits and single - between them)'),
  )
  .min(1, 'at least one level is required')
  .max(6, 'at most 6 levels')
  .refine((l) => new Set(l).size === l.length, 'must not repeat a level')
  .optional()
  .describe(
    'the levels from the top of the network down; default [province, commune] (two-tier, since July 2025), or [province, district, commune] when entries carry district:',
  );

/**
 * Availability % a level is held to when the registry's `sla_targets:` does not say: the core and the
 * departments 99.5 % (about 3.6 h down a month), communes and former districts 99 % (about 7.3 h).
 */
export const defaultSlaTargets: Readonly<Record<string, number>> = {
  province: 99.5,
  district: 99,
  commune: 99,
};
const fallbackSlaTarget = 99;

/** The availability target of a level: the registry's, else the default, else 99 %. */
export function slaTargetOf(
  registry: Pick<Registry, 'slaTargets'> | undefined,
  level: EndpointLevel,
): number {
  return registry?.slaTargets?.[level] ?? defaultSlaTargets[level] ?? fallbackSlaTarget;
}

const slaTargetsSchema = z
  .record(z.string(), z.number().min(0, 'must be 0–100 (%)').max(100, 'must be 0–100 (%)'))
  .optional()
  .describe(
    'availability % each level is held to, e.g. { province: 99.5, commune: 99 }; a level left out takes its default (province 99.5, district and commune 99). The poller puts it on every ping point (sla_target_percent) for the monthly SLA dashboard.',
  );

/**
 * config/endpoints.yaml: `levels?: [province, commune]`, `sla_targets?: {province: 99.5, commune: 99}` and
 * `endpoints: [{id, name, level, parent?, address, lat?, lon?, tags?}]` (`district` in three-tier ones).
 */
export const endpointsFileSchema = z
  .strictObject({
    levels: levelsSchema,
    sla_targets: slaTargetsSchema,
    endpoints: z
      .array(endpointSchema)
      .min(1, 'at least one endpoint is required')
      .describe('the points of the dedicated network the poller pings'),
  })
  .superRefine(
    (file, ctx) => {
      if (!Array.isArray(file.endpoints)) return;
      const levels = levelsOf(file);
      for (const level of Object.keys(file.sla_targets ?? {})) {
        if (!levels.includes(level))
          ctx.addIssue({
            code: 'custom',
            path: ['sla_targets', level],
            message: `"${level}" is not one of the registry's levels (${levels.join(', ')})`,
          });
      }
      for (const p of crossEntryProblems(file.endpoints, { levels })) {
        ctx.addIssue({ code: 'custom', path: ['endpoints', p.index, ...p.path], message: p.message });
      }
    },
    // Run even when some entry failed its own rules, so every problem is listed at once.
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  )
  .transform(
    (file): Registry => ({
      levels: levelsOf(file),
      endpoints: file.endpoints,
      ...(file.sla_targets ? { slaTargets: file.sla_targets } : {}),
    }),
  );

export type EndpointsFile = z.output<typeof endpointsFileSchema>;

/**
 * Reads and validates an endpoints registry, two-tier or the old three-tier. Throws a ConfigError
 * listing every problem as `file:line:col endpoints[3].parent: "ubnd-x" is not the id of any endpoint`.
 *
 * @example
 * const { levels, endpoints } = loadRegistry('config/endpoints.yaml');
 * levels; // ['province', 'commune']
 */
export function loadRegistry(file: string, options?: LoadOptions): Registry {
  return loadConfig(file, endpointsFileSchema, options);
}

/** The endpoints of {@link loadRegistry}. */
export function loadEndpoints(file: string, options?: LoadOptions): Endpoint[] {
  return loadRegistry(file, options).endpoints;
}

/**
 * The grouping tags an endpoint's ping points carry: its `tags` named in {@link groupingTags}. An
 * entry of a three-tier registry gives its `district` as `former_district` unless it names one, so
 * dashboards grouping by former district show registries written before the reform too.
 */
export function groupingTagsOf(e: Endpoint): Record<string, string> {
  const out: Record<string, string> = {};
  if (e.district !== undefined) out.former_district = e.district;
  for (const key of groupingTags) {
    const value = e.tags?.[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
