import type { Varbind } from 'net-snmp';
import { environment, type FieldValue, snmpSensor } from '../../../protocol/index.js';
import type { CollectedPoint } from '../../collector.js';
import type { ProfileSpec } from './profile.js';
import type { Columns } from './session.js';
import { asInt, asText, tagValue } from './values.js';

type SensorsSection = NonNullable<ProfileSpec['sensors']>;

/** RFC 3433 EntitySensorDataType → the `type` tag (14 is Cisco's dBm, which several vendors reuse). */
export const sensorTypes: Record<number, string> = {
  1: 'other',
  2: 'unknown',
  3: 'volts_ac',
  4: 'volts_dc',
  5: 'amperes',
  6: 'watts',
  7: 'hertz',
  8: 'celsius',
  9: 'percent_rh',
  10: 'rpm',
  11: 'cmm',
  12: 'truthvalue',
  14: 'dbm',
};

/** RFC 3433 SensorDataScale → power of ten (note exa(14) comes before peta(15) in the MIB). */
const sensorScaleExponent: Record<number, number> = {
  1: -24,
  2: -21,
  3: -18,
  4: -15,
  5: -12,
  6: -9,
  7: -6,
  8: -3,
  9: 0,
  10: 3,
  11: 6,
  12: 9,
  13: 12,
  14: 18,
  15: 15,
  16: 21,
  17: 24,
};

interface Sensor {
  index: string;
  type: string;
  name: string;
  parent: string | undefined;
  value: number | undefined;
  fields: Record<string, FieldValue>;
}

/**
 * The sensors of one device as snmp_sensor points (every type, each named after itself), plus, when
 * the profile asks (`environment: true`), its temperature and humidity as environment points grouped
 * per probe. `cols` holds the section's columns walked whole (entPhysicalName and entPhysicalDescr of
 * every entity: a sensor's probe is usually not a sensor itself).
 */
export function sensorPoints(
  s: SensorsSection,
  cols: Columns,
  device: string,
  zone: string | undefined,
  time: number,
): CollectedPoint[] {
  const cell = (column: string | undefined, index: string): Varbind | undefined =>
    column ? cols.get(column)?.get(index) : undefined;
  // LibreNMS's rule: entPhysicalName, else entPhysicalDescr; a number only when the device has neither.
  const nameOf = (index: string) =>
    tagValue(asText(cell(s.name, index)) || asText(cell(s.descr, index)), `sensor-${index}`);
  const sensors: Sensor[] = [];
  for (const index of [...(cols.get(s.type)?.keys() ?? [])].sort((a, b) => Number(a) - Number(b))) {
    const typeId = asInt(cell(s.type, index));
    if (typeId === undefined) continue;
    const units = asText(cell(s.units_display, index));
    let type = sensorTypes[typeId] ?? 'other';
    // Arista and others type optical levels other(1) and say so in the units.
    if (type === 'other' && units && /^dbm$/i.test(units.trim())) type = 'dbm';
    const status = asInt(cell(s.oper_status, index));
    const raw = asInt(cell(s.value, index));
    const exponent = sensorScaleExponent[asInt(cell(s.scale, index)) ?? 9];
    const precision = asInt(cell(s.precision, index)) ?? 0;
    const fields: Record<string, FieldValue> = {};
    if (status !== undefined) fields.oper_status = status;
    if (units) fields.units_display = units;
    let value: number | undefined;
    // A value is a reading only while the sensor is ok(1) (RFC 3433: otherwise it is stale or meaningless).
    if ((status === undefined || status === 1) && raw !== undefined && exponent !== undefined) {
      value = Math.round(raw * 10 ** (exponent - precision) * 1e6) / 1e6;
      fields.value = value;
    }
    const parentIndex = asInt(cell(s.contained_in, index));
    sensors.push({
      index,
      type,
      name: nameOf(index),
      parent: parentIndex !== undefined && parentIndex > 0 ? String(parentIndex) : undefined,
      value,
      fields,
    });
  }
  const points: CollectedPoint[] = sensors
    .filter((x) => Object.keys(x.fields).length > 0)
    .map((x) => ({
      measurement: snmpSensor.name,
      tags: { device, ent_index: x.index, sensor: x.name, type: x.type },
      fields: x.fields,
      time,
    }));
  if (s.environment) points.push(...environmentPoints(sensors, nameOf, device, zone, time));
  return points;
}

const environmentField: Record<string, 'temperature_c' | 'humidity_percent'> = {
  celsius: 'temperature_c',
  percent_rh: 'humidity_percent',
};

/**
 * One environment point per probe: the temperature and humidity sensors contained in one entity are
 * read together (so dew point can be computed) and named after that entity. A sensor standing alone,
 * or one of two of a kind in its probe, is a point of its own named after itself.
 */
function environmentPoints(
  sensors: readonly Sensor[],
  nameOf: (index: string) => string,
  device: string,
  zone: string | undefined,
  time: number,
): CollectedPoint[] {
  const relevant = sensors.filter((x) => environmentField[x.type] && x.value !== undefined);
  const kindsPerParent = new Map<string, Map<string, number>>();
  for (const x of relevant) {
    if (!x.parent) continue;
    const kinds = kindsPerParent.get(x.parent) ?? new Map<string, number>();
    kinds.set(x.type, (kinds.get(x.type) ?? 0) + 1);
    kindsPerParent.set(x.parent, kinds);
  }
  const probes = new Map<string, { sensor: string; fields: Record<string, number> }>();
  for (const x of relevant) {
    const shared =
      x.parent !== undefined && [...(kindsPerParent.get(x.parent)?.values() ?? [])].every((n) => n === 1);
    const key = shared ? `p${x.parent}` : `s${x.index}`;
    const probe = probes.get(key) ?? { sensor: shared ? nameOf(x.parent as string) : x.name, fields: {} };
    probe.fields[environmentField[x.type] as string] = x.value as number;
    probes.set(key, probe);
  }
  return [...probes.values()].map(({ sensor, fields }) => {
    const t = fields.temperature_c;
    const rh = fields.humidity_percent;
    if (t !== undefined && rh !== undefined && rh > 0) fields.dew_point_c = dewPoint(t, rh);
    return {
      measurement: environment.name,
      tags: { device, sensor, ...(zone ? { zone } : {}) },
      fields,
      time,
    };
  });
}

/** Dew point, °C, by the Magnus formula (Sonntag 1990 constants), rounded to 0.01. */
export function dewPoint(temperatureC: number, humidityPercent: number): number {
  const a = 17.62;
  const b = 243.12;
  const gamma = Math.log(humidityPercent / 100) + (a * temperatureC) / (b + temperatureC);
  return Math.round(((b * gamma) / (a - gamma)) * 100) / 100;
}
