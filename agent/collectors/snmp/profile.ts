import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../../../lib/config.js';
import { lookupMeasurement } from '../../../protocol/index.js';

/**
 * An SNMP profile: which OIDs to read for one kind of device. Device knowledge lives in YAML files
 * (config/snmp-profiles/*.yaml), never in code; the code only knows what each section means
 * (interfaces → snmp_interface, entity → snmp_entity, ups → ups, sensors → snmp_sensor and
 * environment) and how to turn a vendor module's columns into the catalogue's fields.
 *
 * Profiles compose: the profile named `standard` (no match) is applied to every device first, and a
 * device's own profile adds to it (its sections replace the standard's of the same name, its
 * modules are added). A module the device does not answer yields nothing and costs one request.
 */
const oid = z
  .string()
  .regex(/^1(\.(0|[1-9]\d*))+$/, 'must be a dotted numeric OID such as 1.3.6.1.2.1.1.5 (no leading dot)');

const atLeastOne = [
  (v: Record<string, unknown>) => Object.values(v).some((x) => x !== undefined),
  { message: 'must list at least one OID' },
] as const;

const interfacesSection = z
  .strictObject({
    descr: oid.optional().describe('ifDescr 1.3.6.1.2.1.2.2.1.2'),
    name: oid.optional().describe('ifName 1.3.6.1.2.1.31.1.1.1.1'),
    alias: oid.optional().describe('ifAlias 1.3.6.1.2.1.31.1.1.1.18'),
    admin_status: oid.optional().describe('ifAdminStatus 1.3.6.1.2.1.2.2.1.7'),
    oper_status: oid.optional().describe('ifOperStatus 1.3.6.1.2.1.2.2.1.8'),
    speed: oid.optional().describe('ifSpeed 1.3.6.1.2.1.2.2.1.5 (bits/s, saturates at 4294967295)'),
    high_speed: oid.optional().describe('ifHighSpeed 1.3.6.1.2.1.31.1.1.1.15 (Mbit/s)'),
    in_octets: oid.optional().describe('ifInOctets 1.3.6.1.2.1.2.2.1.10 (32-bit)'),
    out_octets: oid.optional().describe('ifOutOctets 1.3.6.1.2.1.2.2.1.16 (32-bit)'),
    hc_in_octets: oid.optional().describe('ifHCInOctets 1.3.6.1.2.1.31.1.1.1.6 (64-bit, preferred)'),
    hc_out_octets: oid.optional().describe('ifHCOutOctets 1.3.6.1.2.1.31.1.1.1.10 (64-bit, preferred)'),
    in_errors: oid.optional(),
    out_errors: oid.optional(),
    in_discards: oid.optional(),
    out_discards: oid.optional(),
    counter_discontinuity_time: oid
      .optional()
      .describe('ifCounterDiscontinuityTime 1.3.6.1.2.1.31.1.1.1.19: a change means no rate this poll'),
  })
  .refine(...atLeastOne);

export const entityClasses = {
  1: 'other',
  2: 'unknown',
  3: 'chassis',
  4: 'backplane',
  5: 'container',
  6: 'powerSupply',
  7: 'fan',
  8: 'sensor',
  9: 'module',
  10: 'port',
  11: 'stack',
  12: 'cpu',
  13: 'energyObject',
  14: 'battery',
  15: 'storageDrive',
} as const satisfies Record<number, string>;

const entityClassName = z.enum(Object.values(entityClasses) as [string, ...string[]]);

const entitySection = z.strictObject({
  classes: z
    .array(entityClassName)
    .min(1)
    .default(['chassis', 'module', 'powerSupply', 'fan', 'stack'])
    .describe('entPhysicalClass values reported (ports and containers are usually noise)'),
  class: oid.describe('entPhysicalClass 1.3.6.1.2.1.47.1.1.1.1.5'),
  name: oid.optional(),
  descr: oid.optional(),
  model: oid.optional(),
  serial: oid.optional(),
  manufacturer: oid.optional(),
  hardware_rev: oid.optional(),
  firmware_rev: oid.optional(),
  software_rev: oid.optional(),
  contained_in: oid.optional(),
  is_fru: oid.optional(),
});

const upsSection = z
  .strictObject({
    battery_status: oid.optional().describe('upsBatteryStatus 1.3.6.1.2.1.33.1.2.1.0'),
    seconds_on_battery: oid.optional(),
    minutes_remaining: oid.optional(),
    charge_percent: oid.optional(),
    battery_temperature: oid.optional(),
    output_source: oid.optional(),
    alarms_present: oid.optional(),
    input_voltage: oid
      .optional()
      .describe('column, one row per input line: upsInputVoltage 1.3.6.1.2.1.33.1.3.3.1.3'),
    output_power: oid.optional().describe('column: upsOutputPower 1.3.6.1.2.1.33.1.4.4.1.4'),
    output_percent_load: oid.optional().describe('column: upsOutputPercentLoad 1.3.6.1.2.1.33.1.4.4.1.5'),
  })
  .refine(...atLeastOne);

