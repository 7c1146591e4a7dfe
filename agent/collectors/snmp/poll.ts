import snmp, { type Varbind } from 'net-snmp';
import {
  type FieldValue,
  snmpDevice,
  snmpEntity,
  snmpInterface,
  snmpPoll,
  ups,
} from '../../../protocol/index.js';
import type { CollectedPoint } from '../../collector.js';
import type { Credential, DeviceConfig } from './config.js';
import { moduleOids, moduleResult } from './modules.js';
import { composeProfile, entityClasses, matchProfile, type Profile } from './profile.js';
import { type CounterSample, counterRate, uptimeWentBack } from './rates.js';
import { sensorPoints } from './sensors.js';
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

/** What a device poll keeps for the next one (in the collector's memory, per device). */
interface DeviceMemory {
  time: number;
  uptimeTicks?: number;
  profile?: string;
  interfaces: Map<string, { in?: CounterSample; out?: CounterSample; discontinuity?: bigint }>;
}

/**
 * The abort reason the collector gives every device still polling when its run is cut short: such a
 * device is not down, it was not waited for; it gets no snmp_device up=false.
 */
export class RunStopped extends Error {
  constructor(cause: unknown) {
    super(`run cut short: ${(cause as Error | undefined)?.message ?? 'stopped'}`, { cause });
    this.name = 'RunStopped';
  }
}

export interface PollOptions {
  device: DeviceConfig;
  credential: Credential;
  /** Every loaded profile: the device's own is named (device.profile) or matched by sysObjectID. */
  profiles: ReadonlyMap<string, Profile>;
  timeoutMs: number;
  retries: number;
  pollTimeoutMs: number;
  maxRepetitions: number;
  maxOids: number;
  /**
   * This device's own controller: aborted by the poll_timeout timer, or by the collector (with a
   * RunStopped) when the run is cut short. One per device, so no signal collects a listener per device.
   */
  abort: AbortController;
  now: number;
  memory: Map<string, unknown>;
}

/** A device's points, and whether its poll ran to the end (false: cut short by the run's end). */
export interface PollResult {
  points: CollectedPoint[];
  finished: boolean;
  /** What answered but yielded nothing (also in snmp_poll's warning field). */
  warning: string;
}

const INT64_MAX = 2n ** 63n - 1n;

/** Scalars asked for in one GET: keeps the response well inside an unfragmented datagram. */
const SCALARS_PER_GET = 40;

