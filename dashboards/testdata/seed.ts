import { groupingTagsOf, slaTargetOf } from '../../lib/endpoints/index.js';
import type { Endpoint } from '../../lib/endpoints/types.js';
import type { FieldValue } from '../../protocol/index.js';

/**
 * A realistic day in the province, generated (not recorded) so the answers are known by construction:
 * the registry's endpoints pinged every 5 minutes with outages, 50 agency machines, SNMP switches, UPSes and
 * sensors, and the agents' own health. `expect` holds what the dashboards must show for it.
 */

export interface SeedPoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, FieldValue>;
  time: number;
}

/** Points one agent posts through the server (which stamps agent_id and site_id). */
export interface AgentBatch {
  agentId: string;
  siteId: string;
  points: SeedPoint[];
}

export type AvState = 'protected' | 'unprotected' | 'unknown';

export interface Machine {
  agentId: string;
  hostname: string;
  siteId: 'so-tttt' | 'huyen-a';
  /** Last antivirus state of the machine (host_state); products below. */
  state: AvState;
  products: { product: string; state: AvState; reason: string; source: string; signatureAgeDays?: number }[];
  /** Silent: reported only 30 hours ago. */
  silent: boolean;
  /** Was unprotected early in the window, protected at the end. */
  recovered: boolean;
}

const minute = 60_000;
export const pingCycleMs = 5 * minute;
export const pingCycles = 66;
export const snmpCycleMs = 5 * minute;
export const hostCycleMs = 30 * minute;

/** Small deterministic PRNG (mulberry32), so every run seeds the same numbers. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

export interface Dataset {
  now: number;
  batches: AgentBatch[];
  machines: Machine[];
  /** Times of the ping cycles, oldest first. */
  pingTimes: number[];
  expect: {
    pingPoints: number;
    /** Cycles each endpoint was down (any cause) and down because of a parent. */
    downCycles: Map<string, number>;
    parentDownCycles: Map<string, number>;
    /** Latest status code of every endpoint (see dashboards/queries.ts statusCode). */
    latestStatus: Map<string, number>;
    /** Endpoints the endpoint-down alert must name. */
    endpointDown: string[];
    /** District links above the loss threshold (up, mean loss over 10 minutes). */
    lossyLinks: string[];
    upsOnBattery: string[];
    /** Machines unprotected in every report of the last hour (agent ids). */
    unprotectedMachines: string[];
    silentMachines: string[];
    /** Pollers (agent ids) whose last ping or SNMP run is older than the poller-silent rule's 15 minutes. */
    silentPollers: string[];
    /** Sites none of whose agents has reported its own health for the site-silent rule's 72 hours. */
    silentSites: string[];
    growingSpools: string[];
    /** The readiness scorecard's latest state (server-written dc_readiness / dc_criterion). */
    readiness: { ratings: Record<string, number>; blocking: string[] };
  };
}

export const scenario = {
  /** The core switch's ENTITY-SENSOR rows: index, name, type tag, value (none: nonoperational), display unit. */
  sensors: [
    [1, 'CPU', 'celsius', 47.5, 'C'],
    [2, 'PSU 1 12V', 'volts_dc', 12.1, 'V'],
    [3, 'PSU 1 input', 'volts_ac', 229, 'V'],
    [4, 'PSU 1 current', 'amperes', 1.8, 'A'],
    [5, 'PSU 1 power', 'watts', 210, 'W'],
    [6, 'Fan 1', 'rpm', 7200, 'rpm'],
    [7, 'Te1/1/1 Rx', 'dbm', -3.2, 'dBm'],
    [8, 'PSU 2 present', 'truthvalue', 1, ''],
    [9, 'PSU 2 12V', 'volts_dc', undefined, 'V'],
  ] as [number, string, string, number | undefined, string][],
  /** Rack R12's PDUs: phase 1 current, A, per bank (0 is the phase as a whole). */
  pdu: { current: { 'pdu-r12-a': [12.8, 6.4, 6.4], 'pdu-r12-b': [4, 4, 0] } as Record<string, number[]> },
  /** An aggregation node (former district centre) down in the past, its communes parent_down meanwhile. */
  pastOutage: { router: 'nut-kim-dong', from: 20, cycles: 12 },
  /** An aggregation node down now, its communes parent_down. */
  currentOutage: { router: 'nut-van-lam', cycles: 6 },
  /** A commune down by itself now. */
  ownOutage: { endpoint: 'an-thi-an-thi', cycles: 8 },
  /** An aggregation node's link losing packets now, and a commune degraded for a while. */
  lossyLink: { endpoint: 'nut-yen-my', cycles: 3, lossPercent: 20 },
  degradedCommune: { cycles: 5, lossPercent: 40 },
} as const;