const sensorsSection = z.strictObject({
  type: oid.describe(
    'entPhySensorType 1.3.6.1.2.1.99.1.1.1.1 (3 voltsAC … 8 celsius, 9 percentRH, 10 rpm …)',
  ),
  scale: oid.describe('entPhySensorScale 1.3.6.1.2.1.99.1.1.1.2'),
  precision: oid.describe('entPhySensorPrecision 1.3.6.1.2.1.99.1.1.1.3'),
  value: oid.describe('entPhySensorValue 1.3.6.1.2.1.99.1.1.1.4'),
  oper_status: oid.optional().describe('entPhySensorOperStatus 1.3.6.1.2.1.99.1.1.1.5 (1 ok)'),
  units_display: oid
    .optional()
    .describe('entPhySensorUnitsDisplay 1.3.6.1.2.1.99.1.1.1.6: tells dBm sensors typed other(1)'),
  name: oid.optional().describe('entPhysicalName 1.3.6.1.2.1.47.1.1.1.1.7, names the sensor'),
  descr: oid
    .optional()
    .describe('entPhysicalDescr 1.3.6.1.2.1.47.1.1.1.1.2, names it when the name is empty'),
  contained_in: oid
    .optional()
    .describe('entPhysicalContainedIn 1.3.6.1.2.1.47.1.1.1.1.4: sensors of one probe become one point'),
  environment: z
    .boolean()
    .default(false)
    .describe(
      'also write temperature/humidity as environment points, one per probe (room probes, not switch internals)',
    ),
});

const fieldName = z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be snake_case');
const rawValue = z.union([z.number(), z.string(), z.boolean()]);

/** Where one field or tag of a vendor module comes from, and how its raw value becomes the catalogue's. */
const sourceSchema = z.strictObject({
  oid: oid.describe('scalar (ending in .0) for a scalar module, column for a table module'),
  divide: z
    .number()
    .positive()
    .optional()
    .describe('raw ÷ this (tenths → 10, TimeTicks → minutes 6000); integer fields are then floored'),
  map: z
    .record(
      z
        .string()
        .regex(
          /^(-?\d+|\d+(\.\d+)+)$/,
          'must be an integer (the raw enumeration value) or a dotted OID (an OBJECT IDENTIFIER value)',
        ),
      rawValue,
    )
    .optional()
    .describe('raw enumeration (or OID value) → stored value; a raw value not listed leaves the field out'),
});

export type Source = z.output<typeof sourceSchema>;

/** Measurements a vendor module may write, and the tags its table rows may set. */
export const moduleMeasurements = ['ups', 'pdu', 'environment', 'snmp_device'] as const;

const moduleSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lowercase letters, digits and -')
      .describe('names the module in snmp_poll warnings'),
    measurement: z.enum(moduleMeasurements),
    scalars: z
      .record(fieldName, sourceSchema)
      .optional()
      .describe("fields read with one GET; they join the device's one point of the measurement"),
    table: z
      .strictObject({
        tags: z.record(fieldName, sourceSchema).describe('columns naming each row (text, or map)'),
        fields: z.record(fieldName, sourceSchema),
        present: z
          .array(z.strictObject({ oid, in: z.array(z.number().int()).min(1) }))
          .optional()
          .describe(
            'a row is kept only when each of these columns holds one of its values (sensor online, unit °C)',
          ),
      })
      .optional()
      .describe('one point per row of a table walked column by column'),
  })
  .superRefine((m, ctx) => {
    if ((m.scalars === undefined) === (m.table === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'needs exactly one of scalars or table' });
      return;
    }
    const spec = lookupMeasurement(m.measurement);
    if (!spec) return;
    const checkFields = (fields: Record<string, Source>, path: (string | number)[]) => {
      for (const [name, source] of Object.entries(fields)) {
        const field = Object.hasOwn(spec.fields, name) ? spec.fields[name] : undefined;
        if (!field) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, name],
            message: `unknown field for ${spec.name} (known: ${Object.keys(spec.fields).join(', ')})`,
          });
        } else if (field.type === 'boolean' && !source.map) {
          ctx.addIssue({ code: 'custom', path: [...path, name], message: 'a boolean field needs map' });
        }
      }
    };
    if (m.scalars) checkFields(m.scalars, ['scalars']);
    if (m.table) {
      checkFields(m.table.fields, ['table', 'fields']);
      for (const tag of Object.keys(m.table.tags)) {
        if (tag === 'device' || !spec.tags.includes(tag)) {
          ctx.addIssue({
            code: 'custom',
            path: ['table', 'tags', tag],
            message: `not a row tag of ${spec.name} (known: ${spec.tags.filter((t) => t !== 'device' && t !== 'zone').join(', ')})`,
          });
        }
      }
    }
  });

export type ModuleSpec = z.output<typeof moduleSchema>;

