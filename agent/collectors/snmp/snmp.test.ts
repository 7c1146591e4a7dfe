import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeUdpPort } from '../../../test/harness/ports.js';
import { type Snmpd, startSnmpd } from '../../../test/harness/snmpd.js';
import { type Snmpsim, snmpsimExamples, startSnmpsim } from '../../../test/harness/snmpsim.js';
import type { CollectedPoint } from '../../collector.js';
import { collect, expectValid, of, one, T0, walkColumn } from './testkit.js';

const testdata = (f: string) => fileURLToPath(new URL(`./testdata/${f}`, import.meta.url));
const IF = {
  descr: '1.3.6.1.2.1.2.2.1.2',
  speed: '1.3.6.1.2.1.2.2.1.5',
  admin: '1.3.6.1.2.1.2.2.1.7',
  oper: '1.3.6.1.2.1.2.2.1.8',
  name: '1.3.6.1.2.1.31.1.1.1.1',
  hcIn: '1.3.6.1.2.1.31.1.1.1.6',
  highSpeed: '1.3.6.1.2.1.31.1.1.1.15',
};

/** Checks the collector's snmp_interface points against what snmpbulkwalk reads from the same agent. */
async function expectInterfacesAsWalked(
  points: CollectedPoint[],
  device: string,
  authArgs: string[],
  port: number,
) {
  const [descr, name, speed, high, admin, oper] = await Promise.all(
    [IF.descr, IF.name, IF.speed, IF.highSpeed, IF.admin, IF.oper].map((c) => walkColumn(authArgs, port, c)),
  );
  const ifs = of(points, 'snmp_interface', device);
  expect(oper?.size).toBeGreaterThan(0);
  expect(ifs.map((p) => p.tags.if_index).sort()).toEqual([...(oper?.keys() ?? [])].sort());
  for (const p of ifs) {
    const index = p.tags.if_index as string;
    expect(p.tags.if_name, `if_name of ${index}`).toBe(name?.get(index) || descr?.get(index));
    const walkedSpeed = Number(speed?.get(index));
    const walkedHigh = Number(high?.get(index) ?? 0);
    const expectedSpeed = walkedSpeed >= 4_294_967_295 && walkedHigh > 0 ? walkedHigh * 1e6 : walkedSpeed;
    expect(p.fields.speed_bps, `speed of ${index}`).toBe(expectedSpeed);
    expect(p.fields.oper_status, `oper status of ${index}`).toBe(Number(oper?.get(index)));
    expect(p.fields.oper_up).toBe(oper?.get(index) === '1');
    expect(p.fields.admin_up).toBe(admin?.get(index) === '1');
  }
  return ifs;
}