export function makeDataset(endpoints: readonly Endpoint[], now: number): Dataset {
  const rnd = prng(20261122);
  const pingTimes = Array.from(
    { length: pingCycles },
    (_, k) => now - 2 * minute - (pingCycles - 1 - k) * pingCycleMs,
  );
  const byId = new Map(endpoints.map((e) => [e.id, e]));
  const degradedCommune =
    endpoints.find((e) => e.level === 'commune' && e.tags?.former_district === 'Phù Cừ')?.id ?? '';
  if (!byId.has(scenario.ownOutage.endpoint) || !byId.has(scenario.pastOutage.router) || !degradedCommune) {
    throw new Error('seed: the demo registry lacks the endpoints the scenario names');
  }

  type Cycle = { up: boolean; cause: '' | 'down' | 'parent_down'; parent: string; loss: number };
  const state = (id: string, k: number): Cycle => {
    const last = pingCycles;
    const { pastOutage: p, currentOutage: c, ownOutage: o, lossyLink: l, degradedCommune: d } = scenario;
    const inPast = k >= p.from && k < p.from + p.cycles;
    const inCurrent = k >= last - c.cycles;
    if ((inPast && id === p.router) || (inCurrent && id === c.router))
      return { up: false, cause: 'down', parent: '', loss: 100 };
    const parent = byId.get(id)?.parent;
    if (inPast && parent === p.router)
      return { up: false, cause: 'parent_down', parent: p.router, loss: 100 };
    if (inCurrent && parent === c.router)
      return { up: false, cause: 'parent_down', parent: c.router, loss: 100 };
    if (id === o.endpoint && k >= last - o.cycles) return { up: false, cause: 'down', parent: '', loss: 100 };
    if (id === l.endpoint && k >= last - l.cycles)
      return { up: true, cause: '', parent: '', loss: l.lossPercent };
    if (id === degradedCommune && k >= last - d.cycles)
      return { up: true, cause: '', parent: '', loss: d.lossPercent };
    return { up: true, cause: '', parent: '', loss: 0 };
  };

  const pingPoints: SeedPoint[] = [];
  const downCycles = new Map<string, number>();
  const parentDownCycles = new Map<string, number>();
  const latestStatus = new Map<string, number>();
  for (const e of endpoints) {
    const base = e.level === 'province' ? 2 : e.level === 'district' ? 8 : 18;
    for (const [k, time] of pingTimes.entries()) {
      const s = state(e.id, k);
      const sent = 5;
      const received = Math.round(sent * (1 - s.loss / 100));
      const fields: Record<string, FieldValue> = {
        sent,
        received,
        loss_percent: s.loss,
        up: s.up,
        cause: s.cause,
        parent_id: s.parent,
        address: e.address,
        error: '',
        interval_s: pingCycleMs / 1000,
        // The demo registry sets no sla_targets: the defaults, as the poller would write them.
        sla_target_percent: slaTargetOf(undefined, e.level),
      };
      if (e.lat !== undefined && e.lon !== undefined) Object.assign(fields, { lat: e.lat, lon: e.lon });
      if (s.up) {
        const rtts = Array.from({ length: received }, () => round(base + rnd() * base * 0.6, 3));
        const mean = rtts.reduce((a, b) => a + b, 0) / rtts.length;
        fields.rtt_min_ms = Math.min(...rtts);
        fields.rtt_avg_ms = round(mean, 3);
        fields.rtt_max_ms = Math.max(...rtts);
        fields.rtt_stddev_ms = round(
          Math.sqrt(rtts.reduce((a, r) => a + (r - mean) ** 2, 0) / rtts.length),
          3,
        );
        if (rtts.length > 1) {
          fields.jitter_ms = round(
            rtts.slice(1).reduce((a, r, i) => a + Math.abs(r - (rtts[i] as number)), 0) / (rtts.length - 1),
            3,
          );
        }
      } else {
        downCycles.set(e.id, (downCycles.get(e.id) ?? 0) + 1);
        if (s.cause === 'parent_down') parentDownCycles.set(e.id, (parentDownCycles.get(e.id) ?? 0) + 1);
      }
      pingPoints.push({
        measurement: 'ping',
        // As the ping collector tags them: identity, office name, level and the registry's grouping tags.
        tags: {
          source: 'poller-dc',
          target_id: e.id,
          name: e.name,
          level: e.level,
          ...(e.district ? { district: e.district } : {}),
          ...groupingTagsOf(e),
        },
        fields,
        time,
      });
      if (k === pingCycles - 1) latestStatus.set(e.id, s.cause === 'parent_down' ? 1000 + s.loss : s.loss);
    }
  }

  // --- machines ---------------------------------------------------------------------------------
  const machines: Machine[] = [];
  const unprotectedIn: Record<string, string[]> = {
    'so-tttt': ['pc-003', 'pc-007', 'pc-011'],
    'huyen-a': ['pc-033', 'pc-036', 'pc-041', 'pc-045'],
  };
  const unknownIn = ['pc-015', 'pc-019', 'pc-048', 'pc-050'];
  const silent = ['pc-028', 'pc-029', 'pc-030'];
  for (let i = 1; i <= 50; i++) {
    const agentId = `pc-${String(i).padStart(3, '0')}`;
    const siteId = i <= 30 ? 'so-tttt' : 'huyen-a';
    const hostname = `${siteId === 'so-tttt' ? 'STTTT' : 'HA'}-PC${String(i).padStart(2, '0')}`;
    const unprotected = unprotectedIn[siteId]?.includes(agentId) ?? false;
    const unknown = unknownIn.includes(agentId);
    const products: Machine['products'] = [];
    if (unprotected) {
      const reasons = [
        { product: 'Windows Defender', reason: 'disabled', source: 'securitycenter2' },
        { product: 'ClamAV', reason: 'signatures_out_of_date', source: 'clamav', signatureAgeDays: 12.5 },
        { product: 'none', reason: 'no_product', source: 'none' },
        { product: 'BKAV Pro', reason: 'expired', source: 'securitycenter2' },
      ] as const;
      products.push({ ...reasons[i % reasons.length]!, state: 'unprotected' });
    } else if (unknown) {
      products.push(
        i % 2 === 0
          ? { product: 'unknown', state: 'unknown', reason: 'no_securitycenter', source: 'none' }
          : {
              product: 'Kaspersky Endpoint Security',
              state: 'unknown',
              reason: 'stale_registration',
              source: 'securitycenter2',
            },
      );
    } else {
      products.push({
        product: 'Windows Defender',
        state: 'protected',
        reason: 'ok',
        source: 'defender',
        signatureAgeDays: round(rnd() * 3, 1),
      });
      // A second product in passive mode: the machine is still protected by the first.
      if (i === 5)
        products.push({
          product: 'Kaspersky Endpoint Security',
          state: 'unprotected',
          reason: 'passive_mode',
          source: 'defender',
        });
    }
    const state: AvState = products.some((p) => p.state === 'protected')
      ? 'protected'
      : products.some((p) => p.state === 'unknown')
        ? 'unknown'
        : 'unprotected';
    machines.push({
      agentId,
      hostname,
      siteId,
      state,
      products,
      silent: silent.includes(agentId),
      recovered: agentId === 'pc-023',
    });
  }

  const batches: AgentBatch[] = [];
  const hostTimes = (m: Machine) =>
    m.silent
      ? [now - 30 * 60 * minute]
      : Array.from({ length: 11 }, (_, k) => now - 3 * minute - (10 - k) * hostCycleMs);
  const models = [
    ['Dell Inc.', 'OptiPlex 3080', 'Intel Core i5-10500', 8],
    ['HP', 'HP ProDesk 400 G7', 'Intel Core i3-10100', 8],
    ['LENOVO', 'ThinkCentre M70t', 'Intel Core i5-10400', 16],
  ] as const;
  const oses = [
    ['Microsoft Windows 10 Pro', '10.0.19045', 'win32'],
    ['Microsoft Windows 11 Pro', '10.0.22631', 'win32'],
    ['Ubuntu', '22.04.4 LTS', 'linux'],
  ] as const;
  for (const [idx, m] of machines.entries()) {
    const points: SeedPoint[] = [];
    const times = hostTimes(m);
    const [manufacturer, model, cpu, memGiB] = models[idx % models.length]!;
    const [osDistro, osRelease, platform] = oses[idx % 7 === 0 ? 2 : idx % 3 === 0 ? 1 : 0]!;
    const inventory = (memBytes: number, changed: boolean, time: number): SeedPoint => ({
      measurement: 'inventory',
      tags: { hostname: m.hostname },
      fields: {
        manufacturer,
        model,
        serial: `SN${m.agentId.toUpperCase()}`,
        uuid: `4c4c4544-0000-0000-0000-${String(idx).padStart(12, '0')}`,
        virtual: false,
        cpu_model: cpu,
        cpu_cores: 6,
        cpu_logical_cores: 12,
        mem_total_bytes: memBytes,
        disk_count: 1,
        disk_total_bytes: 256 * 1024 ** 3,
        os_platform: platform,
        os_distro: osDistro,
        os_release: osRelease,
        arch: 'x64',
        inventory_hash: `hash-${m.agentId}-${memBytes}`,
        changed,
      },
      time,
    });
    const first = times[0] as number;
    points.push(inventory(memGiB * 1024 ** 3, false, first));
    if (m.agentId === 'pc-012') {
      const when = first + 2 * 60 * minute;
      points.push(inventory(8 * 1024 ** 3, true, when));
      points.push({
        measurement: 'inventory_change',
        tags: { hostname: m.hostname, component: 'memory' },
        fields: {
          before: '16 GiB: DIMM1 8 GiB DDR4 SN 1A2B; DIMM2 8 GiB DDR4 SN 3C4D',
          after: '8 GiB: DIMM1 8 GiB DDR4 SN 1A2B',
          summary: 'memory 16 GiB → 8 GiB; module removed: DIMM2 8 GiB DDR4 SN 3C4D',
        },
        time: when,
      });
    }
    for (const [k, time] of times.entries()) {
      points.push({
        measurement: 'host',
        tags: { hostname: m.hostname },
        fields: {
          cpu_load_percent: round(5 + rnd() * 40),
          load1: 0,
          mem_used_percent: round(30 + rnd() * 40),
          mem_total_bytes: memGiB * 1024 ** 3,
          uptime_s: 3600 * 5 + k * 1800,
        },
        time,
      });
      // pc-023 recovered: unprotected (disabled) in the first half, protected afterwards.
      const recovering = m.recovered && k < times.length / 2;
      const products = recovering
        ? [
            {
              product: 'Windows Defender',
              state: 'unprotected' as const,
              reason: 'disabled',
              source: 'defender',
            },
          ]
        : m.products;
      const hostState = recovering ? 'unprotected' : m.state;
      for (const p of products) {
        points.push({
          measurement: 'antivirus',
          tags: { hostname: m.hostname, product: p.product },
          fields: {
            state: p.state,
            reason: p.reason,
            host_state: hostState,
            source: p.source,
            ...(p.product !== 'none' && p.product !== 'unknown' ? { enabled: p.reason !== 'disabled' } : {}),
            ...('signatureAgeDays' in p && p.signatureAgeDays !== undefined
              ? { signature_age_days: p.signatureAgeDays, up_to_date: p.signatureAgeDays < 7 }
              : {}),
          },
          time: time + 1000,
        });
      }
      const dropping = m.agentId === 'pc-040';
      points.push({
        measurement: 'agent_health',
        tags: { hostname: m.hostname, version: '0.1.0' },
        fields: {
          queue_batches: dropping ? k : 0,
          queue_points: dropping ? k * 500 : 0,
          queue_bytes: dropping ? k * 120_000 : 0,
          dropped_points: dropping ? k * 40 : 0,
          rejected_points: 0,
          send_errors: dropping ? k * 3 : 0,
          rss_bytes: 48 * 1024 ** 2 + Math.round(rnd() * 4 * 1024 ** 2),
        },
        time: time + 2000,
      });
      for (const collector of ['host', 'antivirus', 'inventory']) {
        const fails = collector === 'antivirus' && m.agentId === 'pc-019';
        points.push({
          measurement: 'collector_run',
          tags: { hostname: m.hostname, collector },
          fields: {
            success: !fails,
            duration_ms: round(collector === 'inventory' ? 300 + rnd() * 150 : 20 + rnd() * 80),
            points: fails ? 0 : 1,
            error: fails ? 'antivirus: powershell did not answer within 30s' : '',
          },
          time: time + 3000,
        });
      }
    }
    // pc-001 also reported two days ago: a machine with old points and new ones is not silent.
    if (m.agentId === 'pc-001') {
      points.push({
        measurement: 'host',
        tags: { hostname: m.hostname },
        fields: {
          cpu_load_percent: 3,
          load1: 0,
          mem_used_percent: 30,
          mem_total_bytes: 8 * 1024 ** 3,
          uptime_s: 60,
        },
        time: now - 48 * 60 * minute,
      });
    }
    batches.push({ agentId: m.agentId, siteId: m.siteId, points });
  }

  // --- poller: ping, SNMP and its own health -----------------------------------------------------
  const snmpPoints: SeedPoint[] = [];
  const snmpTimes = Array.from(
    { length: pingCycles },
    (_, k) => now - 30_000 - (pingCycles - 1 - k) * snmpCycleMs,
  );
  const switches = ['sw-core', 'sw-so-tttt', 'sw-huyen-a', 'sw-dmz', 'sw-access-1'];
  const rebootAt = 40;
  for (const [k, time] of snmpTimes.entries()) {
    for (const [d, device] of switches.entries()) {
      const down = device === 'sw-dmz' && k >= 10 && k < 13;
      snmpPoints.push({
        measurement: 'snmp_poll',
        tags: { device },
        fields: {
          success: !down,
          duration_ms: round(down ? 5000 : 40 + d * 30 + rnd() * 20),
          error: down ? 'timeout' : '',
          oids: down ? 0 : 120,
        },
        time,
      });
      if (down) {
        snmpPoints.push({ measurement: 'snmp_device', tags: { device }, fields: { up: false }, time });
        continue;
      }
      const rebooted = device === 'sw-so-tttt' && k === rebootAt;
      const uptime =
        device === 'sw-so-tttt' && k >= rebootAt ? (k - rebootAt) * 300 + 60 : 86_400 * 30 + k * 300;
      snmpPoints.push({
        measurement: 'snmp_device',
        tags: { device },
        fields: {
          up: true,
          sys_uptime_s: uptime,
          sys_name: device,
          sys_descr: 'Cisco IOS Software, C2960X Software, Version 15.2(7)E4',
          sys_object_id: '1.3.6.1.4.1.9.1.1208',
          serial: `FOC${2000 + d}X1AB`,
          profile: 'switch',
          rebooted,
        },
        time,
      });
      for (let port = 1; port <= 8; port++) {
        const operUp = port !== 8;
        const inBps = operUp ? round((port === 1 ? 80e6 : 2e6 * port) * (0.6 + rnd() * 0.8), 0) : 0;
        const outBps = operUp ? round(inBps * (0.3 + rnd() * 0.4), 0) : 0;
        const errorsGrow = device === 'sw-access-1' && port === 3;
        const discardsGrow = device === 'sw-dmz' && port === 1;
        snmpPoints.push({
          measurement: 'snmp_interface',
          tags: { device, if_index: String(10100 + port), if_name: `Gi1/0/${port}` },
          fields: {
            oper_up: operUp,
            admin_up: true,
            oper_status: operUp ? 1 : 2,
            speed_bps: 1_000_000_000,
            in_octets: Math.round(k * 300 * (inBps / 8)) + 1_000_000,
            out_octets: Math.round(k * 300 * (outBps / 8)) + 1_000_000,
            in_bps: inBps,
            out_bps: outBps,
            in_errors: errorsGrow ? k * 17 : 2,
            out_errors: 0,
            in_discards: discardsGrow ? k * 5 : 0,
            out_discards: 0,
            counter_bits: 64,
            if_alias: port === 1 ? 'uplink core' : `office ${port}`,
            if_descr: `GigabitEthernet1/0/${port}`,
          },
          time,
        });
      }
    }
    const last = pingCycles - 1;
    for (const ups of ['ups-dc-1', 'ups-dc-2']) {
      const onBattery = ups === 'ups-dc-1' && k >= last - 3;
      const minutesOn = onBattery ? (k - (last - 3)) * 5 : 0;
      snmpPoints.push({
        measurement: 'ups',
        tags: { device: ups },
        fields: {
          battery_status: 2,
          battery_status_text: 'normal',
          on_battery: onBattery,
          seconds_on_battery: minutesOn * 60,
          minutes_remaining: onBattery ? 42 - minutesOn * 2 : 45,
          charge_percent: onBattery ? 100 - minutesOn * 4 : 100,
          load_percent: ups === 'ups-dc-1' ? 38 : 24,
          output_source: onBattery ? 5 : 3,
          output_source_text: onBattery ? 'battery' : 'normal',
          input_voltage: onBattery ? 0 : 228,
        },
        time,
      });
      snmpPoints.push({
        measurement: 'snmp_poll',
        tags: { device: ups },
        fields: { success: true, duration_ms: round(25 + rnd() * 10), error: '', oids: 30 },
        time,
      });
    }
    for (const [sensor, zone, base] of [
      ['probe1', 'cold-aisle', 21],
      ['probe2', 'hot-aisle', 29],
    ] as const) {
      const temperature = round(base + rnd() * 2 + (k > 50 && zone === 'hot-aisle' ? 4 : 0), 1);
      const humidity = round(45 + rnd() * 10, 1);
      snmpPoints.push({
        measurement: 'environment',
        tags: { device: 'env-dc', sensor, zone },
        fields: {
          temperature_c: temperature,
          humidity_percent: humidity,
          dew_point_c: round(temperature - (100 - humidity) / 5, 1),
        },
        time,
      });
    }
  }
  // ENTITY-SENSOR readings of the core switch (every unit kind, one sensor nonoperational) and rack
  // R12's two PDUs, per phase (bank 0) and outlet bank, plus the device-wide power point.
  for (const time of snmpTimes) {
    for (const [ent, sensor, type, value, units] of scenario.sensors) {
      snmpPoints.push({
        measurement: 'snmp_sensor',
        tags: { device: 'sw-core', ent_index: String(ent), sensor, type },
        fields:
          value === undefined
            ? { oper_status: 3, units_display: units }
            : { value, oper_status: 1, units_display: units },
        time,
      });
    }
    for (const [device, banks] of Object.entries(scenario.pdu.current)) {
      banks.forEach((current_a, bank) => {
        snmpPoints.push({
          measurement: 'pdu',
          tags: { device, phase: '1', bank: String(bank) },
          fields: { current_a, load_state: current_a === 0 ? 2 : 1 },
          time,
        });
      });
      snmpPoints.push({ measurement: 'pdu', tags: { device }, fields: { power_w: 2900 }, time });
    }
  }
  const pollerPoints: SeedPoint[] = [...pingPoints, ...snmpPoints];
  for (const [k, time] of pingTimes.entries()) {
    for (const collector of ['ping', 'snmp']) {
      pollerPoints.push({
        measurement: 'collector_run',
        tags: { hostname: 'poller-dc', collector },
        fields: {
          success: true,
          duration_ms: round(collector === 'ping' ? 900 + rnd() * 300 : 400 + rnd() * 200),
          points: 166,
          error: '',
        },
        time: time + 5000,
      });
    }
    pollerPoints.push({
      measurement: 'agent_health',
      tags: { hostname: 'poller-dc', version: '0.1.0' },
      fields: {
        queue_batches: 0,
        queue_points: k % 7 === 0 ? 1200 : 0,
        queue_bytes: 0,
        dropped_points: 0,
        rejected_points: 0,
        send_errors: 0,
        rss_bytes: 90 * 1024 ** 2,
      },
      time: time + 6000,
    });
  }
  batches.push({ agentId: 'poller-dc', siteId: 'so-tttt', points: pollerPoints });

  // A second poller that stopped two hours ago (its SNMP collector ran every 5 minutes until then).
  batches.push({
    agentId: 'poller-b',
    siteId: 'huyen-a',
    points: Array.from({ length: 24 }, (_, k) => now - 2 * 60 * minute - (23 - k) * snmpCycleMs).flatMap(
      (time): SeedPoint[] => [
        {
          measurement: 'collector_run',
          tags: { hostname: 'poller-b', collector: 'snmp' },
          fields: { success: true, duration_ms: 350, points: 12, error: '' },
          time,
        },
        {
          measurement: 'agent_health',
          tags: { hostname: 'poller-b', version: '0.1.0' },
          fields: { queue_batches: 0, queue_points: 0, queue_bytes: 0, dropped_points: 0, rss_bytes: 80e6 },
          time: time + 1000,
        },
      ],
    ),
  });
  // A commune's site whose two PCs last reported four days ago (longer than a weekend): the site is silent.
  for (const agentId of ['pc-xb-01', 'pc-xb-02']) {
    batches.push({
      agentId,
      siteId: 'xa-b',
      points: Array.from({ length: 6 }, (_, k) => ({
        measurement: 'agent_health',
        tags: { hostname: agentId.toUpperCase(), version: '0.1.0' },
        fields: { queue_batches: 0, queue_points: 0, queue_bytes: 0, dropped_points: 0, rss_bytes: 50e6 },
        time: now - 4 * 24 * 60 * minute - (5 - k) * hostCycleMs,
      })),
    });
  }

  // A second collector server whose InfluxDB writes fail: its spool grows. Sent through ingest as a
  // stand-in for that server's own health writer.
  const spoolPoints: SeedPoint[] = Array.from({ length: 30 }, (_, k) => ({
    measurement: 'server_health',
    tags: { instance: 'collector-b' },
    fields: {
      spool_bytes: 1_000_000 + k * 250_000,
      spool_points: 4_000 + k * 1_000,
      points_accepted: 100_000 + k * 5_000,
      points_rejected: 10,
      write_errors: k * 2,
    },
    time: now - 20_000 - (29 - k) * minute,
  }));
  batches.push({ agentId: 'collector-b-health', siteId: 'so-tttt', points: spoolPoints });

  // The server's readiness scheduler: Rated-2 electrical until the UPS goes on battery (E1, E5 fail),
  // T3 unknown all along (no evidence of diverse entrance pathways).
  const readinessPoints: SeedPoint[] = [];
  const lastCycle = pingCycles - 1;
  for (const [k, time] of pingTimes.entries()) {
    const onBattery = k >= lastCycle - 3;
    const ratings: Record<string, number> = {
      telecommunications: 2,
      architectural: 3,
      electrical: onBattery ? 0 : 3,
      mechanical: 3,
    };
    ratings.overall = Math.min(...Object.values(ratings));
    for (const [subsystem, rating] of Object.entries(ratings)) {
      readinessPoints.push({
        measurement: 'dc_readiness',
        tags: { dc_site: 'dc-tinh', subsystem },
        fields: {
          rating,
          target_rating: 3,
          passed: 4,
          failed: subsystem === 'electrical' && onBattery ? 2 : 0,
          unknown: subsystem === 'telecommunications' ? 1 : 0,
          total: 6,
          blocking: '',
          ...(subsystem === 'electrical'
            ? {
                ups_load_kw: onBattery ? 6.2 : 6.1,
                ups_available_kw: onBattery ? 10 : 20,
                ups_n1_capacity_kw: onBattery ? 0 : 10,
              }
            : {}),
        },
        time: time + 7000,
      });
    }
    const status: Record<string, string> = {
      E1: onBattery ? 'fail' : 'pass',
      E5: onBattery ? 'fail' : 'pass',
      M6: 'pass',
      T3: 'unknown',
      A1: 'pass',
    };
    for (const [criterion, st] of Object.entries(status)) {
      const subsystem = { E: 'electrical', M: 'mechanical', T: 'telecommunications', A: 'architectural' }[
        criterion[0] as 'E'
      ];
      readinessPoints.push({
        measurement: 'dc_criterion',
        tags: { dc_site: 'dc-tinh', subsystem, criterion },
        fields: {
          status: st,
          status_r1: criterion === 'E5' ? st : 'pass',
          status_r2: st,
          status_r3: st,
          status_r4: st === 'pass' ? 'fail' : st,
          level: st === 'pass' ? 3 : criterion === 'E5' ? 0 : 1,
          requirement: 'R1 N | R2 N+1 | R3 N+1 | R4 2N',
          evidence: `live: ${criterion} reading`,
          reason: st === 'pass' ? '' : `${criterion} does not pass`,
          fix: st === 'pass' ? '' : `make ${criterion} pass`,
          contradiction: criterion === 'E1' && onBattery ? 'declared N+1, measured N' : '',
          source: criterion === 'T3' ? 'SEC,UNV' : 'SEC',
          unverified: criterion === 'T3',
          decided_by: 'both',
        },
        time: time + 7000,
      });
    }
  }
  batches.push({ agentId: 'hatang-server', siteId: 'so-tttt', points: readinessPoints });

  const active = machines.filter((m) => !m.silent);
  return {
    now,
    batches,
    machines,
    pingTimes,
    expect: {
      pingPoints: pingPoints.length,
      downCycles,
      parentDownCycles,
      latestStatus,
      endpointDown: [...latestStatus]
        .filter(([, s]) => s === 100)
        .map(([id]) => id)
        .sort(),
      lossyLinks: [scenario.lossyLink.endpoint],
      upsOnBattery: ['ups-dc-1'],
      unprotectedMachines: active
        .filter((m) => m.state === 'unprotected')
        .map((m) => m.agentId)
        .sort(),
      silentMachines: machines
        .filter((m) => m.silent)
        .map((m) => m.agentId)
        .sort(),
      silentPollers: ['poller-b'],
      silentSites: ['xa-b'],
      growingSpools: ['collector-b'],
      readiness: {
        ratings: { telecommunications: 2, architectural: 3, electrical: 0, mechanical: 3, overall: 0 },
        blocking: ['E1', 'E5', 'T3'],
      },
    },
  };
}