export const profileSchema = z.strictObject({
  description: z.string().min(1),
  match: z
    .strictObject({
      sys_object_id: z
        .array(oid)
        .min(1)
        .describe('sysObjectID prefixes (whole arcs); the longest match wins'),
    })
    .optional()
    .describe('without match the profile is used only by devices naming it'),
  serial: oid.optional().describe('scalar OID holding the serial number, for devices without ENTITY-MIB'),
  standard: z
    .boolean()
    .default(true)
    .describe('also read what the `standard` profile lists (false: only this profile)'),
  interfaces: interfacesSection.optional(),
  entity: entitySection.optional(),
  ups: upsSection.optional(),
  sensors: sensorsSection.optional(),
  modules: z.array(moduleSchema).optional().describe('vendor MIB modules, each read when the device answers'),
});

export type ProfileSpec = z.output<typeof profileSchema>;
export interface Profile extends ProfileSpec {
  name: string;
  file: string;
}

/** The profile applied to every device before its own, when the profiles directory has one. */
export const STANDARD = 'standard';

/**
 * What one device is polled with: `own` (named or matched, may be undefined) on top of the standard
 * profile. Sections of `own` replace the standard's; modules add up. `name` is the own profile's.
 */
export function composeProfile(
  profiles: ReadonlyMap<string, Profile>,
  own: Profile | undefined,
): ProfileSpec & { name: string | undefined; vendorModules: string[] } {
  const standard = own?.standard === false ? undefined : profiles.get(STANDARD);
  const base: Partial<ProfileSpec> = standard ?? {};
  const top: Partial<ProfileSpec> = own ?? {};
  return {
    description: own?.description ?? standard?.description ?? '',
    standard: own?.standard ?? true,
    serial: top.serial ?? base.serial,
    interfaces: top.interfaces ?? base.interfaces,
    entity: top.entity ?? base.entity,
    ups: top.ups ?? base.ups,
    sensors: top.sensors ?? base.sensors,
    modules: [...(base.modules ?? []), ...(top.modules ?? [])],
    name: own?.name,
    vendorModules: (own?.name === STANDARD ? [] : (own?.modules ?? [])).map((m) => m.name),
  };
}

/** The installation's config/snmp-profiles, from the source tree or from dist/. */
export function defaultProfilesDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const candidates = [
    resolve(here, '../../../config/snmp-profiles'),
    resolve(here, '../../../../config/snmp-profiles'),
  ];
  return candidates.find((d) => existsSync(d)) ?? (candidates[0] as string);
}

/**
 * Loads and validates every `*.yaml` in `dir`. All problems of all files are reported at once,
 * each as `file:line:col path: message`.
 */
export function loadProfiles(dir: string): Map<string, Profile> {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .sort();
  } catch (err) {
    throw new Error(`snmp profiles: cannot read ${dir}`, { cause: err });
  }
  if (files.length === 0) throw new Error(`snmp profiles: no *.yaml file in ${dir}`);
  const profiles = new Map<string, Profile>();
  const problems: string[] = [];
  for (const f of files) {
    const file = join(dir, f);
    try {
      profiles.set(basename(f, '.yaml'), {
        ...loadConfig(file, profileSchema),
        name: basename(f, '.yaml'),
        file,
      });
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems);
      else throw err;
    }
  }
  const standard = profiles.get(STANDARD);
  if (standard?.match) {
    problems.push(
      `${standard.file}:1:1 match: the standard profile applies to every device and matches nothing`,
    );
  }
  const owner = new Map<string, string>();
  for (const p of profiles.values()) {
    for (const prefix of p.match?.sys_object_id ?? []) {
      const other = owner.get(prefix);
      if (other)
        problems.push(
          `${p.file}:${positionOf(p.file, prefix)} match.sys_object_id: prefix ${prefix} is also matched by profile "${other}"`,
        );
      else owner.set(prefix, p.name);
    }
  }
  if (problems.length > 0) throw new ConfigError(dir, problems);
  return profiles;
}

/** `line:col` of `oid` written as a whole OID after `sys_object_id` in `file` (1:1 when not found). */
function positionOf(file: string, oid: string): string {
  const text = readFileSync(file, 'utf8');
  const from = Math.max(0, text.indexOf('sys_object_id'));
  const m = new RegExp(`(?<![\\d.])${oid.replaceAll('.', '\\.')}(?![\\d.])`).exec(text.slice(from));
  if (!m) return '1:1';
  const before = text.slice(0, from + m.index).split('\n');
  return `${before.length}:${(before.at(-1)?.length ?? 0) + 1}`;
}

/** True when `oid` equals `prefix` or lies below it (whole arcs: 1.3.6.1.4.1.9 is not a prefix of …1.99). */
export function oidHasPrefix(oid: string, prefix: string): boolean {
  return oid === prefix || oid.startsWith(`${prefix}.`);
}

/** The profile whose sys_object_id prefix is the longest match, or undefined. */
export function matchProfile(
  profiles: ReadonlyMap<string, Profile>,
  sysObjectId: string,
): Profile | undefined {
  let best: Profile | undefined;
  let bestLength = -1;
  for (const p of profiles.values()) {
    for (const prefix of p.match?.sys_object_id ?? []) {
      if (oidHasPrefix(sysObjectId, prefix) && prefix.length > bestLength) {
        best = p;
        bestLength = prefix.length;
      }
    }
  }
  return best;
}
