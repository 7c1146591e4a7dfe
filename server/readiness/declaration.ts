import { z } from 'zod';
import { type LoadOptions, loadConfig } from '../../lib/config.js';
import { criterionIds } from './criteria.js';

/**
 * config/datacenter.yaml: what operators declare about each data-center site (rooms, UPSes,
 * generators, cooling, paths, providers, core switches, sensors…) and the SNMP devices that give live
 * evidence for it. The readiness evaluator reads it with the poller's measurements.
 */

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a slug: lowercase letters, digits and -');
/** A calendar date written YYYY-MM-DD (YAML keeps it a string). */
const isoDate = () =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
    .refine(
      (d) =>
        !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d),
      {
        message: 'is not a calendar date',
      },
    );
const deviceName = z
  .string()
  .min(1)
  .max(128)
  .describe("the device name as in the poller's snmp collector config (the `device` tag)");

/** Who says so: a document, when, and who checked it. Shown beside every declared fact in the scorecard. */
export const evidenceSchema = z
  .strictObject({
    document: z.string().min(1).describe('document reference, e.g. "HS-ĐIỆN-2025-07 (as-built drawings)"'),
    date: isoDate().optional().describe('date of the document or of the check'),
    checked_by: z.string().min(1).optional().describe('who checked it'),
  })
  .describe('where the declared fact comes from');
export type DeclaredEvidence = z.output<typeof evidenceSchema>;

/**
 * A declared fact: either the bare value (`power_paths: single`) or the value with its evidence
 * (`power_paths: { value: single, evidence: { document: …, date: …, checked_by: … } }`).
 */
function fact<S extends z.ZodType>(value: S) {
  const schema = z.preprocess(
    (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v : { value: v }),
    z.strictObject({ value, evidence: evidenceSchema.optional() }),
  );
  factValues.set(schema, value);
  return schema;
}

/**
 * The value schema of every fact, so the JSON Schema for editors (lib/json-schema.ts) offers both
 * forms, bare value or `{ value, evidence }`, where zod's own export sees only the second.
 */
export const factValues = new WeakMap<z.ZodType, z.ZodType>();
export interface Fact<T> {
  value: T;
  evidence?: DeclaredEvidence | undefined;
}

export const upsRedundancyLevels = ['N', 'N+1', '2N', '2(N+1)'] as const;
export const generatorRedundancyLevels = ['none', 'N', 'N+1', '2N'] as const;
export const coolingRedundancyLevels = ['N', 'N+1', '2N'] as const;
export const pathKinds = ['single', 'active_alternate', 'dual_active'] as const;
export const fireSuppressionKinds = ['none', 'code', 'pre_action', 'clean_agent'] as const;
export const accessControlKinds = ['none', 'lock', 'card', 'card_cctv', 'card_cctv_mantrap'] as const;
export const nocHoursKinds = ['none', 'business_hours', '24x7'] as const;

const device = z.strictObject({
  name: deviceName,
  role: z.enum(['ups', 'switch', 'router', 'sensor', 'pdu', 'other']).describe('what the device is'),
});

const room = z.strictObject({
  id: slug,
  name: z.string().min(1).optional(),
  kind: z
    .enum(['computer_room', 'entrance_room', 'noc', 'electrical_room', 'mechanical_room', 'other'])
    .describe('entrance rooms are counted for T1; computer rooms give the floor loading for A1'),
  floor_load_kpa: z.number().positive().optional().describe('rated floor loading, kPa (A1)'),
  evidence: evidenceSchema.optional(),
});

const upsUnit = z.strictObject({
  id: slug,
  device: deviceName.describe('the SNMP device reporting this UPS (role ups)'),
  capacity_kw: z.number().positive().describe('rated real-power capacity, kW'),
  capacity_kva: z.number().positive().optional().describe('rated apparent-power capacity, kVA (informative)'),
  path: z.enum(['A', 'B']).describe('the power path this UPS feeds'),
  evidence: evidenceSchema.optional(),
});

const generator = z.strictObject({
  id: slug,
  capacity_kw: z.number().positive(),
  fuel_autonomy_hours: z.number().nonnegative().describe('hours of running at N load on the stored fuel'),
  evidence: evidenceSchema.optional(),
});

const utilityFeed = z.strictObject({
  id: slug,
  name: z.string().min(1).optional().describe('substation / line'),
  evidence: evidenceSchema.optional(),
});

