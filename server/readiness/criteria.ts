/**
 * The TIA-942 readiness criteria, as data (../shared/reference/tia942.md, "Criteria"). One row per
 * criterion: subsystem, the declared field it reads, its requirement at Rated-1..4 (null: not required
 * at that level), where the threshold comes from and how it is decided. The evaluator (evaluate.ts)
 * reads this table; it holds no threshold of its own.
 *
 * Source tags: TIA = TIA's public page; SEC = secondary summaries; UTI = Uptime Institute;
 * UNV = not verified against the standard (shown as "unverified threshold"); DES = a design choice
 * of hatang. The reference table has no E5 and no A4; hatang's two live checks that the issue asks
 * for and that the reference files under no row (UPS battery state, rack-inlet thermal envelope) are
 * E5 and M6, both tagged DES.
 */

export const subsystems = ['telecommunications', 'architectural', 'electrical', 'mechanical'] as const;
export type Subsystem = (typeof subsystems)[number];

export const sourceTags = ['TIA', 'SEC', 'UTI', 'UNV', 'DES'] as const;
export type SourceTag = (typeof sourceTags)[number];

/** declared: from config/datacenter.yaml only; live: from the poller's measurements only; both: a declaration that live evidence must confirm. */
export type DecidedBy = 'declared' | 'live' | 'both';

export const levels = [1, 2, 3, 4] as const;
export type Level = (typeof levels)[number];

/** A requirement per level, Rated-1..4; null where the level asks nothing of this criterion. */
export type PerLevel<T> = readonly [T | null, T | null, T | null, T | null];

export interface Criterion<T = unknown> {
  id: string;
  subsystem: Subsystem;
  /** The declared field (or live fact) it reads. */
  field: string;
  title: { en: string; vi: string };
  requirement: PerLevel<T>;
  sources: readonly SourceTag[];
  decidedBy: DecidedBy;
  /** What live evidence decides or contradicts it, and where it comes from ("" when none). */
  live: string;
}

export { ashraeA1, type Band } from '../../lib/ashrae.js';

/** T3: the separation commonly quoted for diverse entrance pathways, metres (SEC, UNV). */
export const entrancePathwaySeparationM = 20;

const row = <const I extends string, T>(c: Criterion<T> & { id: I }): Criterion<T> & { id: I } => c;

