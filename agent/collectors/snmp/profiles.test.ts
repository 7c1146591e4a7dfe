import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookupMeasurement } from '../../../protocol/index.js';
import { type Snmpsim, startSnmpsim } from '../../../test/harness/snmpsim.js';
import type { CollectedPoint } from '../../collector.js';
import { convert } from './modules.js';
import { defaultProfilesDir, loadProfiles, type ModuleSpec } from './profile.js';
import { collect, expectValid, getScalars, of, one, T0, walkColumn } from './testkit.js';

const testdata = (f: string) => fileURLToPath(new URL(`./testdata/${f}`, import.meta.url));
const profiles = loadProfiles(defaultProfilesDir());
const moduleNamed = (profile: string, name: string): ModuleSpec => {
  const m = profiles.get(profile)?.modules?.find((x) => x.name === name);
  if (!m) throw new Error(`profile ${profile} has no module ${name}`);
  return m;
};

/**
 * What a module's field must hold, worked out from what `snmpget`/`snmpbulkwalk` read from the same
 * agent and the module's declared divide/map: the collector's value must equal the tools' reading.
 */
function expectedFrom(
  raw: string | undefined,
  m: ModuleSpec,
  field: string,
  oidOf: (f: string) => { oid: string },
) {
  if (raw === undefined) return undefined;
  const type = lookupMeasurement(m.measurement)?.fields[field]?.type;
  const source = { ...oidOf(field) } as Parameters<typeof convert>[1];
  // Timeticks print as their number with -Ot; everything else is a number or text already.
  const value = /^-?\d+$/.test(raw) ? Number(raw) : raw;
  const vb = {
    oid: source.oid,
    type: typeof value === 'number' ? 2 : 4,
    value: typeof value === 'number' ? value : Buffer.from(value),
  };
  return convert(vb, source, type);
}