/** A `pdu` tag value: written as a number or a string in YAML, compared as the poller's string tag. */
const pduTag = z.union([z.number().int().nonnegative(), z.string().min(1)]).transform(String);

const rackPdu = z.strictObject({
  rack: z.string().min(1),
  feed: z.enum(['A', 'B']),
  device: deviceName.describe('the SNMP device reporting this PDU (role pdu)'),
  phase: pduTag
    .default('1')
    .describe('the `phase` tag of the `pdu` row that measures this feed (APC rPDULoadStatusPhaseNumber)'),
  bank: pduTag
    .default('0')
    .describe('the `bank` tag of that row: 0 is the phase as a whole, 1.. an outlet bank'),
  rated_current_a: z
    .number()
    .positive()
    .describe(
      'rated current of this feed (PDU phase or bank breaker), A: the sum of both feeds must fit in it',
    ),
  evidence: evidenceSchema.optional(),
});

export const contactKinds = ['leak', 'smoke', 'door'] as const;

const contact = z.strictObject({
  device: deviceName,
  sensor: z
    .string()
    .min(1)
    .describe(
      'the `sensor` tag of the probe\'s contact (NetBotz/AKCP/APC label, e.g. "Leak rope under floor")',
    ),
  kind: z
    .enum(contactKinds)
    .describe(
      'what is wired to it: read from the `leak` / `smoke` / `door_open` field, else from `contact_alarm`',
    ),
  room: slug.describe('the room (under rooms) it watches'),
});

const coolingUnit = z.strictObject({
  id: slug,
  capacity_kw: z.number().positive(),
  path: z.enum(['A', 'B']),
  evidence: evidenceSchema.optional(),
});

const sensorRef = z.strictObject({
  device: deviceName,
  sensor: z.string().min(1).describe("the `sensor` tag the poller writes (the probe's entPhysicalName)"),
  zone: z.string().min(1).optional(),
  rack: z.string().min(1).optional(),
});

const uplink = z.strictObject({
  device: deviceName,
  if_name: z.string().min(1).describe('the `if_name` tag (ifName) of the uplink interface'),
  neighbour: z.string().min(1).optional().describe('what is at the other end (provider router, other core)'),
});

const provider = z.strictObject({
  id: slug,
  name: z.string().min(1),
  entrance_room: slug.optional().describe('the entrance room its cables arrive in'),
  uplinks: z.array(uplink).min(1, 'a provider needs at least one uplink interface'),
  evidence: evidenceSchema.optional(),
});

const coreSwitch = z.strictObject({
  device: deviceName,
  psus: z.number().int().min(1).describe('power supplies fitted (T5: 2 or more is redundant)'),
  uplinks: z
    .array(uplink.omit({ device: true }))
    .default([])
    .describe("uplinks of this core switch (T6), besides the providers' uplinks on it"),
  evidence: evidenceSchema.optional(),
});

const risk = z.strictObject({
  risk: z.string().min(1).describe('flood plain, seismic zone, flight path, …'),
  grade: z.enum(['low', 'medium', 'high']),
});

