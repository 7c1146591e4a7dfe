import snmp, { type Varbind } from 'net-snmp';
import {
  environment,
  type FieldValue,
  snmpDevice,
  snmpEntity,
  snmpInterface,
  snmpPoll,
  ups,
} from '../../../protocol/index.js';
import type { CollectedPoint } from '../../collector.js';
import type { Credential, DeviceConfig } from './config.js';
import { entityClasses, type Profile } from './profile.js';
import { type CounterSample, counterRate, uptimeWentBack } from './rates.js';
import { type Columns, SnmpClient } from './session.js';
import { asBigInt, asInt, asText, tagValue } from './values.js';

const SYS = {
  descr: '1.3.6.1.2.1.1.1.0',
  objectId: '1.3.6.1.2.1.1.2.0',
  upTime: '1.3.6.1.2.1.1.3.0',
  name: '1.3.6.1.2.1.1.5.0',
} as const;

const batteryStatusText: Record<number, string> = { 1: 'unknown', 2: 'normal', 3: 'low', 4: 'depleted' };
const outputSourceText: Record<number, string> = {
  1: 'other',
  2: 'none',
  3: 'normal',
  4: 'bypass',
  5: 'battery',
  6: 'booster',
  7: 'reducer',
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

/** What a device poll keeps for the next one (in the collector's memory, per device). */
interface DeviceMemory {
  time: number;
  uptimeTicks?: number;
  profile?: string;
  interfaces: Map<string, { in?: CounterSample; out?: CounterSample; discontinuity?: bigint }>;
}

export interface PollOptions {
  device: DeviceConfig;
  credential: Credential;
  /** The profile named by the device, or undefined to match one by sysObjectID. */
  profile: Profile | undefined;
  match: (sysObjectId: string) => Profile | undefined;
  timeoutMs: number;
  retries: number;
  pollTimeoutMs: number;
  maxRepetitions: number;
  maxOids: number;
  signal: AbortSignal;
  now: number;
  memory: Map<string, unknown>;
}

function describeError(err: unknown, o: PollOptions): string {
  if (err instanceof snmp.RequestTimedOutError) {
    return `no answer within ${o.timeoutMs} ms after ${o.retries + 1} tries (device down, unreachable, or wrong credentials)`;
  }
  const e = err as Error;
  if (e?.message === 'aborted' || e?.message?.endsWith(': aborted')) {
    const reason = (e.cause as Error | undefined)?.message;
    return `poll aborted: ${reason ?? 'stopped'}`;
  }
  return String(e?.message ?? err);
}

function rowIndexes(cols: Columns, keys: readonly (string | undefined)[]): string[] {
  const set = new Set<string>();
  for (const k of keys) if (k) for (const idx of cols.get(k)?.keys() ?? []) set.add(idx);
  return [...set].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
}

const cell = (cols: Columns, column: string | undefined, index: string): Varbind | undefined =>
  column ? cols.get(column)?.get(index) : undefined;

function setIf(fields: Record<string, FieldValue>, key: string, value: FieldValue | undefined): void {
  if (value !== undefined && value !== '') fields[key] = value;
}

/**
 * Polls one device and returns its points. Never throws: a device that does not answer is
 * snmp_device up=false plus snmp_poll success=false.
 */
export async function pollDevice(o: PollOptions): Promise<CollectedPoint[]> {
  const started = performance.now();
  const { device } = o;
  const time = o.now;
  const deviceTag = { device: device.name };
  const memKey = `device:${device.name}`;
  const prev = o.memory.get(memKey) as DeviceMemory | undefined;
  // A plain timer rather than AbortSignal.timeout(): on Node 20 a timeout signal held only by
  // AbortSignal.any() can be garbage-collected before it fires.
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new Error(`poll took longer than poll_timeout ${o.pollTimeoutMs} ms`)),
    o.pollTimeoutMs,
  );
  const onStop = () => deadline.abort(o.signal.reason);
  if (o.signal.aborted) onStop();
  else o.signal.addEventListener('abort', onStop, { once: true });
  const signal = deadline.signal;
  const client = new SnmpClient(
    {
      address: device.address,
      port: device.port,
      credential: o.credential,
      timeoutMs: o.timeoutMs,
      retries: o.retries,
    },
    signal,
  );
  const points: CollectedPoint[] = [];
  const errors: string[] = [];
  const finish = (): CollectedPoint[] => {
    clearTimeout(timer);
    o.signal.removeEventListener('abort', onStop);
    client.close();
    points.push({
      measurement: snmpPoll.name,
      tags: deviceTag,
      fields: {
        success: errors.length === 0,
        duration_ms: Math.round((performance.now() - started) * 100) / 100,
        error: errors.join('; ').slice(0, 1000),
        oids: client.oids,
      },
      time,
    });
    return points;
  };

  let system: Map<string, Varbind | undefined>;
  try {
    system = await client.get(Object.values(SYS));
  } catch (err) {
    errors.push(`system: ${describeError(err, o)}`);
    const profileName = o.profile?.name ?? prev?.profile;
    points.push({
      measurement: snmpDevice.name,
      tags: deviceTag,
      fields: { up: false, ...(profileName ? { profile: profileName } : {}) },
      time,
    });
    return finish();
  }

  const sysObjectId = asText(system.get(SYS.objectId));
  const uptimeTicks = asInt(system.get(SYS.upTime));
  const profile = o.profile ?? (sysObjectId ? o.match(sysObjectId) : undefined);
  const rebooted = prev ? uptimeWentBack(prev.uptimeTicks, uptimeTicks, time - prev.time) : false;
  const next: DeviceMemory = { time, uptimeTicks, profile: profile?.name, interfaces: new Map() };

  const deviceFields: Record<string, FieldValue> = { up: true, rebooted };
  if (uptimeTicks !== undefined) deviceFields.sys_uptime_s = Math.floor(uptimeTicks / 100);
  setIf(deviceFields, 'sys_name', asText(system.get(SYS.name)));
  setIf(deviceFields, 'sys_descr', asText(system.get(SYS.descr)));
  setIf(deviceFields, 'sys_object_id', sysObjectId);
  setIf(deviceFields, 'profile', profile?.name);

  const section = async (name: string, run: () => Promise<void>) => {
    if (signal.aborted) {
      errors.push(`${name}: ${describeError(new Error('aborted', { cause: signal.reason }), o)}`);
      return;
    }
    try {
      await run();
    } catch (err) {
      errors.push(`${name}: ${describeError(err, o)}`);
    }
  };

  if (profile?.serial) {
    const serialOid = profile.serial;
    await section('serial', async () => {
      setIf(deviceFields, 'serial', asText((await client.get([serialOid])).get(serialOid)));
    });
  }

  const ifs = profile?.interfaces;
  if (ifs) {
    await section('interfaces', async () => {
      const columns = Object.values(ifs).filter((v): v is string => typeof v === 'string');
      const cols = await client.walkColumns(columns, o.maxRepetitions, o.maxOids);
      // Rates only when both polls are comparable: same agent life, time has passed.
      const seconds = prev && !rebooted ? (time - prev.time) / 1000 : 0;
      for (const index of rowIndexes(cols, [ifs.oper_status, ifs.descr, ifs.name, ifs.admin_status])) {
        const get = (c: string | undefined) => cell(cols, c, index);
        const ifName = asText(get(ifs.name)) || asText(get(ifs.descr));
        const fields: Record<string, FieldValue> = {};
        const oper = asInt(get(ifs.oper_status));
        const admin = asInt(get(ifs.admin_status));
        if (oper !== undefined) {
          fields.oper_status = oper;
          fields.oper_up = oper === 1;
        }
        if (admin !== undefined) fields.admin_up = admin === 1;
        const speed = asInt(get(ifs.speed));
        const high = asInt(get(ifs.high_speed));
        const speedBps =
          high !== undefined && high > 0 && (speed === undefined || speed >= 4_294_967_295 || speed === 0)
            ? high * 1_000_000
            : speed;
        if (speedBps !== undefined) fields.speed_bps = speedBps;

        const counter = (hc: string | undefined, c32: string | undefined): CounterSample | undefined => {
          const v64 = asBigInt(get(hc));
          if (v64 !== undefined) return { value: v64, bits: 64 };
          const v32 = asBigInt(get(c32));
          return v32 !== undefined ? { value: v32, bits: 32 } : undefined;
        };
        const inC = counter(ifs.hc_in_octets, ifs.in_octets);
        const outC = counter(ifs.hc_out_octets, ifs.out_octets);
        const discontinuity = asBigInt(get(ifs.counter_discontinuity_time));
        next.interfaces.set(index, { in: inC, out: outC, discontinuity });
        const was = prev?.interfaces.get(index);
        const comparable = seconds > 0 && was !== undefined && was.discontinuity === discontinuity;
        for (const [key, c] of [
          ['in', inC],
          ['out', outC],
        ] as const) {
          if (!c) continue;
          if (c.value <= BigInt(Number.MAX_SAFE_INTEGER)) fields[`${key}_octets`] = Number(c.value);
          fields.counter_bits = c.bits;
          const rate = comparable ? counterRate(was?.[key], c, seconds, speedBps) : undefined;
          if (rate !== undefined) fields[`${key}_bps`] = Math.round(rate * 1000) / 1000;
        }
        setIf(fields, 'in_errors', asInt(get(ifs.in_errors)));
        setIf(fields, 'out_errors', asInt(get(ifs.out_errors)));
        setIf(fields, 'in_discards', asInt(get(ifs.in_discards)));
        setIf(fields, 'out_discards', asInt(get(ifs.out_discards)));
        setIf(fields, 'if_alias', asText(get(ifs.alias)));
        setIf(fields, 'if_descr', asText(get(ifs.descr)));
        if (Object.keys(fields).length === 0) continue;
        points.push({
          measurement: snmpInterface.name,
          tags: { device: device.name, if_index: index, if_name: tagValue(ifName, `if${index}`) },
          fields,
          time,
        });
      }
    });
  } else if (prev) {
    next.interfaces = prev.interfaces;
  }

  const ent = profile?.entity;
  if (ent) {
    await section('entity', async () => {
      const { classes, ...columnMap } = ent;
      const columns = Object.values(columnMap).filter((v): v is string => typeof v === 'string');
      const cols = await client.walkColumns(columns, o.maxRepetitions, o.maxOids);
      for (const index of rowIndexes(cols, [ent.class])) {
        const get = (c: string | undefined) => cell(cols, c, index);
        const classId = asInt(get(ent.class));
        const className = entityClasses[classId as keyof typeof entityClasses] ?? 'unknown';
        if (!classes.includes(className)) continue;
        const fields: Record<string, FieldValue> = {};
        for (const key of [
          'name',
          'descr',
          'model',
          'serial',
          'manufacturer',
          'hardware_rev',
          'firmware_rev',
          'software_rev',
        ] as const) {
          setIf(fields, key, asText(get(ent[key])));
        }
        setIf(fields, 'parent_index', asInt(get(ent.contained_in)));
        const fru = asInt(get(ent.is_fru));
        if (fru !== undefined) fields.is_fru = fru === 1;
        if (
          className === 'chassis' &&
          deviceFields.serial === undefined &&
          typeof fields.serial === 'string'
        ) {
          deviceFields.serial = fields.serial;
        }
        if (Object.keys(fields).length === 0) continue;
        points.push({
          measurement: snmpEntity.name,
          tags: { device: device.name, ent_index: index, class: className },
          fields,
          time,
        });
      }
    });
  }

  const u = profile?.ups;
  if (u) {
    await section('ups', async () => {
      const scalarKeys = [
        'battery_status',
        'seconds_on_battery',
        'minutes_remaining',
        'charge_percent',
        'battery_temperature',
        'output_source',
        'alarms_present',
      ] as const;
      const scalarOids = scalarKeys.map((k) => u[k]).filter((v): v is string => typeof v === 'string');
      const scalars = await client.get(scalarOids);
      const val = (k: (typeof scalarKeys)[number]) => (u[k] ? asInt(scalars.get(u[k])) : undefined);
      const lineColumns = [u.input_voltage, u.output_power, u.output_percent_load].filter(
        (v): v is string => typeof v === 'string',
      );
      const lines =
        lineColumns.length > 0
          ? await client.walkColumns(lineColumns, o.maxRepetitions, o.maxOids)
          : new Map();
      const column = (c: string | undefined): number[] =>
        c
          ? [...(lines.get(c)?.values() ?? [])]
              .map((vb) => asInt(vb))
              .filter((n): n is number => n !== undefined)
          : [];

      const fields: Record<string, FieldValue> = {};
      const battery = val('battery_status');
      if (battery !== undefined) {
        fields.battery_status = battery;
        fields.battery_status_text = batteryStatusText[battery] ?? 'unknown';
      }
      const secondsOnBattery = val('seconds_on_battery');
      setIf(fields, 'seconds_on_battery', secondsOnBattery);
      setIf(fields, 'minutes_remaining', val('minutes_remaining'));
      setIf(fields, 'charge_percent', val('charge_percent'));
      setIf(fields, 'battery_temperature_c', val('battery_temperature'));
      setIf(fields, 'alarms_present', val('alarms_present'));
      const source = val('output_source');
      if (source !== undefined) {
        fields.output_source = source;
        fields.output_source_text = outputSourceText[source] ?? 'unknown';
        fields.on_battery = source === 5;
      } else if (secondsOnBattery !== undefined) {
        fields.on_battery = secondsOnBattery > 0;
      }
      const voltages = column(u.input_voltage);
      if (voltages.length > 0) fields.input_voltage = Math.min(...voltages);
      const power = column(u.output_power);
      if (power.length > 0) fields.output_power_w = power.reduce((a, b) => a + b, 0);
      const load = column(u.output_percent_load);
      if (load.length > 0) fields.load_percent = Math.max(...load);
      if (Object.keys(fields).length > 0) {
        points.push({ measurement: ups.name, tags: deviceTag, fields, time });
      }
    });
  }

  const s = profile?.sensors;
  if (s) {
    await section('sensors', async () => {
      const columns = [s.type, s.scale, s.precision, s.value, s.oper_status, s.name, s.contained_in].filter(
        (v): v is string => typeof v === 'string',
      );
      const cols = await client.walkColumns(columns, o.maxRepetitions, o.maxOids);
      const probes = new Map<string, { sensor: string; fields: Record<string, number> }>();
      const nameOf = (index: string) => tagValue(asText(cell(cols, s.name, index)), `sensor-${index}`);
      for (const index of rowIndexes(cols, [s.type])) {
        const get = (c: string | undefined) => cell(cols, c, index);
        const type = asInt(get(s.type));
        const field = type === 8 ? 'temperature_c' : type === 9 ? 'humidity_percent' : undefined;
        if (!field) continue;
        const status = asInt(get(s.oper_status));
        if (status !== undefined && status !== 1) continue; // unavailable or nonoperational: no value
        const raw = asInt(get(s.value));
        const exponent = sensorScaleExponent[asInt(get(s.scale)) ?? 9];
        const precision = asInt(get(s.precision)) ?? 0;
        if (raw === undefined || exponent === undefined) continue;
        const value = Math.round(raw * 10 ** (exponent - precision) * 1e6) / 1e6;
        const parent = asInt(get(s.contained_in));
        let key = parent !== undefined && parent > 0 ? String(parent) : index;
        // Two sensors of one kind in one probe: keep them apart rather than overwrite.
        if (probes.get(key)?.fields[field] !== undefined) key = index;
        const probe = probes.get(key) ?? { sensor: nameOf(key), fields: {} };
        probe.fields[field] = value;
        probes.set(key, probe);
      }
      for (const { sensor, fields } of probes.values()) {
        const t = fields.temperature_c;
        const rh = fields.humidity_percent;
        if (t !== undefined && rh !== undefined && rh > 0) fields.dew_point_c = dewPoint(t, rh);
        points.push({
          measurement: environment.name,
          tags: { device: device.name, sensor, ...(device.zone ? { zone: device.zone } : {}) },
          fields,
          time,
        });
      }
    });
  }

  points.unshift({ measurement: snmpDevice.name, tags: deviceTag, fields: deviceFields, time });
  o.memory.set(memKey, next);
  return finish();
}

/** Dew point, °C, by the Magnus formula (Sonntag 1990 constants), rounded to 0.01. */
export function dewPoint(temperatureC: number, humidityPercent: number): number {
  const a = 17.62;
  const b = 243.12;
  const gamma = Math.log(humidityPercent / 100) + (a * temperatureC) / (b + temperatureC);
  return Math.round(((b * gamma) / (a - gamma)) * 100) / 100;
}