/** A counter as a field value: a number within ±2^53, else its digits (protocol `bigint` fields). */
function counterValue(v: bigint): FieldValue | undefined {
  if (v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  // InfluxDB integers are int64: a counter past 2^63 (23 years of a 100G port at line rate) is left out.
  return v <= INT64_MAX ? v.toString() : undefined;
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
 * snmp_device up=false plus snmp_poll success=false. What the device is asked for is the standard
 * profile plus its own (named, or matched by sysObjectID); see composeProfile.
 */
export async function pollDevice(o: PollOptions): Promise<PollResult> {
  const started = performance.now();
  const { device } = o;
  const time = o.now;
  const deviceTag = { device: device.name };
  const memKey = `device:${device.name}`;
  const prev = o.memory.get(memKey) as DeviceMemory | undefined;
  // A plain timer rather than AbortSignal.timeout(): on Node 20 a timeout signal held only by
  // AbortSignal.any() can be garbage-collected before it fires.
  const timer = setTimeout(
    () => o.abort.abort(new Error(`poll took longer than poll_timeout ${o.pollTimeoutMs} ms`)),
    o.pollTimeoutMs,
  );
  const signal = o.abort.signal;
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
  const warnings: string[] = [];
  const runStopped = () => signal.aborted && signal.reason instanceof RunStopped;
  const finish = (): PollResult => {
    clearTimeout(timer);
    client.close();
    const warning = warnings.join('; ').slice(0, 1000);
    points.push({
      measurement: snmpPoll.name,
      tags: deviceTag,
      fields: {
        success: errors.length === 0,
        duration_ms: Math.round((performance.now() - started) * 100) / 100,
        error: errors.join('; ').slice(0, 1000),
        warning,
        oids: client.oids,
      },
      time,
    });
    return { points, finished: !runStopped(), warning };
  };

  let system: Map<string, Varbind | undefined>;
  try {
    system = await client.get(Object.values(SYS));
  } catch (err) {
    errors.push(`system: ${describeError(err, o)}`);
    // Cut short by the run's end, the device was not waited for: unknown, not down.
    if (!runStopped()) {
      const profileName = device.profile ?? prev?.profile;
      points.push({
        measurement: snmpDevice.name,
        tags: deviceTag,
        fields: { up: false, ...(profileName ? { profile: profileName } : {}) },
        time,
      });
    }
    return finish();
  }

  const sysObjectId = asText(system.get(SYS.objectId));
  const uptimeTicks = asInt(system.get(SYS.upTime));
  const own = device.profile
    ? o.profiles.get(device.profile)
    : sysObjectId
      ? matchProfile(o.profiles, sysObjectId)
      : undefined;
  const profile = composeProfile(o.profiles, own);
  const rebooted = prev ? uptimeWentBack(prev.uptimeTicks, uptimeTicks, time - prev.time) : false;
  const next: DeviceMemory = { time, uptimeTicks, profile: profile.name, interfaces: new Map() };

  const deviceFields: Record<string, FieldValue> = { up: true, rebooted };
  if (uptimeTicks !== undefined) deviceFields.sys_uptime_s = Math.floor(uptimeTicks / 100);
  setIf(deviceFields, 'sys_name', asText(system.get(SYS.name)));
  setIf(deviceFields, 'sys_descr', asText(system.get(SYS.descr)));
  setIf(deviceFields, 'sys_object_id', sysObjectId);
  setIf(deviceFields, 'profile', profile.name);

  /** Points each part of the profile yielded, to name the parts that answered nothing. */
  const yielded = new Map<string, number>();
  const count = (part: string, n: number) => yielded.set(part, (yielded.get(part) ?? 0) + n);
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
  // Columns walked once per poll: ENTITY-MIB names serve both the inventory and the sensors.
  const walked: Columns = new Map();
  const walk = async (columns: readonly string[]): Promise<Columns> => {
    const missing = [...new Set(columns)].filter((c) => !walked.has(c));
    if (missing.length > 0) {
      const got = await client.walkColumns(missing, o.maxRepetitions, Math.max(0, o.maxOids - client.oids));
      for (const [c, rows] of got) walked.set(c, rows);
    }
    return walked;
  };

  const ifs = profile.interfaces;
  if (ifs) {
    await section('interfaces', async () => {
      const columns = Object.values(ifs).filter((v): v is string => typeof v === 'string');
      const cols = await walk(columns);
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
          setIf(fields, `${key}_octets`, counterValue(c.value));
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
        count('interfaces', 1);
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

  const ent = profile.entity;
  if (ent) {
    await section('entity', async () => {
      const { classes, ...columnMap } = ent;
      const columns = Object.values(columnMap).filter((v): v is string => typeof v === 'string');
      const cols = await walk(columns);
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
        count('entity', 1);
        points.push({
          measurement: snmpEntity.name,
          tags: { device: device.name, ent_index: index, class: className },
          fields,
          time,
        });
      }
    });
  }

  // Every scalar the profile asks for in one GET, and every short table (sensors, UPS lines, vendor
  // modules) in one walk: a device answers most of them with "no such object", and one request for
  // all costs far less than one each (snmpsim, like a busy card, serves one request at a time).
  const u = profile.ups;
  const upsScalarKeys = [
    'battery_status',
    'seconds_on_battery',
    'minutes_remaining',
    'charge_percent',
    'battery_temperature',
    'output_source',
    'alarms_present',
  ] as const;
  const upsScalarOids = u
    ? upsScalarKeys.map((k) => u[k]).filter((v): v is string => typeof v === 'string')
    : [];
  const modules = profile.modules ?? [];
  const scalarOids = [
    ...new Set([
      ...(profile.serial ? [profile.serial] : []),
      ...upsScalarOids,
      ...modules.flatMap((m) => moduleOids(m).scalars),
    ]),
  ];
  const scalars = new Map<string, Varbind | undefined>();
  if (scalarOids.length > 0) {
    await section('scalars', async () => {
      for (let i = 0; i < scalarOids.length; i += SCALARS_PER_GET) {
        for (const [k, v] of await client.get(scalarOids.slice(i, i + SCALARS_PER_GET))) scalars.set(k, v);
      }
    });
  }
  if (profile.serial) setIf(deviceFields, 'serial', asText(scalars.get(profile.serial)));
  // An agent without UPS-MIB answers noSuchObject to every scalar: no need to walk its line tables.
  const upsAnswered = upsScalarOids.some((oid) => scalars.get(oid) !== undefined);
  const s = profile.sensors;
  const sensorColumns = s
    ? [s.type, s.scale, s.precision, s.value, s.oper_status, s.units_display].filter(
        (v): v is string => typeof v === 'string',
      )
    : [];
  const lineColumns =
    u && upsAnswered
      ? [u.input_voltage, u.output_power, u.output_percent_load].filter(
          (v): v is string => typeof v === 'string',
        )
      : [];
  const tableColumns = [...sensorColumns, ...lineColumns, ...modules.flatMap((m) => moduleOids(m).columns)];
  if (tableColumns.length > 0) {
    await section('tables', async () => {
      try {
        await walk(tableColumns);
      } catch (err) {
        // Reported once here; the sections below then find these columns empty rather than ask again.
        for (const c of tableColumns) if (!walked.has(c)) walked.set(c, new Map());
        throw err;
      }
    });
  }

  const upsFields: Record<string, FieldValue> = {};
  if (u && upsAnswered) {
    await section('ups', async () => {
      const val = (k: (typeof upsScalarKeys)[number]) => (u[k] ? asInt(scalars.get(u[k])) : undefined);
      const lines = lineColumns.length > 0 ? await walk(lineColumns) : new Map();
      const column = (c: string | undefined): number[] =>
        c
          ? [...(lines.get(c)?.values() ?? [])]
              .map((vb) => asInt(vb))
              .filter((n): n is number => n !== undefined)
          : [];
      setIf(upsFields, 'battery_status', val('battery_status'));
      setIf(upsFields, 'seconds_on_battery', val('seconds_on_battery'));
      setIf(upsFields, 'minutes_remaining', val('minutes_remaining'));
      setIf(upsFields, 'charge_percent', val('charge_percent'));
      setIf(upsFields, 'battery_temperature_c', val('battery_temperature'));
      setIf(upsFields, 'alarms_present', val('alarms_present'));
      setIf(upsFields, 'output_source', val('output_source'));
      const voltages = column(u.input_voltage);
      if (voltages.length > 0) upsFields.input_voltage = Math.min(...voltages);
      const power = column(u.output_power);
      if (power.length > 0) upsFields.output_power_w = power.reduce((a, b) => a + b, 0);
      const load = column(u.output_percent_load);
      if (load.length > 0) upsFields.load_percent = Math.max(...load);
      if (Object.keys(upsFields).length > 0) count('ups', 1);
    });
  }

  if (s) {
    await section('sensors', async () => {
      const cols = await walk(sensorColumns);
      if ((cols.get(s.type)?.size ?? 0) === 0) return;
      // Names and containment of every entity (probes are not sensors), often walked already.
      await walk([s.name, s.descr, s.contained_in].filter((v): v is string => typeof v === 'string'));
      const found = sensorPoints(s, walked, device.name, device.zone, time);
      count('sensors', found.length);
      points.push(...found);
    });
  }

  for (const m of modules) {
    await section(`module ${m.name}`, async () => {
      const { columns } = moduleOids(m);
      const cols = columns.length > 0 ? await walk(columns) : walked;
      const result = moduleResult(m, scalars, cols);
      if (result.kind === 'scalars') {
        if (Object.keys(result.fields).length === 0) return;
        count(m.name, 1);
        // A vendor MIB knows more than UPS-MIB where both answer: its values win.
        if (m.measurement === 'ups') Object.assign(upsFields, result.fields);
        else if (m.measurement === 'snmp_device') {
          for (const [k, v] of Object.entries(result.fields))
            if (deviceFields[k] === undefined) deviceFields[k] = v;
        } else {
          points.push({ measurement: m.measurement, tags: deviceTag, fields: result.fields, time });
        }
        return;
      }
      count(m.name, result.rows.length);
      for (const row of result.rows) {
        const zone: Record<string, string> =
          m.measurement === 'environment' && device.zone ? { zone: device.zone } : {};
        points.push({
          measurement: m.measurement,
          tags: { ...row.tags, ...deviceTag, ...zone },
          fields: row.fields,
          time,
        });
      }
    });
  }

  if (Object.keys(upsFields).length > 0) {
    points.push({ measurement: ups.name, tags: deviceTag, fields: upsDerived(upsFields), time });
  }

  // Nothing is silent: a profile whose vendor modules all yield nothing, or a device that yields
  // nothing at all beyond its system group, is a named warning (the poll itself succeeded).
  if (errors.length === 0) {
    const vendor = profile.vendorModules;
    if (vendor.length > 0 && vendor.every((m) => !yielded.get(m))) {
      warnings.push(
        `profile ${profile.name}: the device answered none of its modules (${vendor.join(', ')})`,
      );
    }
    if ([...yielded.values()].every((n) => n === 0)) {
      const parts = ['interfaces', 'entity', 'ups', 'sensors'].filter(
        (k) => profile[k as 'ups'] !== undefined,
      );
      const asked = [...parts, ...(profile.modules ?? []).map((m) => m.name)].join(', ') || 'nothing';
      warnings.push(
        profile.name
          ? `profile ${profile.name} yielded no data (asked: ${asked})`
          : `no profile matches sysObjectID ${sysObjectId ?? '(none)'} and the standard MIBs yielded no data (asked: ${asked})`,
      );
    }
  }

  points.unshift({ measurement: snmpDevice.name, tags: deviceTag, fields: deviceFields, time });
  o.memory.set(memKey, next);
  return finish();
}

/** The words and flags the ups measurement derives from the codes, whichever MIB they came from. */
function upsDerived(fields: Record<string, FieldValue>): Record<string, FieldValue> {
  const out = { ...fields };
  const battery = fields.battery_status;
  if (typeof battery === 'number') out.battery_status_text = batteryStatusText[battery] ?? 'unknown';
  const source = fields.output_source;
  const secondsOnBattery = fields.seconds_on_battery;
  if (typeof source === 'number') {
    out.output_source_text = outputSourceText[source] ?? 'unknown';
    out.on_battery = source === 5;
  } else if (typeof secondsOnBattery === 'number') {
    out.on_battery = secondsOnBattery > 0;
  }
  return out;
}