describe('snmp collector against snmpsimd recordings', () => {
  let sim: Snmpsim;
  const device = (name: string, community: string, extra: Record<string, unknown> = {}) => ({
    name,
    address: '127.0.0.1',
    port: sim.port,
    credentials: community,
    ...extra,
  });
  const creds = (...communities: string[]) =>
    Object.fromEntries(communities.map((c) => [c, { version: '2c', community: c }]));

  beforeAll(async () => {
    sim = await startSnmpsim({
      recordings: {
        cisco: `${snmpsimExamples}/cisco_16_switch.snmprec.gz`,
        hp: `${snmpsimExamples}/hp_perf.snmprec.gz`,
        linux: `${snmpsimExamples}/recorded/linux-full-walk.snmprec.gz`,
        'ups-mains': testdata('ups-mains.snmprec'),
        'ups-battery': testdata('ups-battery.snmprec'),
        'ups-small': testdata('ups-small.snmprec'),
        'sensor-th': testdata('sensor-th.snmprec'),
        'switch32-t0': testdata('switch32-t0.snmprec'),
        'switch32-t1': testdata('switch32-t1.snmprec'),
        'switch32-t2': testdata('switch32-t2.snmprec'),
      },
    });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it('collect() reports the recorded Cisco 3750 interfaces, speeds and status as snmpbulkwalk reads them', async () => {
    const points = await collect({ devices: [device('core-sw', 'cisco')], credentials: creds('cisco') });
    expectValid(points);
    const dev = one(points, 'snmp_device', 'core-sw');
    expect(dev.fields).toMatchObject({
      up: true,
      rebooted: false,
      sys_name: 'Profiler3750',
      sys_object_id: '1.3.6.1.4.1.9.1.516',
      profile: 'switch',
      sys_uptime_s: Math.floor(697202257 / 100),
    });
    expect(String(dev.fields.sys_descr)).toMatch(/^Cisco IOS Software, C3750 Software/);
    const ifs = await expectInterfacesAsWalked(points, 'core-sw', ['-v2c', '-c', 'cisco'], sim.port);
    expect(ifs.length).toBeGreaterThan(50);
    // 64-bit counters are preferred, and no rate exists on a first poll.
    const hcIn = await walkColumn(['-v2c', '-c', 'cisco'], sim.port, IF.hcIn);
    const inOctets = await walkColumn(['-v2c', '-c', 'cisco'], sim.port, '1.3.6.1.2.1.2.2.1.10');
    expect(hcIn.size).toBeGreaterThan(0);
    for (const p of ifs) {
      const hc = hcIn.get(p.tags.if_index as string);
      const c32 = inOctets.get(p.tags.if_index as string);
      // Rows without ifHCInOctets in the recording fall back to the 32-bit ifInOctets; a few rows have neither.
      if (hc !== undefined) expect(p.fields.counter_bits).toBe(64);
      else if (c32 !== undefined) expect(p.fields.counter_bits).toBe(32);
      expect(p.fields.in_octets).toBe((hc ?? c32) ? Number(hc ?? c32) : undefined);
      expect(p.fields.in_bps).toBeUndefined();
    }
    const poll = one(points, 'snmp_poll', 'core-sw');
    expect(poll.fields).toMatchObject({ success: true, error: '' });
    expect(poll.fields.oids).toBeGreaterThan(ifs.length * 10);
  });

  it('collect() reports ENTITY-MIB chassis and modules with the serials snmpbulkwalk reads', async () => {
    const points = await collect({ devices: [device('core-sw', 'cisco')], credentials: creds('cisco') });
    const args = ['-v2c', '-c', 'cisco'];
    const [classes = new Map(), serials = new Map(), models = new Map()] = await Promise.all(
      ['1.3.6.1.2.1.47.1.1.1.1.5', '1.3.6.1.2.1.47.1.1.1.1.11', '1.3.6.1.2.1.47.1.1.1.1.13'].map((c) =>
        walkColumn(args, sim.port, c),
      ),
    );
    const wanted = { '3': 'chassis', '6': 'powerSupply', '7': 'fan', '9': 'module', '11': 'stack' } as const;
    const expected = [...classes.entries()].filter(([, c]) => c in wanted);
    const entities = of(points, 'snmp_entity', 'core-sw');
    expect(entities.map((p) => p.tags.ent_index).sort()).toEqual(expected.map(([i]) => i).sort());
    for (const p of entities) {
      const index = p.tags.ent_index as string;
      expect(p.tags.class).toBe(wanted[classes.get(index) as keyof typeof wanted]);
      expect(p.fields.serial).toBe(serials.get(index) || undefined);
      expect(p.fields.model).toBe(models.get(index) || undefined);
    }
    const chassis = entities.filter((p) => p.tags.class === 'chassis' && p.fields.serial);
    expect(chassis.length).toBeGreaterThan(0);
    expect(one(points, 'snmp_device', 'core-sw').fields.serial).toBe(chassis[0]?.fields.serial);
  });

  it('collect() matches profiles by sysObjectID prefix: HP → switch, net-snmp Linux → generic', async () => {
    const points = await collect({
      devices: [device('hp-sw', 'hp'), device('linux-srv', 'linux')],
      credentials: creds('hp', 'linux'),
    });
    expectValid(points);
    expect(one(points, 'snmp_device', 'hp-sw').fields).toMatchObject({
      up: true,
      profile: 'switch',
      sys_name: 'ProCurve Switch 2810-24G', // recorded as hex: decoded as text
    });
    expect(one(points, 'snmp_device', 'linux-srv').fields).toMatchObject({
      up: true,
      profile: 'generic',
      sys_name: 'tt',
    });
    await expectInterfacesAsWalked(points, 'linux-srv', ['-v2c', '-c', 'linux'], sim.port);
  });

  it('collect() reads a UPS on mains with every RFC 1628 field it implements', async () => {
    const points = await collect({
      devices: [device('ups-a', 'ups-mains')],
      credentials: creds('ups-mains'),
    });
    expectValid(points);
    expect(one(points, 'snmp_device', 'ups-a').fields).toMatchObject({ up: true, profile: 'ups' });
    expect(one(points, 'ups', 'ups-a').fields).toEqual({
      battery_status: 2,
      battery_status_text: 'normal',
      on_battery: false,
      seconds_on_battery: 0,
      minutes_remaining: 42,
      charge_percent: 100,
      battery_temperature_c: 27,
      alarms_present: 0,
      output_source: 3,
      output_source_text: 'normal',
      input_voltage: 226,
      output_power_w: 2100 + 1850 + 2300,
      load_percent: 68,
    });
  });

  it('collect() reports on_battery with output source battery(5) and the alarm count', async () => {
    const points = await collect({
      devices: [device('ups-a', 'ups-battery')],
      credentials: creds('ups-battery'),
    });
    expectValid(points);
    expect(one(points, 'ups', 'ups-a').fields).toMatchObject({
      on_battery: true,
      output_source: 5,
      output_source_text: 'battery',
      seconds_on_battery: 312,
      minutes_remaining: 18,
      charge_percent: 71,
      alarms_present: 1,
      input_voltage: 0,
    });
  });

  it('collect() omits the UPS fields a small UPS does not implement instead of inventing them', async () => {
    const points = await collect({
      devices: [device('ups-s', 'ups-small')],
      credentials: creds('ups-small'),
    });
    expectValid(points);
    expect(one(points, 'snmp_device', 'ups-s').fields.profile).toBe('ups'); // sysObjectID 1.3.6.1.2.1.33
    expect(one(points, 'ups', 'ups-s').fields).toEqual({
      battery_status: 2,
      battery_status_text: 'normal',
      on_battery: false,
      seconds_on_battery: 0,
      charge_percent: 95,
      alarms_present: 0,
      output_source: 3,
      output_source_text: 'normal',
      input_voltage: 221,
      output_power_w: 640,
    });
  });

  it('collect() reads ENTITY-SENSOR-MIB probes with scale and precision applied and dew point computed', async () => {
    const points = await collect({
      devices: [device('env-1', 'sensor-th', { profile: 'environment-sensor', zone: 'dc-room-1' })],
      credentials: creds('sensor-th'),
    });
    expectValid(points);
    const env = of(points, 'environment', 'env-1');
    const bySensor = Object.fromEntries(env.map((p) => [p.tags.sensor, p]));
    expect(Object.keys(bySensor).sort()).toEqual([
      'Ambient',
      'Probe 1 - rack A3 inlet',
      'Probe 2 - rack B1 exhaust',
    ]);
    for (const p of env) expect(p.tags.zone).toBe('dc-room-1');
    const probe1 = bySensor['Probe 1 - rack A3 inlet']?.fields;
    expect(probe1?.temperature_c).toBe(23.4); // 234, precision 1
    expect(probe1?.humidity_percent).toBe(48);
    // 23.4 °C at 48 % RH: dew point ≈ 11.8 °C (psychrometric tables); Magnus gives 11.76.
    expect(probe1?.dew_point_c).toBeCloseTo(11.76, 1);
    // 35120 milli-degrees; its humidity sensor is unavailable, so no humidity and no dew point.
    expect(bySensor['Probe 2 - rack B1 exhaust']?.fields).toEqual({ temperature_c: 35.12 });
    expect(bySensor.Ambient?.fields).toEqual({ temperature_c: -1.5 });
  });

  it('collect() polls 24 devices at once without a MaxListenersExceededWarning (one abort listener per run, not per device)', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const names = Array.from({ length: 24 }, (_, i) => `ups-${i}`);
      const run = new AbortController();
      const points = await collect(
        {
          devices: names.map((n) => device(n, 'ups-small')),
          credentials: creds('ups-small'),
          max_concurrent_devices: 24,
        },
        { signal: run.signal },
      );
      // Node reports the warning on a later tick: give it one.
      await new Promise((r) => setImmediate(r));
      expect(of(points, 'snmp_poll').filter((p) => p.fields.success === true)).toHaveLength(24);
      expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('collect() computes rates across polls, handles a 32-bit wrap, and gives no rate after a reset or reboot', async () => {
    const memory = new Map<string, unknown>();
    const poll = (community: string, now: number) =>
      collect({ devices: [device('sw32', community)], credentials: creds(community) }, { now, memory });
    const byIndex = (points: CollectedPoint[]): Record<string, CollectedPoint['fields']> =>
      Object.fromEntries(of(points, 'snmp_interface', 'sw32').map((p) => [p.tags.if_index, p.fields]));

    const first = await poll('switch32-t0', T0);
    expectValid(first);
    const f0 = byIndex(first);
    expect(f0['1']).toMatchObject({ counter_bits: 32, in_octets: 4_294_000_000, speed_bps: 100_000_000 });
    expect(f0['1']?.in_bps).toBeUndefined(); // first poll: no rate

    const seconds = 60;
    const second = await poll('switch32-t1', T0 + seconds * 1000);
    expectValid(second);
    const f1 = byIndex(second);
    expect(one(second, 'snmp_device', 'sw32').fields.rebooted).toBe(false);
    // ifInOctets went 4 294 000 000 → 1 000 000: it wrapped at 2^32.
    const wrappedDelta = 2 ** 32 - 4_294_000_000 + 1_000_000;
    expect(f1['1']?.in_bps).toBeCloseTo((wrappedDelta * 8) / seconds, 3);
    expect(f1['1']?.out_bps).toBeCloseTo(((700_000 - 100_000) * 8) / seconds, 3);
    expect(f1['2']).toMatchObject({ in_bps: 0, out_bps: 0, oper_up: false, admin_up: true, oper_status: 2 });
    // Ethernet0 (10 Mbit/s) went 4 000 000 000 → 3 000 000 000: as a wrap that would be ≈439 Mbit/s,
    // impossible on the port, so it is a counter reset and gives no rate; its out counter still does.
    expect(f1['3']?.in_bps).toBeUndefined();
    expect(f1['3']?.out_bps).toBeCloseTo((1000 * 8) / seconds, 3);

    const third = await poll('switch32-t2', T0 + 2 * seconds * 1000);
    expectValid(third);
    expect(one(third, 'snmp_device', 'sw32').fields.rebooted).toBe(true);
    for (const fields of Object.values(byIndex(third))) {
      expect(fields.in_bps).toBeUndefined();
      expect(fields.out_bps).toBeUndefined();
    }
  });
});

describe('snmp collector against a real snmpd', () => {
  let snmpd: Snmpd;
  beforeAll(async () => {
    snmpd = await startSnmpd();
  });
  afterAll(async () => {
    await snmpd?.stop();
  });

  const config = (credential: Record<string, unknown>) => ({
    devices: [{ name: 'host-snmpd', address: '127.0.0.1', port: snmpd.port, credentials: 'c' }],
    credentials: { c: credential },
  });

  it('collect() over SNMPv2c reports the interfaces snmpbulkwalk reads', async () => {
    const points = await collect(config({ version: '2c', community: snmpd.community }));
    expectValid(points);
    expect(one(points, 'snmp_device', 'host-snmpd').fields).toMatchObject({
      up: true,
      profile: 'generic',
      sys_object_id: '1.3.6.1.4.1.8072.3.2.10',
    });
    const ifs = await expectInterfacesAsWalked(points, 'host-snmpd', snmpd.v2cArgs, snmpd.port);
    expect(ifs.some((p) => p.tags.if_name === 'lo')).toBe(true);
  });

  it('collect() over SNMPv3 authPriv (SHA/AES) reads the same, and real loopback counters give consistent rates', async () => {
    const memory = new Map<string, unknown>();
    const cfg = config({
      version: '3',
      user: snmpd.v3.user,
      level: 'authPriv',
      auth_protocol: 'sha',
      auth_key: snmpd.v3.authKey,
      priv_protocol: 'aes',
      priv_key: snmpd.v3.privKey,
    });
    let t1 = Date.now();
    let previous = await collect(cfg, { now: t1, memory });
    expectValid(previous);
    await expectInterfacesAsWalked(previous, 'host-snmpd', snmpd.v3Args, snmpd.port);
    const lo = (points: CollectedPoint[]) =>
      of(points, 'snmp_interface', 'host-snmpd').find((p) => p.tags.if_name === 'lo')?.fields;
    // Our own SNMP traffic runs over loopback, so lo's counters move; snmpd caches ifTable for a few
    // seconds, so poll (bounded) until a poll sees them change, then check that poll's rate.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const t2 = Date.now();
      const current = await collect(cfg, { now: t2, memory });
      const [a, b] = [lo(previous), lo(current)];
      expect(b?.counter_bits).toBe(64);
      const inDelta = Number(b?.in_octets) - Number(a?.in_octets);
      expect(inDelta).toBeGreaterThanOrEqual(0);
      expect(b?.in_bps).toBeCloseTo((inDelta * 8) / ((t2 - t1) / 1000), 2);
      if (inDelta > 0) break;
      expect(Date.now(), 'lo counters never moved').toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 250));
      [previous, t1] = [current, t2];
    }
  });

  it('collect() reports a dead device and a wrong community as data, each within its own timeout, while others finish', async () => {
    const deadPort = await freeUdpPort(); // nothing listens there
    const timeoutMs = 400;
    const cfg = {
      devices: [
        {
          name: 'dead',
          address: '127.0.0.1',
          port: deadPort,
          credentials: 'good',
          request_timeout: `${timeoutMs}ms`,
          retries: 1,
        },
        {
          name: 'wrong-community',
          address: '127.0.0.1',
          port: snmpd.port,
          credentials: 'bad',
          request_timeout: `${timeoutMs}ms`,
          retries: 0,
        },
        { name: 'alive', address: '127.0.0.1', port: snmpd.port, credentials: 'good' },
      ],
      credentials: {
        good: { version: '2c', community: snmpd.community },
        bad: { version: '2c', community: 'not-the-community' },
      },
      max_concurrent_devices: 3,
    };
    const started = performance.now();
    const points = await collect(cfg);
    const elapsed = performance.now() - started;
    expectValid(points);
    for (const [name, tries] of [
      ['dead', 2],
      ['wrong-community', 1],
    ] as const) {
      expect(one(points, 'snmp_device', name).fields.up).toBe(false);
      const poll = one(points, 'snmp_poll', name).fields;
      expect(poll.success).toBe(false);
      expect(poll.error).toMatch(/no answer within 400 ms after \d tries/);
      expect(poll.duration_ms).toBeGreaterThanOrEqual(timeoutMs * tries - 20);
      expect(poll.duration_ms).toBeLessThan(timeoutMs * tries + 1500);
    }
    expect(one(points, 'snmp_device', 'alive').fields.up).toBe(true);
    expect(one(points, 'snmp_poll', 'alive').fields.success).toBe(true);
    expect(Number(one(points, 'snmp_poll', 'alive').fields.duration_ms)).toBeLessThan(timeoutMs * 2);
    // Polled side by side: the run lasts about the slowest device, not the sum.
    expect(elapsed).toBeLessThan(timeoutMs * 2 + 2000);
  });

  it('collect() cuts off a device at poll_timeout and reports it, rather than stalling the run', async () => {
    const deadPort = await freeUdpPort();
    const started = performance.now();
    const points = await collect({
      devices: [
        {
          name: 'slow',
          address: '127.0.0.1',
          port: deadPort,
          credentials: 'c',
          request_timeout: '2s',
          retries: 3,
        },
      ],
      credentials: { c: { version: '2c', community: 'x' } },
      poll_timeout: '300ms',
    });
    expect(performance.now() - started).toBeLessThan(1500);
    expect(one(points, 'snmp_poll', 'slow').fields).toMatchObject({ success: false });
    expect(one(points, 'snmp_poll', 'slow').fields.error).toBe(
      'system: poll aborted: poll took longer than poll_timeout 300 ms',
    );
  });
});

describe('snmp collector configuration', () => {
  it('collect() throws naming the device when it names a profile that does not exist', async () => {
    await expect(
      collect({
        devices: [{ name: 'x', address: '127.0.0.1', credentials: 'c', profile: 'no-such-profile' }],
        credentials: { c: { version: '2c', community: 'public' } },
      }),
    ).rejects.toThrow(
      /^snmp: device x: unknown profile "no-such-profile" \(known: akcp, apc, eaton, environment-sensor, generic, juniper, liebert, mikrotik, netbotz, standard, switch, ups\)$/,
    );
  });
});
