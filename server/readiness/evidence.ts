import { environment, pdu, snmpDevice, snmpEntity, snmpInterface, ups } from '../../protocol/index.js';
import type { QuerySeries, Storage } from '../storage/index.js';
import { ashraeA1, type Band } from './criteria.js';
import type { DatacenterSite } from './declaration.js';
import type { ContactRow, LiveEvidence, TimeInBandRow } from './evaluate.js';

/** `"tag" =~ /^(a|b)$/` matching exactly the given values (regex metacharacters and `/` escaped). */
function tagIn(tag: string, values: Iterable<string>): string {
  const alts = [...new Set(values)].map((v) => v.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&'));
  return alts.length === 0 ? 'false' : `${q(tag)} =~ /^(${alts.join('|')})$/`;
}

/**
 * The edge between InfluxDB and the pure evaluator: InfluxQL built here (site ids are slugs, times
 * integers, names from the catalogue) and turned into plain rows: UPS, devices, uplinks, PSUs, inlet
 * probes, the declared rack PDUs' phase/bank currents (`pdu`) and the declared probe contacts
 * (`environment` leak / smoke / door_open, else contact_alarm).
 */

const q = (name: string) => `"${name.replace(/"/g, '')}"`;

/** The latest point per group: its time and the named columns. */
function latest(
  series: QuerySeries[],
): { tags: Record<string, string>; time: number; v: Record<string, unknown> }[] {
  return series.flatMap((s) => {
    const row = s.values[0];
    if (!row) return [];
    const v = Object.fromEntries(s.columns.map((c, i) => [c, row[i]]));
    return [{ tags: s.tags ?? {}, time: Number(v.time), v }];
  });
}

const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
const bool = (x: unknown) => (typeof x === 'boolean' ? x : undefined);
const defined = <T extends object>(o: T) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export interface EvidenceQuery {
  /** The declared site: its `site_id` and the devices, uplinks and sensors it names bound every query. */
  site: DatacenterSite;
  now: number;
  /** How far back the latest reading is looked for (older: "no reading"). */
  lookbackMs?: number;
  signal?: AbortSignal;
}

function bandCondition(band: Band, withHumidity: boolean): string {
  const b = ashraeA1[band];
  const t = `"temperature_c" >= ${b.tempMin} AND "temperature_c" <= ${b.tempMax}`;
  if (!withHumidity) return t;
  return `${t} AND "dew_point_c" >= ${b.dewMin} AND "dew_point_c" <= ${b.dewMax} AND "humidity_percent" >= ${b.rhMin} AND "humidity_percent" <= ${b.rhMax}`;
}

/** Everything the evaluator reads for one site, as plain rows. */
export async function queryEvidence(storage: Storage, o: EvidenceQuery): Promise<LiveEvidence> {
  const since = `time > ${Math.trunc(o.now - (o.lookbackMs ?? 86_400_000))}ms AND time <= ${Math.trunc(o.now + 300_000)}ms`;
  const d = o.site;
  const site = `"site_id" = '${d.site_id.replace(/'/g, '')}'`;
  const last = async (m: string, fields: string[], group: string[], filter: string) =>
    filter === 'false'
      ? []
      : storage.query(
          `SELECT ${fields.map(q).join(', ')} FROM ${q(m)} WHERE ${site} AND ${filter} AND ${since} GROUP BY ${group.map(q).join(', ')} ORDER BY time DESC LIMIT 1`,
          o.signal,
        );
  const uplinks = [
    ...d.telecom.access_providers.flatMap((p) => p.uplinks),
    ...d.telecom.core_switches.flatMap((c) => c.uplinks.map((u) => ({ ...u, device: c.device }))),
  ];
  const inlets = d.mechanical.inlet_sensors;
  const upsDevices = tagIn(
    'device',
    d.electrical.ups_units.map((u) => u.device),
  );
  const coreDevices = tagIn(
    'device',
    d.telecom.core_switches.map((c) => c.device),
  );
  const allDevices = tagIn(
    'device',
    d.devices.map((x) => x.name),
  );
  const uplinkFilter =
    uplinks.length === 0
      ? 'false'
      : `${tagIn(
          'device',
          uplinks.map((u) => u.device),
        )} AND ${tagIn(
          'if_name',
          uplinks.map((u) => u.if_name),
        )}`;
  const inletFilter =
    inlets.length === 0
      ? 'false'
      : `${tagIn(
          'device',
          inlets.map((s) => s.device),
        )} AND ${tagIn(
          'sensor',
          inlets.map((s) => s.sensor),
        )}`;
  const pdus = d.electrical.rack_pdus;
  const pduFilter =
    pdus.length === 0
      ? 'false'
      : `${tagIn(
          'device',
          pdus.map((p) => p.device),
        )} AND ${tagIn(
          'phase',
          pdus.map((p) => p.phase),
        )} AND ${tagIn(
          'bank',
          pdus.map((p) => p.bank),
        )}`;
  const contacts = d.mechanical.contacts;
  const contactFilter =
    contacts.length === 0
      ? 'false'
      : `${tagIn(
          'device',
          contacts.map((c) => c.device),
        )} AND ${tagIn(
          'sensor',
          contacts.map((c) => c.sensor),
        )}`;
  const u = ups.fields;
  const e = environment.fields;
  const upsFields = [
    'on_battery',
    'battery_status',
    'minutes_remaining',
    'load_percent',
    'output_power_w',
  ] satisfies (keyof typeof u)[];
  const envFields = ['temperature_c', 'humidity_percent', 'dew_point_c'] satisfies (keyof typeof e)[];
  const contactFields = ['leak', 'smoke', 'door_open', 'contact_alarm'] satisfies (keyof typeof e)[];
  const [upsS, devS, ifS, entS, envS, pduS, contactS] = await Promise.all([
    last(ups.name, upsFields, ['device'], upsDevices),
    last(snmpDevice.name, ['up' satisfies keyof typeof snmpDevice.fields], ['device'], allDevices),
    last(
      snmpInterface.name,
      ['oper_up' satisfies keyof typeof snmpInterface.fields],
      ['device', 'if_name'],
      uplinkFilter,
    ),
    last(
      snmpEntity.name,
      ['name' satisfies keyof typeof snmpEntity.fields],
      ['device', 'ent_index', 'class'],
      coreDevices === 'false' ? 'false' : `${coreDevices} AND "class" = 'powerSupply'`,
    ),
    last(environment.name, envFields, ['device', 'sensor'], inletFilter),
    last(pdu.name, ['current_a' satisfies keyof typeof pdu.fields], ['device', 'phase', 'bank'], pduFilter),
    last(environment.name, contactFields, ['device', 'sensor'], contactFilter),
  ]);
  const timeInBand =
    inletFilter === 'false' ? [] : await queryTimeInBand(storage, o, `${site} AND ${inletFilter}`);
  return {
    ups: latest(upsS).map((r) =>
      defined({
        device: r.tags.device ?? '',
        time: r.time,
        on_battery: bool(r.v.on_battery),
        battery_status: num(r.v.battery_status),
        minutes_remaining: num(r.v.minutes_remaining),
        load_percent: num(r.v.load_percent),
        output_power_w: num(r.v.output_power_w),
      }),
    ),
    devices: latest(devS).map((r) => ({ device: r.tags.device ?? '', time: r.time, up: r.v.up === true })),
    interfaces: latest(ifS).map((r) => ({
      device: r.tags.device ?? '',
      if_name: r.tags.if_name ?? '',
      time: r.time,
      oper_up: r.v.oper_up === true,
    })),
    entities: latest(entS).map((r) => ({
      device: r.tags.device ?? '',
      class: r.tags.class ?? '',
      name: String(r.v.name ?? r.tags.ent_index ?? ''),
      time: r.time,
    })),
    environment: latest(envS).map((r) =>
      defined({
        device: r.tags.device ?? '',
        sensor: r.tags.sensor ?? '',
        time: r.time,
        temperature_c: num(r.v.temperature_c),
        humidity_percent: num(r.v.humidity_percent),
        dew_point_c: num(r.v.dew_point_c),
      }),
    ),
    timeInBand,
    pduFeeds: latest(pduS).flatMap((r) => {
      const current_a = num(r.v.current_a);
      return current_a === undefined
        ? []
        : [
            {
              device: r.tags.device ?? '',
              phase: r.tags.phase ?? '',
              bank: r.tags.bank ?? '',
              time: r.time,
              current_a,
            },
          ];
    }),
    contacts: latest(contactS).flatMap((r) =>
      contacts
        .filter((c) => c.device === r.tags.device && c.sensor === r.tags.sensor)
        .flatMap((c): ContactRow[] => {
          const field = { leak: 'leak', smoke: 'smoke', door: 'door_open' }[c.kind];
          const active = bool(r.v[field]) ?? bool(r.v.contact_alarm);
          return active === undefined
            ? []
            : [{ device: c.device, sensor: c.sensor, kind: c.kind, time: r.time, active }];
        }),
    ),
  };
}

const windows = { '24h': 86_400_000, '30d': 30 * 86_400_000 } as const;

/**
 * Readings in each ASHRAE band over 24 h and 30 d per probe, as numerator and denominator. A probe
 * without humidity is judged on temperature alone.
 */
async function queryTimeInBand(storage: Storage, o: EvidenceQuery, site: string): Promise<TimeInBandRow[]> {
  const out: TimeInBandRow[] = [];
  const m = q(environment.name);
  const group = 'GROUP BY "device", "sensor"';
  const key = (s: QuerySeries) => `${s.tags?.device}\u0000${s.tags?.sensor}`;
  const counts = (series: QuerySeries[], col = 1) =>
    new Map(series.map((s) => [key(s), Number(s.values[0]?.[col] ?? 0)]));
  await Promise.all(
    (Object.entries(windows) as ['24h' | '30d', number][]).map(async ([window, ms]) => {
      const range = `${site} AND time > ${Math.trunc(o.now - ms)}ms AND time <= ${Math.trunc(o.now)}ms`;
      const run = (where: string) =>
        storage.query(`SELECT count("temperature_c") FROM ${m} WHERE ${range}${where} ${group}`, o.signal);
      const totals = await storage.query(
        `SELECT count("temperature_c"), count("humidity_percent") FROM ${m} WHERE ${range} ${group}`,
        o.signal,
      );
      // Only the band forms some probe needs: with humidity (temperature, dew point, RH) or without.
      const needs = (humid: boolean) => totals.some((s) => Number(s.values[0]?.[2] ?? 0) > 0 === humid);
      const none = async (): Promise<QuerySeries[]> => [];
      const [recT, recH, allT, allH] = (
        await Promise.all([
          needs(false) ? run(` AND ${bandCondition('recommended', false)}`) : none(),
          needs(true) ? run(` AND ${bandCondition('recommended', true)}`) : none(),
          needs(false) ? run(` AND ${bandCondition('allowable', false)}`) : none(),
          needs(true) ? run(` AND ${bandCondition('allowable', true)}`) : none(),
        ])
      ).map((series) => counts(series));
      for (const s of totals) {
        const readings = Number(s.values[0]?.[1] ?? 0);
        const withHumidity = Number(s.values[0]?.[2] ?? 0) > 0;
        const k = key(s);
        const device = s.tags?.device ?? '';
        const sensor = s.tags?.sensor ?? '';
        out.push(
          {
            device,
            sensor,
            window,
            band: 'recommended',
            readings,
            in_band: (withHumidity ? recH : recT)?.get(k) ?? 0,
          },
          {
            device,
            sensor,
            window,
            band: 'allowable',
            readings,
            in_band: (withHumidity ? allH : allT)?.get(k) ?? 0,
          },
        );
      }
    }),
  );
  return out.sort((a, b) =>
    `${a.device}${a.sensor}${a.window}${a.band}`.localeCompare(`${b.device}${b.sensor}${b.window}${b.band}`),
  );
}