export const datacenterSiteSchema = z.strictObject({
  id: slug.describe("this data-center site's id (the `dc_site` tag of the readiness points)"),
  name: z.string().min(1),
  site_id: slug.describe('the hatang site (server.yaml auth.sites) whose poller reports these devices'),
  target_rating: z.number().int().min(1).max(4).describe('the TIA-942 rating aimed at: 1..4'),
  devices: z.array(device).default([]).describe('every SNMP device referred to below'),
  rooms: z.array(room).default([]),
  electrical: z
    .strictObject({
      ups_units: z.array(upsUnit).default([]),
      ups_redundancy: fact(z.enum(upsRedundancyLevels)).optional().describe('E1, as designed'),
      power_paths: fact(z.enum(pathKinds)).optional().describe('E2'),
      generators: z.array(generator).default([]),
      generator_redundancy: fact(z.enum(generatorRedundancyLevels)).optional().describe('E3'),
      utility_feeds: z.array(utilityFeed).default([]).describe('E7'),
      utility_feeds_diverse: fact(z.boolean())
        .optional()
        .describe('E7: the feeds come from diverse substations'),
      ats_present: fact(z.boolean()).optional().describe('E8'),
      dual_corded_it_percent: fact(z.number().min(0).max(100)).optional().describe('E6'),
      rack_pdus: z.array(rackPdu).default([]).describe('E6 live: PDUs per rack and feed'),
      concurrent_maintenance_tested: fact(isoDate())
        .optional()
        .describe('E9: date of the last test that took a component out without stopping IT'),
    })
    .prefault({}),
  mechanical: z
    .strictObject({
      cooling_units: z.array(coolingUnit).default([]),
      cooling_redundancy: fact(z.enum(coolingRedundancyLevels)).optional().describe('M1'),
      cooling_paths: fact(z.enum(pathKinds)).optional().describe('M2'),
      continuous_cooling: fact(z.boolean()).optional().describe('M3'),
      leak_detection: fact(z.boolean()).optional().describe('M4: leak detection installed'),
      contacts: z
        .array(contact)
        .default([])
        .describe(
          'probe contacts the poller reads: leak (M4 live), smoke and door (informative evidence for M5 and A2)',
        ),
      fire_suppression: fact(z.enum(fireSuppressionKinds)).optional().describe('M5'),
      fire_compartmentalised: fact(z.boolean()).optional().describe('M5 at Rated-4'),
      inlet_sensors: z.array(sensorRef).default([]).describe('M6: rack inlet temperature/humidity probes'),
    })
    .prefault({}),
  telecom: z
    .strictObject({
      access_providers: z.array(provider).default([]).describe('T2'),
      diverse_entrance_pathways: fact(z.boolean()).optional().describe('T3'),
      entrance_pathway_separation_m: fact(z.number().nonnegative()).optional().describe('T3'),
      redundant_backbone_cabling: fact(z.boolean()).optional().describe('T4'),
      core_switches: z.array(coreSwitch).default([]).describe('T5, T6'),
      secondary_distribution_area: fact(z.boolean()).optional().describe('T5 at Rated-4'),
    })
    .prefault({}),
  architectural: z
    .strictObject({
      access_control: fact(z.enum(accessControlKinds)).optional().describe('A2'),
      noc_hours: fact(z.enum(nocHoursKinds)).optional().describe('A3'),
      compartmentalised_a_b: fact(z.boolean()).optional().describe('A5'),
      site_risks: z
        .strictObject({ risks: z.array(risk).default([]), evidence: evidenceSchema.optional() })
        .optional()
        .describe('A6: the site risk assessment'),
    })
    .prefault({}),
  notes: z
    .record(z.string(), z.string().min(1))
    .default({})
    .describe(
      'an operator\'s note per criterion id, shown in the scorecard (e.g. E9: "test planned for 2026-Q3")',
    ),
});

type Problem = { path: (string | number)[]; message: string };