/** The table. Order is the display order; ids are stable (they tag dc_criterion points). */
export const criteria = [
  row({
    id: 'E1',
    subsystem: 'electrical',
    field: 'ups_redundancy',
    title: { en: 'UPS redundancy', vi: 'Dự phòng UPS' },
    requirement: ['N', 'N+1', 'N+1', '2N'],
    sources: ['SEC'],
    decidedBy: 'both',
    live: 'ups.output_power_w (or load_percent × capacity) of every declared unit, on_battery, battery_status',
  }),
  row({
    id: 'E2',
    subsystem: 'electrical',
    field: 'power_paths',
    title: { en: 'Power distribution paths', vi: 'Đường cấp nguồn' },
    requirement: ['single', 'single', 'active_alternate', 'dual_active'],
    sources: ['TIA', 'SEC'],
    decidedBy: 'declared',
    live: '',
  }),
  row({
    id: 'E3',
    subsystem: 'electrical',
    field: 'generator_redundancy',
    title: { en: 'Generator redundancy', vi: 'Dự phòng máy phát' },
    requirement: ['none', 'N+1', 'N+1', '2N'],
    sources: ['SEC', 'UTI'],
    decidedBy: 'declared',
    live: '',
  }),
  row({
    id: 'E4',
    subsystem: 'electrical',
    field: 'fuel_autonomy_hours',
    title: {
      en: 'Fuel autonomy at N load, hours',
      vi: 'Thời gian chạy máy phát bằng nhiên liệu dự trữ, giờ',
    },
    requirement: [8, 24, 72, 96],
    sources: ['UNV'],
    decidedBy: 'declared',
    live: '',
  }),
  row({
    id: 'E5',
    subsystem: 'electrical',
    field: 'ups_battery_ready_minutes',
    title: {
      en: 'UPS units on mains, battery normal, runtime in minutes',
      vi: 'UPS chạy điện lưới, ắc quy bình thường, thời gian lưu điện (phút)',
    },
    requirement: [5, 5, 10, 10],
    sources: ['DES'],
    decidedBy: 'live',
    live: 'ups.on_battery, ups.battery_status, ups.minutes_remaining',
  }),
  row({
    id: 'E6',
    subsystem: 'electrical',
    field: 'dual_corded_it_percent',
    title: { en: 'Dual-corded IT equipment, %', vi: 'Thiết bị CNTT cấp nguồn kép, %' },
    requirement: [null, null, 100, 100],
    sources: ['DES'],
    decidedBy: 'both',
    live: 'pdu.current_a of the declared phase/bank of each rack PDU feed: A and B both > 0.1 A, A+B ≤ the smaller rated_current_a',
  }),
  row({
    id: 'E7',
    subsystem: 'electrical',
    field: 'utility_feeds',
    title: { en: 'Utility feeds', vi: 'Nguồn điện lưới' },
    requirement: [1, 1, 1, 2],
    sources: ['UNV'],
    decidedBy: 'declared',
    live: '',
  }),
  row({
    id: 'E8',
    subsystem: 'electrical',
    field: 'ats_present',
    title: { en: 'Automatic transfer switch', vi: 'Bộ chuyển nguồn tự động (ATS)' },
    requirement: [null, true, true, true],
    sources: ['UNV'],
    decidedBy: 'declared',
    live: '',
  }),
  row({
    id: 'E9',
    subsystem: 'electrical',
    field: 'concurrent_maintenance_tested',
    title: {
      en: 'Concurrent maintenance tested (dated record)',
      vi: 'Đã thử bảo trì không dừng hệ thống (có ngày)',
    },
    requirement: [null, null, true, true],
    sources: ['TIA'],
    decidedBy: 'declared',
    live: '',
  }),
  row({
    id: 'M1',
    subsystem: 'mechanical',
    field: 'cooling_redundancy',
    title: { en: 'Cooling redundancy', vi: 'Dự phòng làm mát' },
    requirement: ['N', 'N+1', 'N+1', '2N'],
    sources: ['SEC', 'UTI'],
    decidedBy: 'declared',
    live: '',
  }),
  row({
    id: 'M2',
    subsystem: 'mechanical',
    field: 'cooling_paths',
    title: { en: 'Cooling distribution paths', vi: 'Đường phân phối làm mát' },
    requirement: ['single', 'single', 'active_alternate', 'dual_active'],
    sources: ['UTI', 'SEC'],
    decidedBy: 'declared',
    live: '',
  }),
  row({
    id: 'M3',
    subsystem: 'mechanical',
    field: 'continuous_cooling',
    title: { en: 'Continuous cooling', vi: 'Làm mát liên tục' },
    requirement: [null, null, null, true],
    sources: ['UTI'],
    decidedBy: 'declared',
    live: '',
  }),
  row({
    id: 'M4',
    subsystem: 'mechanical',
    field: 'leak_detection',
    title: { en: 'Leak detection present and dry', vi: 'Cảm biến rò nước có và khô' },
    requirement: [null, true, true, true],
    sources: ['DES'],
    decidedBy: 'both',
    live: 'environment.leak (else contact_alarm) of the declared kind-leak contacts: every one dry',
  }),
  row({
    id: 'M5',
    subsystem: 'mechanical',
    field: 'fire_suppression',
    title: { en: 'Fire suppression', vi: 'Chữa cháy' },
    requirement: ['code', 'code', 'pre_action', 'pre_action_compartmentalised'],
    sources: ['UNV'],
    decidedBy: 'declared',
    live: 'informative only: environment.smoke (else contact_alarm) of the declared kind-smoke contacts',
  }),
  row({
    id: 'M6',
    subsystem: 'mechanical',
    field: 'inlet_thermal_envelope',
    title: {
      en: 'Rack inlets within the ASHRAE A1 envelope now',
      vi: 'Nhiệt độ/độ ẩm đầu vào rack trong dải ASHRAE A1',
    },
    requirement: ['allowable', 'allowable', 'recommended', 'recommended'],
    sources: ['DES'],
    decidedBy: 'live',
    live: 'environment.temperature_c, humidity_percent, dew_point_c of the declared inlet sensors',
  }),
  row({
    id: 'T1',
    subsystem: 'telecommunications',
    field: 'entrance_rooms',
    title: { en: 'Entrance rooms', vi: 'Phòng đấu nối vào' },
    requirement: [1, 1, 2, 2],
    sources: ['SEC'],
    decidedBy: 'declared',
    live: '',
  }),
  row({
    id: 'T2',
    subsystem: 'telecommunications',
    field: 'access_providers',
    title: { en: 'Access providers with an uplink up', vi: 'Nhà cung cấp đường truyền có uplink hoạt động' },
    requirement: [1, 1, 2, 2],
    sources: ['SEC'],
    decidedBy: 'both',
    live: "snmp_interface.oper_up of each provider's declared uplinks",
  }),
  row({
    id: 'T3',
    subsystem: 'telecommunications',
    field: 'diverse_entrance_pathways',
    title: { en: 'Diverse entrance pathways (≈20 m apart)', vi: 'Tuyến cáp vào tách biệt (≈20 m)' },
    requirement: [null, null, true, true],
    sources: ['SEC', 'UNV'],
    decidedBy: 'declared',
    live: '',
  }),
  row({
    id: 'T4',
    subsystem: 'telecommunications',
    field: 'redundant_backbone_cabling',
    title: { en: 'Redundant backbone cabling', vi: 'Cáp trục dự phòng' },
    requirement: [null, null, true, true],
    sources: ['SEC'],
    decidedBy: 'declared',
    live: '',
  }),
  row({
    id: 'T5',
    subsystem: 'telecommunications',
    field: 'redundant_core',
    title: { en: 'Redundant core (switches, PSUs)', vi: 'Lõi mạng dự phòng (switch, nguồn)' },
    requirement: [null, 'psu', 'two_cores', 'two_cores_sda'],
    sources: ['UNV'],
    decidedBy: 'both',
    live: 'snmp_device.up of the core switches; snmp_entity powerSupply entries where ENTITY-MIB lists them',
  }),
  row({
    id: 'T6',
    subsystem: 'telecommunications',
    field: 'min_uplinks_up_per_core',
    title: { en: 'Uplinks up per core switch', vi: 'Số uplink hoạt động mỗi switch lõi' },
    requirement: [1, 1, 2, 2],
    sources: ['DES'],
    decidedBy: 'live',
    live: 'snmp_interface.oper_up of the declared uplinks; Rated-4 also needs two distinct neighbours',
  }),
  row({
    id: 'A1',
    subsystem: 'architectural',
    field: 'floor_load_kpa',
    title: { en: 'Computer-room floor loading, kPa', vi: 'Tải trọng sàn phòng máy, kPa' },
    requirement: [4.1, 4.8, 7.2, 7.2],
    sources: ['UNV'],
    decidedBy: 'declared',
    live: '',
  }),
  row({
    id: 'A2',
    subsystem: 'architectural',
    field: 'access_control',
    title: { en: 'Access control', vi: 'Kiểm soát ra vào' },
    requirement: ['lock', 'card', 'card_cctv', 'card_cctv_mantrap'],
    sources: ['DES'],
    decidedBy: 'declared',
    live: 'informative only: environment.door_open (else contact_alarm) of the declared kind-door contacts',
  }),
  row({
    id: 'A3',
    subsystem: 'architectural',
    field: 'noc_hours',
    title: { en: 'NOC staffed 24×7', vi: 'Trực vận hành 24/7' },
    requirement: [null, null, '24x7', '24x7'],
    sources: ['DES'],
    decidedBy: 'declared',
    live: '',
  }),
  row({
    id: 'A5',
    subsystem: 'architectural',
    field: 'compartmentalised_a_b',
    title: { en: 'A and B compartmentalised', vi: 'Ngăn cách khoang A và B' },
    requirement: [null, null, null, true],
    sources: ['TIA', 'UTI'],
    decidedBy: 'declared',
    live: '',
  }),
  row({
    id: 'A6',
    subsystem: 'architectural',
    field: 'site_risks',
    title: { en: 'Site risks assessed and graded', vi: 'Đánh giá rủi ro địa điểm' },
    requirement: ['graded', 'graded', 'graded', 'graded'],
    sources: ['UNV'],
    decidedBy: 'declared',
    live: '',
  }),
] as const satisfies readonly Criterion[];

export type CriterionId = (typeof criteria)[number]['id'];
export const criterionIds = criteria.map((c) => c.id) as readonly CriterionId[];

/** A threshold tagged UNV is shown as "unverified threshold" wherever it appears. */
export const isUnverified = (c: Pick<Criterion, 'sources'>) => c.sources.includes('UNV');

/**
 * Availability figures per rating come from the Uptime Institute, not TIA: informative only, never a
 * criterion.
 */
export const uptimeInformative = {
  1: { percent: 99.671, downtime: '28.8 h/yr' },
  2: { percent: 99.741, downtime: '22.7 h/yr' },
  3: { percent: 99.982, downtime: '1.6 h/yr' },
  4: { percent: 99.995, downtime: '26 min/yr' },
} as const;

export const disclaimer = {
  en: 'readiness self-assessment, not a certification',
  vi: 'tự đánh giá mức sẵn sàng, không phải chứng nhận',
} as const;
