import { type DatacenterSite, datacenterSiteSchema } from './declaration.js';
import type { LiveEvidence } from './evaluate.js';

/**
 * A site declared for Rated-4 with live evidence that confirms every criterion, shared by the
 * evaluator's unit tests: each test changes one fact or one row and checks what flips.
 */
export function rated4Site(overrides: Record<string, unknown> = {}): DatacenterSite {
  const ev = { document: 'TK-01', date: '2026-01-15', checked_by: 'kiểm tra viên' };
  return datacenterSiteSchema.parse({
    id: 'dc-test',
    name: 'Test DC',
    site_id: 'so-tttt',
    target_rating: 4,
    devices: [
      ...['ups-a1', 'ups-a2', 'ups-b1', 'ups-b2'].map((name) => ({ name, role: 'ups' })),
      { name: 'core-1', role: 'switch' },
      { name: 'core-2', role: 'switch' },
      { name: 'env-1', role: 'sensor' },
      { name: 'pdu-1a', role: 'pdu' },
      { name: 'pdu-1b', role: 'pdu' },
    ],
    rooms: [
      { id: 'cr-1', kind: 'computer_room', floor_load_kpa: 7.5, evidence: ev },
      { id: 'er-1', kind: 'entrance_room' },
      { id: 'er-2', kind: 'entrance_room' },
    ],
    electrical: {
      ups_units: [
        { id: 'a1', device: 'ups-a1', capacity_kw: 10, path: 'A' },
        { id: 'a2', device: 'ups-a2', capacity_kw: 10, path: 'A' },
        { id: 'b1', device: 'ups-b1', capacity_kw: 10, path: 'B' },
        { id: 'b2', device: 'ups-b2', capacity_kw: 10, path: 'B' },
      ],
      ups_redundancy: { value: '2(N+1)', evidence: ev },
      power_paths: 'dual_active',
      generators: [
        { id: 'g1', capacity_kw: 100, fuel_autonomy_hours: 96 },
        { id: 'g2', capacity_kw: 100, fuel_autonomy_hours: 100 },
      ],
      generator_redundancy: '2N',
      utility_feeds: [{ id: 'f1' }, { id: 'f2' }],
      utility_feeds_diverse: true,
      ats_present: true,
      dual_corded_it_percent: 100,
      rack_pdus: [
        { rack: 'R1', feed: 'A', device: 'pdu-1a', rated_current_a: 16 },
        { rack: 'R1', feed: 'B', device: 'pdu-1b', rated_current_a: 16 },
      ],
      concurrent_maintenance_tested: { value: '2026-02-14', evidence: { document: 'BB-07' } },
    },
    mechanical: {
      cooling_redundancy: '2N',
      cooling_paths: 'dual_active',
      continuous_cooling: true,
      leak_detection: true,
      contacts: [
        { device: 'env-1', sensor: 'leak-1', kind: 'leak', room: 'cr-1' },
        { device: 'env-1', sensor: 'smoke-1', kind: 'smoke', room: 'cr-1' },
        { device: 'env-1', sensor: 'door-1', kind: 'door', room: 'cr-1' },
      ],
      fire_suppression: 'clean_agent',
      fire_compartmentalised: true,
      inlet_sensors: [{ device: 'env-1', sensor: 'inlet A3' }],
    },
    telecom: {
      access_providers: [
        {
          id: 'vnpt',
          name: 'VNPT',
          entrance_room: 'er-1',
          uplinks: [{ device: 'core-1', if_name: 'Gi0/1' }],
        },
        {
          id: 'viettel',
          name: 'Viettel',
          entrance_room: 'er-2',
          uplinks: [{ device: 'core-2', if_name: 'Gi0/1' }],
        },
      ],
      diverse_entrance_pathways: true,
      entrance_pathway_separation_m: 25,
      redundant_backbone_cabling: true,
      core_switches: [
        { device: 'core-1', psus: 2, uplinks: [{ if_name: 'Gi0/24', neighbour: 'core-2' }] },
        { device: 'core-2', psus: 2, uplinks: [{ if_name: 'Gi0/24', neighbour: 'core-1' }] },
      ],
      secondary_distribution_area: true,
    },
    architectural: {
      access_control: 'card_cctv_mantrap',
      noc_hours: '24x7',
      compartmentalised_a_b: true,
      site_risks: { risks: [{ risk: 'flood', grade: 'low' }], evidence: ev },
    },
    ...overrides,
  });
}

export const testNow = Date.parse('2026-06-01T08:00:00Z');

/** Readings one minute old that confirm every live criterion of rated4Site(). */
export function rated4Evidence(t = testNow - 60_000): LiveEvidence {
  const ups = (device: string) => ({
    device,
    time: t,
    on_battery: false,
    battery_status: 2,
    minutes_remaining: 30,
    load_percent: 20,
    output_power_w: 2000,
  });
  const link = (device: string, if_name: string) => ({ device, if_name, time: t, oper_up: true });
  return {
    ups: ['ups-a1', 'ups-a2', 'ups-b1', 'ups-b2'].map(ups),
    devices: [
      { device: 'core-1', time: t, up: true },
      { device: 'core-2', time: t, up: true },
    ],
    interfaces: [
      link('core-1', 'Gi0/1'),
      link('core-1', 'Gi0/24'),
      link('core-2', 'Gi0/1'),
      link('core-2', 'Gi0/24'),
    ],
    entities: ['core-1', 'core-2'].flatMap((device) =>
      ['PSU 1', 'PSU 2'].map((name) => ({ device, class: 'powerSupply', name, time: t })),
    ),
    environment: [
      {
        device: 'env-1',
        sensor: 'inlet A3',
        time: t,
        temperature_c: 22,
        humidity_percent: 45,
        dew_point_c: 9.6,
      },
    ],
    timeInBand: [],
    pduFeeds: [
      { device: 'pdu-1a', phase: '1', bank: '0', time: t, current_a: 3.2 },
      { device: 'pdu-1b', phase: '1', bank: '0', time: t, current_a: 3.0 },
    ],
    contacts: [
      { device: 'env-1', sensor: 'leak-1', kind: 'leak', time: t, active: false },
      { device: 'env-1', sensor: 'smoke-1', kind: 'smoke', time: t, active: false },
      { device: 'env-1', sensor: 'door-1', kind: 'door', time: t, active: false },
    ],
  };
}