/** Cross-field rules: unique ids, references to declared devices and rooms, known criterion ids. */
function siteProblems(site: z.output<typeof datacenterSiteSchema>): Problem[] {
  const problems: Problem[] = [];
  const duplicates = <T>(
    items: readonly T[],
    key: (t: T) => string,
    path: (i: number) => (string | number)[],
    what: string,
  ) => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      const k = key(item);
      if (seen.has(k)) problems.push({ path: path(i), message: `duplicate ${what} "${k}"` });
      seen.add(k);
    });
  };
  duplicates(
    site.devices,
    (d) => d.name,
    (i) => ['devices', i, 'name'],
    'device',
  );
  duplicates(
    site.rooms,
    (r) => r.id,
    (i) => ['rooms', i, 'id'],
    'room id',
  );
  duplicates(
    site.electrical.ups_units,
    (u) => u.id,
    (i) => ['electrical', 'ups_units', i, 'id'],
    'UPS id',
  );
  duplicates(
    site.electrical.generators,
    (g) => g.id,
    (i) => ['electrical', 'generators', i, 'id'],
    'generator id',
  );
  duplicates(
    site.mechanical.cooling_units,
    (u) => u.id,
    (i) => ['mechanical', 'cooling_units', i, 'id'],
    'cooling unit id',
  );
  duplicates(
    site.telecom.access_providers,
    (p) => p.id,
    (i) => ['telecom', 'access_providers', i, 'id'],
    'provider id',
  );
  duplicates(
    site.telecom.core_switches,
    (c) => c.device,
    (i) => ['telecom', 'core_switches', i, 'device'],
    'core switch',
  );

  const roles = new Map(site.devices.map((d) => [d.name, d.role]));
  const known = [...roles.keys()].join(', ') || 'none declared';
  const ref = (name: string, path: (string | number)[], ...allowed: string[]) => {
    const has = roles.get(name);
    if (has === undefined)
      problems.push({ path, message: `unknown device "${name}" (declared under devices: ${known})` });
    else if (allowed.length > 0 && !allowed.includes(has))
      problems.push({ path, message: `device "${name}" is declared as ${has}, not ${allowed.join(' or ')}` });
  };
  site.electrical.ups_units.forEach(
    (u, i) => void ref(u.device, ['electrical', 'ups_units', i, 'device'], 'ups'),
  );
  site.electrical.rack_pdus.forEach(
    (p, i) => void ref(p.device, ['electrical', 'rack_pdus', i, 'device'], 'pdu'),
  );
  const feeds = new Set<string>();
  site.electrical.rack_pdus.forEach((p, i) => {
    const k = `${p.rack}\u0000${p.feed}`;
    if (feeds.has(k))
      problems.push({
        path: ['electrical', 'rack_pdus', i, 'feed'],
        message: `rack "${p.rack}" has feed ${p.feed} declared twice (one PDU row per rack and feed)`,
      });
    feeds.add(k);
  });
  site.mechanical.contacts.forEach((c, i) => {
    ref(c.device, ['mechanical', 'contacts', i, 'device']);
    if (!site.rooms.some((r) => r.id === c.room))
      problems.push({
        path: ['mechanical', 'contacts', i, 'room'],
        message: `no room "${c.room}" under rooms (known: ${site.rooms.map((r) => r.id).join(', ') || 'none declared'})`,
      });
  });
  site.mechanical.inlet_sensors.forEach(
    (s, i) => void ref(s.device, ['mechanical', 'inlet_sensors', i, 'device']),
  );
  site.telecom.access_providers.forEach((p, i) => {
    p.uplinks.forEach(
      (u, j) => void ref(u.device, ['telecom', 'access_providers', i, 'uplinks', j, 'device']),
    );
    const room = p.entrance_room;
    if (room !== undefined && !site.rooms.some((r) => r.id === room && r.kind === 'entrance_room')) {
      problems.push({
        path: ['telecom', 'access_providers', i, 'entrance_room'],
        message: `no entrance room "${room}" under rooms`,
      });
    }
  });
  site.telecom.core_switches.forEach(
    (c, i) => void ref(c.device, ['telecom', 'core_switches', i, 'device'], 'switch', 'router'),
  );
  for (const id of Object.keys(site.notes)) {
    if (!(criterionIds as readonly string[]).includes(id)) {
      problems.push({
        path: ['notes', id],
        message: `unknown criterion id "${id}" (known: ${criterionIds.join(', ')})`,
      });
    }
  }
  return problems;
}

export const datacenterConfigSchema = z
  .strictObject({
    sites: z.array(datacenterSiteSchema).min(1, 'at least one data-center site is required'),
  })
  .superRefine((cfg, ctx) => {
    const ids = new Set<string>();
    cfg.sites.forEach((site, i) => {
      if (ids.has(site.id))
        ctx.addIssue({ code: 'custom', path: ['sites', i, 'id'], message: `duplicate site id "${site.id}"` });
      ids.add(site.id);
      for (const p of siteProblems(site))
        ctx.addIssue({ code: 'custom', path: ['sites', i, ...p.path], message: p.message });
    });
  });

export type DatacenterConfig = z.output<typeof datacenterConfigSchema>;
export type DatacenterSite = DatacenterConfig['sites'][number];

/**
 * Reads and checks config/datacenter.yaml; throws a ConfigError listing every problem with
 * file:line:col.
 */
export function loadDatacenter(
  file: string,
  options: LoadOptions & {
    /** The hatang sites of server.yaml: a `site_id` outside them would never get evidence. */
    siteIds?: readonly string[];
  } = {},
): DatacenterConfig {
  const { siteIds, ...load } = options;
  if (!siteIds) return loadConfig(file, datacenterConfigSchema, load);
  const known = siteIds.join(', ');
  const schema = datacenterConfigSchema.superRefine((cfg, ctx) => {
    cfg.sites.forEach((s, i) => {
      if (!siteIds.includes(s.site_id))
        ctx.addIssue({
          code: 'custom',
          path: ['sites', i, 'site_id'],
          message: `no site "${s.site_id}" in server.yaml auth.sites (known: ${known}): its poller could never report`,
        });
    });
  });
  return loadConfig(file, schema, load);
}