describe('vendor profiles against recordings written from the public MIBs', () => {
  let sim: Snmpsim;
  const recordings = {
    'apc-ups': 'apc-smart-ups.snmprec',
    'apc-pdu': 'apc-rack-pdu.snmprec',
    'apc-env': 'apc-env-monitor.snmprec',
    'apc-bare': 'apc-bare.snmprec',
    eaton: 'eaton-9px.snmprec',
    akcp: 'akcp-sensorprobe.snmprec',
    'juniper-t0': 'juniper-qfx-t0.snmprec',
    'juniper-t1': 'juniper-qfx-t1.snmprec',
    mikrotik: 'mikrotik-ccr.snmprec',
    liebert: 'liebert-crac.snmprec',
    netbotz: 'netbotz-450.snmprec',
    unmatched: 'unmatched-oid.snmprec',
    'system-only': 'system-only.snmprec',
  } as const;
  type Community = keyof typeof recordings;
  const device = (name: string, community: Community, extra: Record<string, unknown> = {}) => ({
    name,
    address: '127.0.0.1',
    port: sim.port,
    credentials: community,
    ...extra,
  });
  const creds = (...communities: Community[]) =>
    Object.fromEntries(communities.map((c) => [c, { version: '2c', community: c }]));
  const poll = (name: string, community: Community, opts?: Parameters<typeof collect>[1]) =>
    collect({ devices: [device(name, community)], credentials: creds(community) }, opts);
  const v2c = (c: Community) => ['-v2c', '-c', c];

  /** Checks every scalar field of `moduleName` against snmpget of the same OIDs. */
  async function expectScalarsAsRead(
    fields: CollectedPoint['fields'],
    c: Community,
    profile: string,
    moduleName: string,
  ) {
    const m = moduleNamed(profile, moduleName);
    const scalars = m.scalars ?? {};
    const read = await getScalars(
      v2c(c),
      sim.port,
      Object.values(scalars).map((s) => s.oid),
    );
    for (const [field, source] of Object.entries(scalars)) {
      const expected = expectedFrom(read.get(source.oid), m, field, (f) => scalars[f] as { oid: string });
      expect(fields[field], `${moduleName}.${field} (${source.oid})`).toBe(expected);
    }
  }

  beforeAll(async () => {
    sim = await startSnmpsim({
      recordings: Object.fromEntries(Object.entries(recordings).map(([c, f]) => [c, testdata(f)])),
    });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it('an APC Smart-UPS yields its PowerNet battery, runtime, load, output, input and replace-battery values as snmpget reads them, plus its interface', async () => {
    const points = await poll('ups-a', 'apc-ups');
    expectValid(points);
    const dev = one(points, 'snmp_device', 'ups-a').fields;
    expect(dev).toMatchObject({ up: true, profile: 'apc', model: 'Smart-UPS 3000', serial: 'AS1234567890' });
    const ups = one(points, 'ups', 'ups-a').fields;
    await expectScalarsAsRead(ups, 'apc-ups', 'apc', 'apc-ups');
    expect(ups).toEqual({
      battery_status: 2,
      battery_status_text: 'normal',
      seconds_on_battery: 0,
      charge_percent: 100,
      battery_temperature_c: 29,
      minutes_remaining: 47, // 282000 ticks = 47 min
      replace_battery: true,
      input_voltage: 228,
      input_frequency_hz: 50,
      output_source: 3, // upsBasicOutputStatus onLine(2) → UPS-MIB normal(3)
      output_source_text: 'normal',
      on_battery: false,
      output_voltage: 230,
      load_percent: 37,
      output_current_a: 5,
    });
    expect(of(points, 'snmp_interface', 'ups-a')).toHaveLength(1); // the standard MIBs come on top
    expect(one(points, 'snmp_poll', 'ups-a').fields).toMatchObject({ success: true, warning: '' });
  });

  it('an APC rack PDU goes to the apc profile, not ups: current per phase and per bank, as snmpbulkwalk reads them', async () => {
    const points = await poll('pdu-a', 'apc-pdu');
    expectValid(points);
    expect(one(points, 'snmp_device', 'pdu-a').fields).toMatchObject({
      profile: 'apc',
      model: 'AP8853',
      serial: '5A1834E01234',
    });
    expect(of(points, 'ups', 'pdu-a')).toEqual([]);
    const base = '1.3.6.1.4.1.318.1.1.12.2.3.1.1';
    const [load, state, phase, bank] = await Promise.all(
      ['2', '3', '4', '5'].map((c) => walkColumn(v2c('apc-pdu'), sim.port, `${base}.${c}`)),
    );
    const rows = of(points, 'pdu', 'pdu-a').filter((p) => p.tags.phase !== undefined);
    expect(rows).toHaveLength(load?.size ?? -1);
    for (const [index, tenths] of load ?? []) {
      const row = rows.find((p) => p.tags.phase === phase?.get(index) && p.tags.bank === bank?.get(index));
      expect(row?.fields, `row ${index}`).toEqual({
        current_a: Number(tenths) / 10,
        load_state: Number(state?.get(index)),
      });
    }
    const whole = of(points, 'pdu', 'pdu-a').find((p) => p.tags.phase === undefined);
    expect(whole?.fields).toEqual({ power_w: 3420 });
    // Dual-corded evidence: both banks of phase 1 draw current.
    expect(rows.filter((p) => p.tags.bank !== '0').map((p) => p.fields.current_a)).toEqual([7.1, 8.1]);
    expect(one(points, 'snmp_poll', 'pdu-a').fields.warning).toBe('');
  });

  it('an APC environment monitor yields its probes (a disconnected one left out) and door states, named as configured', async () => {
    const points = await collect({
      devices: [device('env-a', 'apc-env', { zone: 'dc1-row1' })],
      credentials: creds('apc-env'),
    });
    expectValid(points);
    const env = Object.fromEntries(of(points, 'environment', 'env-a').map((p) => [p.tags.sensor, p]));
    expect(Object.keys(env).sort()).toEqual([
      'Front door R12',
      'Rack A3 inlet',
      'Rack B1 exhaust',
      'Rear door R12',
    ]);
    const [names, temps, hums] = await Promise.all(
      ['2', '3', '6'].map((c) =>
        walkColumn(v2c('apc-env'), sim.port, `1.3.6.1.4.1.318.1.1.10.3.13.1.1.${c}`),
      ),
    );
    for (const i of ['1', '2']) {
      expect(env[names?.get(i) as string]?.fields).toEqual({
        temperature_c: Number(temps?.get(i)),
        humidity_percent: Number(hums?.get(i)),
      });
    }
    expect(env['Front door R12']?.fields).toEqual({ door_open: true });
    expect(env['Rear door R12']?.fields).toEqual({ door_open: false });
    for (const p of of(points, 'environment', 'env-a')) expect(p.tags.zone).toBe('dc1-row1');
    expect(of(points, 'ups', 'env-a')).toEqual([]);
    expect(of(points, 'snmp_interface', 'env-a')).toHaveLength(1);
  });

  it('an APC card answering none of the PowerNet modules is a named warning, with its standard MIBs still read', async () => {
    const points = await poll('apc-x', 'apc-bare');
    expectValid(points);
    expect(of(points, 'snmp_interface', 'apc-x')).toHaveLength(1);
    const poll1 = one(points, 'snmp_poll', 'apc-x').fields;
    expect(poll1.success).toBe(true);
    expect(poll1.warning).toBe(
      'profile apc: the device answered none of its modules (apc-ups-ident, apc-ups, apc-pdu-ident, apc-pdu-power, apc-pdu-load, apc-ems-probes, apc-ems-doors)',
    );
  });

  it('logs a warning naming the device when it appears, not again while it stays the same', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const memory = new Map<string, unknown>();
    await poll('apc-x', 'apc-bare', { memory, logger });
    await poll('apc-x', 'apc-bare', { memory, logger });
    const warned = lines.filter((l) => l.msg === 'snmp device yielded less than its profile lists');
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ level: 40, target: 'apc-x' });
    expect(String(warned[0]?.warning)).toMatch(/^profile apc: the device answered none of its modules/);
  });

  it('an Eaton (Santak) UPS yields XUPS-MIB values as snmpget reads them, winning over its partial UPS-MIB', async () => {
    const points = await poll('ups-b', 'eaton');
    expectValid(points);
    expect(one(points, 'snmp_device', 'ups-b').fields).toMatchObject({
      profile: 'eaton',
      model: 'Eaton 9PX 6000i',
    });
    const ups = one(points, 'ups', 'ups-b').fields;
    await expectScalarsAsRead(ups, 'eaton', 'eaton', 'eaton-ups');
    expect(ups).toMatchObject({
      minutes_remaining: 32, // xupsBatTimeRemaining 1935 s, whole minutes (UPS-MIB says 32 too)
      charge_percent: 98,
      input_voltage: 224,
      input_frequency_hz: 49.9,
      load_percent: 41,
      output_voltage: 230,
      output_current_a: 11,
      output_power_w: 2460,
      output_source: 3,
      on_battery: false,
      alarms_present: 1,
      seconds_on_battery: 0, // only UPS-MIB has it: both MIBs compose into one point
    });
  });

  it('an AKCP sensorProbe yields temperature, humidity and dry contacts; an offline port is left out', async () => {
    const points = await poll('akcp-1', 'akcp');
    expectValid(points);
    const env = Object.fromEntries(of(points, 'environment', 'akcp-1').map((p) => [p.tags.sensor, p.fields]));
    const [descr, degree] = await Promise.all(
      ['1', '3'].map((c) => walkColumn(v2c('akcp'), sim.port, `1.3.6.1.4.1.3854.1.2.2.1.16.1.${c}`)),
    );
    for (const i of ['0', '1'])
      expect(env[descr?.get(i) as string]).toEqual({ temperature_c: Number(degree?.get(i)) });
    expect(env['Unplugged port 3']).toBeUndefined();
    expect(env['Server room RH']).toEqual({ humidity_percent: 52 });
    expect(env['Water rope under CRAC']).toEqual({ contact_alarm: true });
    expect(env['Smoke detector']).toEqual({ contact_alarm: false });
    expect(env['Door contact']).toEqual({ contact_alarm: false });
  });

  it('a Vertiv/Liebert unit yields its Celsius temperatures and humidity, rows named from the OIDs the MIB lists', async () => {
    const points = await poll('crac-1', 'liebert');
    expectValid(points);
    expect(one(points, 'snmp_device', 'crac-1').fields.profile).toBe('liebert');
    const env = of(points, 'environment', 'crac-1');
    const temps = Object.fromEntries(
      env.filter((p) => 'temperature_c' in p.fields).map((p) => [p.tags.sensor, p.fields.temperature_c]),
    );
    const degrees = await walkColumn(v2c('liebert'), sim.port, '1.3.6.1.4.1.476.1.42.3.4.1.3.3.1.3');
    // An OID the MIB's well-known list does not hold names the row by its index.
    expect(temps).toEqual({
      'Return air': Number(degrees.get('1')),
      'Supply air': Number(degrees.get('2')),
      'liebert-temperature-3': Number(degrees.get('3')),
    });
    expect(
      env
        .filter((p) => 'humidity_percent' in p.fields)
        .map((p) => [p.tags.sensor, p.fields.humidity_percent]),
    ).toEqual([['Return air', 45]]);
  });

  it('a NetBotz 450 yields its sensors, doors and dry contacts from NETBOTZV2-MIB tables indexed by sensor id', async () => {
    const points = await poll('nb-r7', 'netbotz');
    expectValid(points);
    const env = Object.fromEntries(of(points, 'environment', 'nb-r7').map((p) => [p.tags.sensor, p.fields]));
    const labels = await walkColumn(v2c('netbotz'), sim.port, '1.3.6.1.4.1.5528.100.4.1.1.1.4');
    const values = await walkColumn(v2c('netbotz'), sim.port, '1.3.6.1.4.1.5528.100.4.1.1.1.8');
    expect(labels.size).toBe(2);
    for (const [index, label] of labels)
      expect(env[label]).toEqual({ temperature_c: Number(values.get(index)) });
    expect(env['Rack 7 humidity']).toEqual({ humidity_percent: 48 });
    expect(env['Rack 7 front door']).toEqual({ door_open: true });
    expect(env['Rack 7 rear door']).toEqual({ door_open: false });
    expect(env['Leak rope under floor']).toEqual({ contact_alarm: true });
    expect(env['Smoke panel relay']).toEqual({ contact_alarm: false });
  });

  it('Juniper and MikroTik serials and models come from their vendor MIBs as snmpget reads them', async () => {
    const [jn, mt] = await Promise.all([poll('qfx', 'juniper-t0'), poll('mt', 'mikrotik')]);
    const read = await getScalars(v2c('juniper-t0'), sim.port, [
      '1.3.6.1.4.1.2636.3.1.2.0',
      '1.3.6.1.4.1.2636.3.1.3.0',
    ]);
    expect(one(jn, 'snmp_device', 'qfx').fields).toMatchObject({
      profile: 'juniper',
      model: read.get('1.3.6.1.4.1.2636.3.1.2.0'),
      serial: read.get('1.3.6.1.4.1.2636.3.1.3.0'),
    });
    expect(one(mt, 'snmp_device', 'mt').fields).toMatchObject({
      profile: 'mikrotik',
      serial: 'HF209R2K5QZ',
      model: 'CCR2004-1G-12S+2XS',
    });
  });

  it('reads every ENTITY-SENSOR type with scale and precision, each named after itself (entPhysicalName, else entPhysicalDescr)', async () => {
    const points = await poll('qfx', 'juniper-t0');
    expectValid(points);
    const sensors = Object.fromEntries(of(points, 'snmp_sensor', 'qfx').map((p) => [p.tags.ent_index, p]));
    const want: Record<string, [string, string, number]> = {
      '10': ['Cpu', 'celsius', 48], // empty entPhysicalName: its descr, as LibreNMS shows it
      '11': ['Rear', 'celsius', 31.2],
      '12': ['PSU 0 voltage in', 'volts_ac', 230.1], // the first sensor of PSU 0 keeps its own name
      '13': ['PSU 0 current', 'amperes', 10.45], // milli scale
      '14': ['PSU 0 power', 'watts', 241],
      '15': ['Fan 1 speed', 'rpm', 9120],
      '16': ['et-0/0/0 Rx power', 'dbm', -3.12], // typed other(1), units "dBm"
      '17': ['3.3V rail', 'volts_dc', 3.297],
    };
    expect(Object.keys(sensors).sort()).toEqual(Object.keys(want).sort());
    const values = await walkColumn(v2c('juniper-t0'), sim.port, '1.3.6.1.2.1.99.1.1.1.4');
    for (const [index, [name, type, value]] of Object.entries(want)) {
      expect(sensors[index]?.tags, `sensor ${index}`).toMatchObject({ sensor: name, type });
      expect(sensors[index]?.fields.value, `sensor ${index}`).toBe(value);
      expect(values.get(index), `raw ${index}`).toBeDefined();
    }
    // Switch internals are not room climate: no environment points unless the profile asks.
    expect(of(points, 'environment', 'qfx')).toEqual([]);
  });

  it('keeps 64-bit counters above 2^53 exact (sent as digits) and computes their rates exactly', async () => {
    const memory = new Map<string, unknown>();
    const first = await poll('qfx', 'juniper-t0', { now: T0, memory });
    expectValid(first);
    const hcIn = await walkColumn(v2c('juniper-t0'), sim.port, '1.3.6.1.2.1.31.1.1.1.6');
    const port = (points: CollectedPoint[]) =>
      of(points, 'snmp_interface', 'qfx').find((p) => p.tags.if_name === 'et-0/0/0')?.fields;
    expect(hcIn.get('501')).toBe('9007199254740993'); // 2^53 + 1: not representable as a double
    expect(port(first)?.in_octets).toBe('9007199254740993');
    expect(port(first)?.out_octets).toBe('18014398509481984');
    expect(port(first)?.speed_bps).toBe(100_000_000_000);
    const second = await poll('qfx', 'juniper-t1', { now: T0 + 60_000, memory });
    expectValid(second);
    expect(port(second)?.in_octets).toBe((9_007_199_254_740_993n + 750_000_000_000n).toString());
    expect(port(second)?.in_bps).toBe((750_000_000_000 * 8) / 60); // 100 Gbit/s exactly
    expect(port(second)?.out_bps).toBe(1.333); // 10 octets in 60 s, rounded to 0.001 bit/s
  });

  it('a sysObjectID matching no profile still gets the standard MIBs; a device yielding nothing is a named warning', async () => {
    const points = await collect({
      devices: [device('odd-1', 'unmatched'), device('odd-2', 'system-only')],
      credentials: creds('unmatched', 'system-only'),
    });
    expectValid(points);
    expect(one(points, 'snmp_device', 'odd-1').fields.profile).toBeUndefined();
    expect(of(points, 'snmp_interface', 'odd-1')).toHaveLength(1);
    expect(one(points, 'snmp_poll', 'odd-1').fields.warning).toBe('');
    expect(one(points, 'snmp_poll', 'odd-2').fields).toMatchObject({
      success: true,
      warning:
        'no profile matches sysObjectID 0.9.43.6.1.4.1 and the standard MIBs yielded no data (asked: interfaces, entity, ups, sensors)',
    });
  });
});
