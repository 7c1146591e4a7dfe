import {
  environment,
  pingGroupingTags as groupingTags,
  ping,
  snmpDevice,
  ups,
} from '../../protocol/index.js';
import type { AssetRegisterSource } from '../assets.js';
import { type AvailabilityRow, computeAvailability, rollUp } from '../availability.js';
import { statusUpTo } from '../readiness/evaluate.js';
import type { Readiness } from '../readiness/service.js';
import type { RegistrySource } from '../registry.js';
import { aroundQueries, type Storage } from '../storage/index.js';
import {
  type AntivirusFacts,
  antivirusByMachine,
  hardwareChanges,
  inventoryByMachine,
  type Machine,
  machinesSeen,
  matchMachines,
  rowsOf,
  siteFilter,
} from './collect-machines.js';
import type {
  Bilingual,
  Cell,
  CollectSnapshot,
  DenominatorKind,
  Denominators,
  LevelAvailability,
  Ratio,
  SnapshotColumn,
  SnapshotContent,
  SnapshotRequest,
  SnapshotSummary,
  SnapshotTable,
} from './types.js';

export interface SnapshotCollectorOptions {
  storage: Storage;
  registry: RegistrySource;
  assets: AssetRegisterSource;
  readiness?: Readiness;
  /** How far before "as of" a machine's points count as reporting (server config `assets.lookback`). */
  lookbackMs: number;
  version: string;
  /**
   * Count whole hours of ping from the ping_hourly roll-ups (default) or every raw point (`false`: the
   * benchmark's comparison, and a check that both agree).
   */
  rollups?: boolean;
  /**
   * How long after a late write's mark a roll-up is still not used (see server/availability.ts
   * `lateSlackFor`, from the server config's `storage.timeout`).
   */
  rollupLateSlackMs?: number;
  /** Outages listed at most, the most recent ({@link snapshotMaxOutages} by default); all are counted. */
  maxOutages?: number;
  /** A machine whose latest point is older than this before "as of" is listed as silent; 24 h by default. */
  silentAfterMs?: number;
}

const DAY_MS = 86_400_000;

/** A Storage that records every InfluxQL statement sent through it, in order. */
function recording(storage: Storage, queries: string[]): Storage {
  return aroundQueries(storage, (statements, run) => {
    queries.push(...statements);
    return run();
  });
}

const kindWords: Record<DenominatorKind, Bilingual> = {
  registered: { en: 'registered', vi: 'máy trong sổ tài sản' },
  reporting: { en: 'reporting', vi: 'máy đang báo cáo' },
  expected_cycles: { en: 'expected cycles', vi: 'chu kỳ dự kiến' },
  recorded_cycles: { en: 'recorded cycles', vi: 'chu kỳ ghi nhận' },
  endpoints: { en: 'endpoints', vi: 'điểm kết nối' },
};

function percent(numerator: number, denominator: number): number | null {
  return denominator > 0 ? Math.round((numerator / denominator) * 1000) / 10 : null;
}

function ratio(
  id: string,
  label: Bilingual,
  numerator: number,
  denominator: number,
  kind: DenominatorKind,
): Ratio {
  return {
    id,
    label,
    numerator,
    denominator,
    denominator_kind: kind,
    percent: percent(numerator, denominator),
  };
}

/**
 * A ratio as a person reads it, never a bare percentage: `36 / 50 registered (72.0 %)`,
 * `36 / 50 máy trong sổ tài sản (72,0 %)`; `(no denominator)` / `(không có mẫu số)` when it is 0.
 */
export function formatRatio(r: Ratio, lang: 'vi' | 'en' = 'en'): string {
  const words = kindWords[r.denominator_kind][lang];
  const share =
    r.percent === null
      ? lang === 'en'
        ? 'no denominator'
        : 'không có mẫu số'
      : `${lang === 'en' ? r.percent.toFixed(1) : r.percent.toFixed(1).replace('.', ',')} %`;
  return `${r.numerator} / ${r.denominator} ${words} (${share})`;
}

/** The machines outside the ratios: `3 not reporting, 1 not registered`. */
export function formatMachineGaps(d: Denominators, lang: 'vi' | 'en' = 'en'): string {
  return lang === 'en'
    ? `${d.not_reporting} not reporting, ${d.not_registered} not registered`
    : `${d.not_reporting} máy không báo cáo, ${d.not_registered} máy chưa có trong sổ tài sản`;
}

const col = (key: string, en: string, vi: string, unit?: string): SnapshotColumn => ({
  key,
  title: { en, vi },
  ...(unit ? { unit } : {}),
});

const iso = (t: unknown): string | null =>
  typeof t === 'number' && Number.isFinite(t) && t > 0 ? new Date(t).toISOString() : null;

const cell = (v: unknown): Cell =>
  v === undefined || v === null
    ? null
    : typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
      ? v
      : String(v);

const GIB = 1024 ** 3;
const gib = (v: unknown) => (typeof v === 'number' ? Math.round((v / GIB) * 10) / 10 : null);

const categoryWords: Record<Machine['category'], Bilingual> = {
  reporting: { en: 'reporting', vi: 'đang báo cáo' },
  not_reporting: { en: 'not reporting', vi: 'không báo cáo' },
  not_registered: { en: 'not registered', vi: 'chưa có trong sổ tài sản' },
};

const levelLabels: Record<string, Bilingual> = {
  province: { en: 'Province level', vi: 'Cấp tỉnh' },
  district: { en: 'District level', vi: 'Cấp huyện' },
  commune: { en: 'Commune level', vi: 'Cấp xã' },
};

const machineColumns = [
  col('site', 'Site', 'Site'),
  col('agency', 'Agency', 'Đơn vị'),
  col('hostname', 'Host name', 'Tên máy'),
  col('category', 'Category', 'Phân loại'),
];

function machineCells(m: Machine): Record<string, Cell> {
  return {
    site: m.site,
    agency: m.asset?.agency ?? null,
    hostname: m.asset?.hostname ?? m.hostname,
    category: m.category,
  };
}

const availabilityColumns = [
  col('endpoints', 'Endpoints', 'Số điểm'),
  col('interval_s', 'Cycle interval', 'Chu kỳ', 's'),
  col('expected_cycles', 'Expected cycles', 'Chu kỳ dự kiến'),
  col('recorded_cycles', 'Recorded cycles', 'Chu kỳ ghi nhận'),
  col('up_cycles', 'Up cycles', 'Chu kỳ thông'),
  col('down_cycles', 'Down cycles', 'Chu kỳ mất kết nối'),
  col('parent_down_cycles', 'Down because upstream was down', 'Mất do tuyến trên', ''),
  col('coverage_percent', 'Coverage (recorded time / window)', 'Độ phủ số liệu', '%'),
  col('availability_percent', 'Availability (up / recorded)', 'Tỷ lệ sẵn sàng', '%'),
  col(
    'own_availability_percent',
    'Availability, upstream outages excused',
    'Tỷ lệ sẵn sàng (trừ tuyến trên)',
    '%',
  ),
  col('monitored_seconds', 'Monitored time', 'Thời gian có số liệu', 's'),
  col('unknown_seconds', 'Unknown time (no data)', 'Thời gian không có số liệu', 's'),
  col('outages', 'Outages', 'Số lần mất kết nối'),
  col('outage_seconds', 'Outage time', 'Thời gian mất kết nối', 's'),
].map((c) => (c.unit === '' ? { key: c.key, title: c.title } : c));

function availabilityCells(r: AvailabilityRow): Record<string, Cell> {
  return {
    endpoints: r.endpoints,
    interval_s: r.interval_s,
    expected_cycles: r.expected_cycles,
    recorded_cycles: r.cycles,
    up_cycles: r.up_cycles,
    down_cycles: r.down_cycles,
    parent_down_cycles: r.parent_down_cycles,
    coverage_percent: r.coverage_percent,
    availability_percent: r.availability_percent,
    own_availability_percent: r.own_availability_percent,
    monitored_seconds: r.monitored_seconds,
    unknown_seconds: r.unknown_seconds,
    outages: r.outages,
    outage_seconds: r.outage_seconds,
  };
}

/**
 * Outages a snapshot lists, the most recent: every one of a year of a 166-endpoint network's (~43,000
 * short outages at the bench's rate) with room to spare; beyond it they are counted, and the table
 * says how many it lists. (The API lists 1,000.)
 */
export const snapshotMaxOutages = 100_000;

/**
 * Builds the snapshot collector: given a window, a scope and an "as of" cut-off, it reads the asset
 * register, the endpoint registry, InfluxDB (every query recorded) and the readiness engine, and
 * returns the snapshot's tables and stated ratios.
 *
 * What is counted against what:
 * - machines are matched on site + host name, without case; "registered" are the register's rows in
 *   scope, "reporting" those of them that wrote agent_health, inventory, host or antivirus in the
 *   look-back before "as of" (without a register: every machine seen); "not reporting" and "not
 *   registered" are listed as their own categories, never folded into a ratio;
 * - endpoints are the registry's (province-wide: the scope limits machines, not the network); their
 *   availability states expected cycles, recorded cycles and coverage, from hourly roll-ups for whole
 *   hours and raw points at the edges.
 *
 * Nothing stored with a time after "as of" is read: every query ends at it (`time <= as_of`).
 *
 * @example
 * const collect = createSnapshotCollector({ storage, registry, assets, lookbackMs: 30 * 86_400_000, version: '0.9.0' });
 * const content = await collect({ from: Date.parse('2026-11-01'), to: Date.parse('2026-12-01') });
 * formatRatio(content.summary.ratios[1]); // '36 / 50 registered (72.0 %)'
 */
export function createSnapshotCollector(o: SnapshotCollectorOptions): CollectSnapshot {
  return async function collectSnapshot(
    req: SnapshotRequest,
    signal?: AbortSignal,
  ): Promise<SnapshotContent> {
    if (!Number.isFinite(req.from) || !Number.isFinite(req.to) || req.from >= req.to) {
      throw new RangeError(
        `snapshot window: from (${iso(req.from) ?? req.from}) must be before to (${iso(req.to) ?? req.to})`,
      );
    }
    const asOf = Math.min(req.asOf ?? Date.now(), req.to);
    if (asOf <= req.from) {
      throw new RangeError(`snapshot window: "as of" (${iso(asOf)}) is not after the window's start`);
    }
    const fromMs = req.from;
    const toMs = Math.min(req.to, asOf);
    const sites = [...new Set(req.sites ?? [])].sort();
    const queries: string[] = [];
    const storage = recording(o.storage, queries);
    const lookback = { fromMs: asOf - o.lookbackMs, asOfMs: asOf, sites };

    // Machines: the register (in scope), what reported, and the latest antivirus and inventory.
    const register = o.assets.current();
    const inScope = register.assets.filter((a) => sites.length === 0 || sites.includes(a.site));
    // The parts are independent: asked for at once, so InfluxDB works on them side by side. Queries
    // are recorded in the order they are sent, which is this order.
    const endpoints = o.registry.current();
    // Antivirus and inventory read the last day first and ask the look-back only for machines seen
    // there and not in that day (the second query of each is sent once these are known).
    const seenMachines = machinesSeen(storage, lookback, signal);
    const [seen, av, inv, changes, availability, devices, power, pollers, cards] = await Promise.all([
      seenMachines,
      antivirusByMachine(storage, lookback, seenMachines, signal),
      inventoryByMachine(storage, lookback, seenMachines, signal),
      hardwareChanges(storage, { fromMs, toMs, sites }, signal),
      // Endpoints: availability per endpoint, level and group; outages.
      computeAvailability(storage, endpoints.endpoints, fromMs, toMs, {
        nowMs: asOf,
        maxOutages: o.maxOutages ?? snapshotMaxOutages,
        rollups: (o.rollups ?? true) && {
          ...(o.rollupLateSlackMs !== undefined ? { lateSlackMs: o.rollupLateSlackMs } : {}),
        },
        ...(signal ? { signal } : {}),
      }),
      networkDevices(storage, lookback, signal),
      upsEnvironment(storage, { fromMs, toMs, sites }, signal),
      pollerCoverage(storage, asOf, signal),
      o.readiness ? o.readiness.evaluate({ now: asOf, ...(signal ? { signal } : {}) }) : Promise.resolve([]),
    ]);
    const machines = matchMachines(inScope, seen);
    const registered = new Set(endpoints.endpoints.map((e) => e.id));
    const endpointRows = availability.endpoints;
    const levelRows = rollUp(
      endpointRows.filter((r) => registered.has(r.key)),
      'level',
    );
    const outagesCut =
      availability.outagesTotal > availability.outages.length
        ? { listed: availability.outages.length, total: availability.outagesTotal }
        : undefined;
    const groupRows = groupingTags.flatMap((tag) =>
      endpointRows.some((r) => r[tag] !== undefined)
        ? rollUp(
            endpointRows.filter((r) => registered.has(r.key)),
            tag,
          ).map((g) => ({ tag, g }))
        : [],
    );

    // Denominators and ratios.
    const hasRegister = register.source !== null || register.assets.length > 0;
    const count = (f: (m: Machine) => boolean) => machines.filter(f).length;
    const isRegistered = (m: Machine) => m.category !== 'not_registered';
    const isReporting = (m: Machine) => (hasRegister ? m.category === 'reporting' : m.seen !== undefined);
    const isProtected = (m: Machine) => av.get(m.key)?.state === 'protected';
    const hasInventory = (m: Machine) => inv.has(m.key);
    const denominators: Denominators = {
      registered: count(isRegistered),
      reporting: count(isReporting),
      not_reporting: count((m) => m.category === 'not_reporting'),
      not_registered: hasRegister ? count((m) => m.category === 'not_registered') : 0,
      lookback_s: Math.round(o.lookbackMs / 1000),
      endpoints: endpoints.endpoints.length,
      asset_register: register.source
        ? { file: register.source.file, sha256: register.source.sha256, rows: register.assets.length }
        : null,
    };
    const inRegister = machines.filter(isRegistered);
    const reporting = machines.filter(isReporting);
    const totals = endpointRows
      .filter((r) => registered.has(r.key))
      .reduce(
        (t, r) => ({
          expected: t.expected + r.expected_cycles,
          recorded: t.recorded + r.cycles,
          up: t.up + r.up_cycles,
          monitored: t.monitored + (r.cycles > 0 ? 1 : 0),
        }),
        { expected: 0, recorded: 0, up: 0, monitored: 0 },
      );
    const ratios: Ratio[] = [
      ratio(
        'machines_reporting_of_registered',
        { en: 'Registered machines reporting', vi: 'Máy trong sổ tài sản đang báo cáo' },
        count((m) => m.category === 'reporting'),
        denominators.registered,
        'registered',
      ),
      ratio(
        'antivirus_protected_of_registered',
        {
          en: 'Antivirus protecting, of registered machines',
          vi: 'Có phần mềm diệt virus bảo vệ, trên số máy trong sổ',
        },
        inRegister.filter(isProtected).length,
        denominators.registered,
        'registered',
      ),
      ratio(
        'antivirus_protected_of_reporting',
        {
          en: 'Antivirus protecting, of reporting machines',
          vi: 'Có phần mềm diệt virus bảo vệ, trên số máy đang báo cáo',
        },
        reporting.filter(isProtected).length,
        denominators.reporting,
        'reporting',
      ),
      ratio(
        'inventory_known_of_registered',
        {
          en: 'Hardware inventory known, of registered machines',
          vi: 'Có kiểm kê phần cứng, trên số máy trong sổ',
        },
        inRegister.filter(hasInventory).length,
        denominators.registered,
        'registered',
      ),
      ratio(
        'inventory_known_of_reporting',
        {
          en: 'Hardware inventory known, of reporting machines',
          vi: 'Có kiểm kê phần cứng, trên số máy đang báo cáo',
        },
        reporting.filter(hasInventory).length,
        denominators.reporting,
        'reporting',
      ),
      ratio(
        'endpoints_monitored',
        { en: 'Endpoints with any ping recorded in the window', vi: 'Điểm kết nối có số liệu trong kỳ' },
        totals.monitored,
        denominators.endpoints,
        'endpoints',
      ),
      ratio(
        'ping_cycles_recorded_of_expected',
        { en: 'Ping cycles recorded (coverage)', vi: 'Chu kỳ ping ghi nhận (độ phủ)' },
        totals.recorded,
        totals.expected,
        'expected_cycles',
      ),
      ratio(
        'ping_cycles_up_of_recorded',
        { en: 'Ping cycles up (availability)', vi: 'Chu kỳ ping thông (tính sẵn sàng)' },
        totals.up,
        totals.recorded,
        'recorded_cycles',
      ),
    ];
    const summary: SnapshotSummary = {
      ratios,
      availability_by_level: endpoints.levels
        .map((level) => levelRows.find((r) => r.key === level))
        .filter((r): r is AvailabilityRow => r !== undefined)
        .map(
          (r): LevelAvailability => ({
            level: r.key,
            label: levelLabels[r.key] ?? { en: r.key, vi: r.key },
            endpoints: r.endpoints,
            expected_cycles: r.expected_cycles,
            recorded_cycles: r.cycles,
            up_cycles: r.up_cycles,
            coverage_percent: percent(r.cycles, r.expected_cycles) ?? 0,
            availability_percent: percent(r.up_cycles, r.cycles),
            target_percent: null,
          }),
        ),
      readiness: cards.map((c) => ({
        site: c.site,
        name: c.name,
        overall_rating: c.overall_rating,
        target_rating: c.target_rating,
        gaps: c.gaps.length,
      })),
    };

    const silentAfterMs = o.silentAfterMs ?? DAY_MS;
    const tables: SnapshotTable[] = [
      {
        name: 'machines',
        title: { en: 'Machines: register and reporting', vi: 'Máy tính: sổ tài sản và báo cáo' },
        description: {
          en: 'Every machine of the asset register in scope and every machine that reported in the look-back, matched on site + host name without case.',
          vi: 'Mọi máy trong sổ tài sản thuộc phạm vi và mọi máy có báo cáo trong khoảng xem lại, so khớp theo site + tên máy (không phân biệt hoa thường).',
        },
        columns: [
          ...machineColumns,
          col('category_label', 'Category (text)', 'Phân loại (chữ)'),
          col('asset_tag', 'Asset tag', 'Mã tài sản'),
          col('owner', 'Owner', 'Người sử dụng'),
          col('agent_ids', 'Agent ids', 'Mã tác tử'),
          col('last_seen', 'Last seen', 'Lần cuối báo cáo'),
          col('sources', 'Seen in', 'Nguồn số liệu'),
          col('notes', 'Notes', 'Ghi chú'),
        ],
        rows: machines.map((m) => ({
          ...machineCells(m),
          category_label: categoryWords[m.category].en,
          asset_tag: m.asset?.asset_tag ?? null,
          owner: m.asset?.owner ?? null,
          agent_ids: m.seen?.agentIds.join(', ') ?? null,
          last_seen: iso(m.seen?.lastSeen),
          sources: m.seen?.sources.join(', ') ?? null,
          notes: m.asset?.notes ?? null,
        })),
      },
      {
        name: 'antivirus',
        title: { en: 'Antivirus per machine', vi: 'Phần mềm diệt virus theo máy' },
        description: {
          en: "Each machine's latest antivirus cycle in the look-back: the machine's state (protected if any product protects it), the product giving it, why, and the signatures' age. no_data: nothing reported.",
          vi: 'Lần báo cáo diệt virus gần nhất của mỗi máy trong khoảng xem lại: trạng thái của máy (được bảo vệ nếu có sản phẩm bảo vệ), sản phẩm, lý do và tuổi mẫu nhận diện. no_data: không có báo cáo.',
        },
        columns: [
          ...machineColumns,
          col('state', 'State', 'Trạng thái'),
          col('reason', 'Reason', 'Lý do'),
          col('product', 'Product', 'Sản phẩm'),
          col('products', 'All products', 'Mọi sản phẩm'),
          col('signature_age_days', 'Signature age', 'Tuổi mẫu nhận diện', 'days'),
          col('source', 'Read from', 'Nguồn'),
          col('last_seen', 'Last seen', 'Lần cuối báo cáo'),
        ],
        rows: machines.map((m) => antivirusCells(m, av.get(m.key))),
      },
      {
        name: 'inventory',
        title: { en: 'Hardware inventory', vi: 'Kiểm kê phần cứng' },
        description: {
          en: "Each machine's latest inventory in the look-back (agents re-assert it every few hours); empty cells: no inventory reported.",
          vi: 'Bản kiểm kê gần nhất của mỗi máy trong khoảng xem lại; ô trống: không có báo cáo kiểm kê.',
        },
        columns: [
          ...machineColumns,
          col('manufacturer', 'Manufacturer', 'Hãng'),
          col('model', 'Model', 'Model'),
          col('serial', 'Serial', 'Số sê-ri'),
          col('cpu_model', 'Processor', 'Bộ xử lý'),
          col('cpu_cores', 'Cores', 'Số nhân'),
          col('mem_total_gib', 'Memory', 'Bộ nhớ', 'GiB'),
          col('disk_count', 'Disks', 'Số ổ đĩa'),
          col('disk_total_gib', 'Disk space', 'Dung lượng đĩa', 'GiB'),
          col('os', 'Operating system', 'Hệ điều hành'),
          col('os_release', 'OS release', 'Phiên bản HĐH'),
          col('last_seen', 'Inventory time', 'Thời điểm kiểm kê'),
        ],
        rows: machines.map((m) => {
          const r = inv.get(m.key);
          return {
            ...machineCells(m),
            manufacturer: cell(r?.manufacturer),
            model: cell(r?.model),
            serial: cell(r?.serial),
            cpu_model: cell(r?.cpu_model),
            cpu_cores: cell(r?.cpu_cores),
            mem_total_gib: gib(r?.mem_total_bytes),
            disk_count: cell(r?.disk_count),
            disk_total_gib: gib(r?.disk_total_bytes),
            os: cell(r?.os_distro),
            os_release: cell(r?.os_release),
            last_seen: iso(r?.time),
          };
        }),
      },
      {
        name: 'hardware-changes',
        title: { en: 'Hardware changes in the window', vi: 'Thay đổi phần cứng trong kỳ' },
        description: {
          en: 'Every inventory component change agents reported in the window (inventory_change), oldest first.',
          vi: 'Mọi thay đổi thành phần phần cứng các máy báo cáo trong kỳ, cũ trước mới sau.',
        },
        columns: [
          col('time', 'Time', 'Thời điểm'),
          col('site', 'Site', 'Site'),
          col('hostname', 'Host name', 'Tên máy'),
          col('component', 'Component', 'Thành phần'),
          col('before', 'Before', 'Trước'),
          col('after', 'After', 'Sau'),
          col('summary', 'Summary', 'Tóm tắt'),
        ],
        rows: changes.map((c) => ({
          time: iso(c.time),
          site: cell(c.site_id),
          hostname: cell(c.hostname),
          component: cell(c.component),
          before: cell(c.before),
          after: cell(c.after),
          summary: cell(c.summary),
        })),
      },
      {
        name: 'endpoint-availability',
        title: { en: 'Endpoint availability', vi: 'Tính sẵn sàng của điểm kết nối' },
        description: {
          en: 'Each endpoint of the registry (and any pinged target no longer in it): expected cycles at its interval, recorded cycles, coverage, and availability of the recorded cycles. Time without points is unknown, never up.',
          vi: 'Mỗi điểm trong danh mục: số chu kỳ dự kiến, số chu kỳ ghi nhận, độ phủ và tỷ lệ sẵn sàng trên số chu kỳ ghi nhận. Thời gian không có số liệu là chưa biết, không tính là thông.',
        },
        columns: [
          col('target_id', 'Endpoint id', 'Mã điểm'),
          col('name', 'Name', 'Tên'),
          col('level', 'Level', 'Cấp'),
          col('in_registry', 'In the registry', 'Trong danh mục'),
          ...groupingTags.map((t) => col(t, t, t)),
          ...availabilityColumns.filter((c) => c.key !== 'endpoints'),
        ],
        rows: endpointRows.map((r) => {
          const { endpoints: _n, ...cells } = availabilityCells(r);
          return {
            target_id: r.key,
            name: r.name ?? null,
            level: r.level ?? null,
            in_registry: registered.has(r.key),
            ...Object.fromEntries(groupingTags.map((t) => [t, r[t] ?? null])),
            ...cells,
          };
        }),
      },
      {
        name: 'availability-by-level',
        title: { en: 'Availability by level', vi: 'Tính sẵn sàng theo cấp' },
        description: {
          en: "The registry's endpoints summed by level: cycles and time are added up, shares recomputed from the sums.",
          vi: 'Các điểm trong danh mục cộng theo cấp: cộng số chu kỳ và thời gian, tỷ lệ tính lại từ tổng.',
        },
        columns: [col('level', 'Level', 'Cấp'), ...availabilityColumns],
        rows: levelRows.map((r) => ({ level: r.key, ...availabilityCells(r) })),
      },
      {
        name: 'availability-by-group',
        title: { en: 'Availability by group', vi: 'Tính sẵn sàng theo nhóm' },
        description: {
          en: 'The same sums by each grouping tag the registry uses (former district, area, carrier, circuit).',
          vi: 'Các tổng như trên theo từng nhãn nhóm danh mục dùng (huyện cũ, khu vực, nhà mạng, mạch).',
        },
        columns: [
          col('group_by', 'Grouped by', 'Nhóm theo'),
          col('group', 'Group', 'Nhóm'),
          ...availabilityColumns,
        ],
        rows: groupRows.map(({ tag, g }) => ({ group_by: tag, group: g.key, ...availabilityCells(g) })),
      },
      {
        name: 'outages',
        title: { en: 'Outages', vi: 'Các lần mất kết nối' },
        description: {
          en: `Outages inside the window with their cause (down, or parent_down: an upstream endpoint was down); durations count only the part inside the window.${outagesCut ? ` Only the ${outagesCut.listed} most recent of ${outagesCut.total} outages are listed; all of them are counted in the availability tables.` : ''}`,
          vi: `Các lần mất kết nối trong kỳ và nguyên nhân (down: mất tại điểm; parent_down: tuyến trên mất); thời lượng chỉ tính phần trong kỳ.${outagesCut ? ` Chỉ liệt kê ${outagesCut.listed} lần gần nhất trong ${outagesCut.total} lần; tất cả đều được tính trong các bảng sẵn sàng.` : ''}`,
        },
        columns: [
          col('target_id', 'Endpoint id', 'Mã điểm'),
          col('name', 'Name', 'Tên'),
          col('level', 'Level', 'Cấp'),
          col('start', 'Start', 'Bắt đầu'),
          col('end', 'End', 'Kết thúc'),
          col('duration_s', 'Duration', 'Thời lượng', 's'),
          col('cause', 'Cause', 'Nguyên nhân'),
          col('parent_id', 'Upstream endpoint', 'Điểm tuyến trên'),
          col('ended_by', 'Ended by', 'Kết thúc do'),
        ],
        rows: availability.outages.map((x) => ({
          target_id: x.target_id,
          name: x.name ?? null,
          level: x.level ?? null,
          start: x.start,
          end: x.end,
          duration_s: x.duration_s,
          cause: x.cause,
          parent_id: x.parent_id || null,
          ended_by: x.ended_by,
        })),
      },
      devices,
      power,
      readinessTable(cards),
      {
        name: 'completeness',
        title: { en: 'Data completeness', vi: 'Độ đầy đủ số liệu' },
        description: {
          en: `Machines silent for more than ${Math.round(silentAfterMs / 3_600_000)} h before "as of" or not reporting at all, pollers by their latest ping, and endpoints under 90 % coverage in the window.`,
          vi: `Máy im lặng quá ${Math.round(silentAfterMs / 3_600_000)} giờ trước thời điểm chốt hoặc không báo cáo, các poller theo lần ping gần nhất, và điểm có độ phủ dưới 90 % trong kỳ.`,
        },
        columns: [
          col('kind', 'Kind', 'Loại'),
          col('id', 'Id', 'Mã'),
          col('site', 'Site', 'Site'),
          col('status', 'Status', 'Tình trạng'),
          col('last_seen', 'Last seen', 'Lần cuối'),
          col('silent_s', 'Silent for', 'Im lặng', 's'),
          col('coverage_percent', 'Coverage', 'Độ phủ', '%'),
        ],
        rows: [
          ...machines
            .filter((m) => m.category === 'not_reporting' || asOf - (m.seen?.lastSeen ?? 0) > silentAfterMs)
            .map((m) => ({
              kind: 'machine',
              id: m.hostname,
              site: m.site,
              status: m.seen ? 'silent' : 'not_reporting',
              last_seen: iso(m.seen?.lastSeen),
              silent_s: m.seen ? Math.round((asOf - m.seen.lastSeen) / 1000) : null,
              coverage_percent: null,
            })),
          ...pollers.map((p) => ({
            kind: 'poller',
            id: p.source,
            site: p.site,
            status: asOf - p.lastSeen > 10 * 60_000 ? 'silent' : 'ok',
            last_seen: iso(p.lastSeen),
            silent_s: Math.round((asOf - p.lastSeen) / 1000),
            coverage_percent: null,
          })),
          ...endpointRows
            .filter((r) => registered.has(r.key) && r.coverage_percent < 90)
            .map((r) => ({
              kind: 'endpoint',
              id: r.key,
              site: null,
              status: r.cycles === 0 ? 'no_data' : 'low_coverage',
              last_seen: null,
              silent_s: null,
              coverage_percent: r.coverage_percent,
            })),
        ],
      },
    ];

    return {
      window: { from: new Date(fromMs).toISOString(), to: new Date(req.to).toISOString() },
      as_of: new Date(asOf).toISOString(),
      scope: { sites },
      generator: { name: 'hatang', version: o.version },
      requested_by: req.requestedBy ?? null,
      denominators,
      summary,
      queries,
      tables,
    };
  };
}

function antivirusCells(m: Machine, a: AntivirusFacts | undefined): Record<string, Cell> {
  return {
    ...machineCells(m),
    state: a?.state ?? 'no_data',
    reason: a?.reason ?? (m.seen ? 'no_antivirus_report' : 'not_reporting'),
    product: a?.product ?? null,
    products: a?.products ?? null,
    signature_age_days: a?.signatureAgeDays ?? null,
    source: a?.source ?? null,
    last_seen: iso(a?.lastSeen),
  };
}

/** The latest snmp_device point of each device in the look-back: models and serials. */
async function networkDevices(
  storage: Storage,
  l: { fromMs: number; asOfMs: number; sites: readonly string[] },
  signal?: AbortSignal,
): Promise<SnapshotTable> {
  const series = await storage.query(
    `SELECT * FROM "${snmpDevice.name}" WHERE time > ${Math.trunc(l.fromMs)}ms AND time <= ${Math.trunc(l.asOfMs)}ms${siteFilter(l.sites)} GROUP BY "device" ORDER BY time DESC LIMIT 1`,
    signal,
  );
  return {
    name: 'network-devices',
    title: { en: 'Network devices', vi: 'Thiết bị mạng' },
    description: {
      en: "Each SNMP device's latest poll in the look-back: identity, model and serial as the device reports them.",
      vi: 'Lần đọc SNMP gần nhất của mỗi thiết bị trong khoảng xem lại: tên, model và số sê-ri thiết bị tự báo.',
    },
    columns: [
      col('device', 'Device', 'Thiết bị'),
      col('site', 'Site', 'Site'),
      col('sys_name', 'sysName', 'sysName'),
      col('model', 'Model', 'Model'),
      col('serial', 'Serial', 'Số sê-ri'),
      col('sys_descr', 'Description', 'Mô tả'),
      col('profile', 'SNMP profile', 'Hồ sơ SNMP'),
      col('up', 'Answered the latest poll', 'Trả lời lần đọc gần nhất'),
      col('last_seen', 'Last poll', 'Lần đọc cuối'),
    ],
    rows: series.flatMap((s) =>
      rowsOf(s).map((r) => ({
        device: s.tags?.device ?? cell(r.device),
        site: cell(r.site_id),
        sys_name: cell(r.sys_name),
        model: cell(r.model),
        serial: cell(r.serial),
        sys_descr: typeof r.sys_descr === 'string' ? r.sys_descr.slice(0, 200) : null,
        profile: cell(r.profile),
        up: cell(r.up),
        last_seen: iso(r.time),
      })),
    ),
  };
}

/** UPS and environment readings in the window, per device (and sensor): min, mean, max and counts. */
async function upsEnvironment(
  storage: Storage,
  w: { fromMs: number; toMs: number; sites: readonly string[] },
  signal?: AbortSignal,
): Promise<SnapshotTable> {
  const where = `time >= ${Math.trunc(w.fromMs)}ms AND time < ${Math.trunc(w.toMs)}ms${siteFilter(w.sites)}`;
  const stats = (fields: readonly string[]) =>
    fields
      .map(
        (f) =>
          `count("${f}") AS ${f}_n, min("${f}") AS ${f}_min, mean("${f}") AS ${f}_mean, max("${f}") AS ${f}_max`,
      )
      .join(', ');
  const upsFields = [
    'charge_percent',
    'load_percent',
    'minutes_remaining',
  ] as const satisfies readonly (keyof typeof ups.fields)[];
  const envFields = [
    'temperature_c',
    'humidity_percent',
  ] as const satisfies readonly (keyof typeof environment.fields)[];
  const [upsStats, onBattery, envStats] = await Promise.all([
    storage.query(`SELECT ${stats(upsFields)} FROM "${ups.name}" WHERE ${where} GROUP BY "device"`, signal),
    storage.query(
      `SELECT count("on_battery") AS n FROM "${ups.name}" WHERE "on_battery" = true AND ${where} GROUP BY "device"`,
      signal,
    ),
    storage.query(
      `SELECT ${stats(envFields)} FROM "${environment.name}" WHERE ${where} GROUP BY "device", "sensor"`,
      signal,
    ),
  ]);
  const battery = new Map(onBattery.map((s) => [s.tags?.device ?? '', Number(s.values[0]?.[1] ?? 0)]));
  const round = (v: unknown) => (typeof v === 'number' ? Math.round(v * 10) / 10 : null);
  const rows: Record<string, Cell>[] = [];
  const add = (
    kind: string,
    device: string,
    sensor: string | null,
    fields: readonly string[],
    r: Record<string, unknown>,
  ) => {
    for (const f of fields) {
      const n = Number(r[`${f}_n`] ?? 0);
      if (n === 0) continue;
      rows.push({
        kind,
        device,
        sensor,
        metric: f,
        readings: n,
        min: round(r[`${f}_min`]),
        mean: round(r[`${f}_mean`]),
        max: round(r[`${f}_max`]),
      });
    }
  };
  for (const s of upsStats) {
    const device = s.tags?.device ?? '';
    const r = rowsOf(s)[0] ?? {};
    add('ups', device, null, upsFields, r);
    const total = Math.max(...upsFields.map((f) => Number(r[`${f}_n`] ?? 0)));
    rows.push({
      kind: 'ups',
      device,
      sensor: null,
      metric: 'on_battery_readings',
      readings: total,
      min: null,
      mean: null,
      max: battery.get(device) ?? 0,
    });
  }
  for (const s of envStats)
    add('environment', s.tags?.device ?? '', s.tags?.sensor ?? null, envFields, rowsOf(s)[0] ?? {});
  return {
    name: 'ups-environment',
    title: { en: 'UPS and environment', vi: 'UPS và môi trường' },
    description: {
      en: 'UPS charge, load and runtime and room temperature and humidity over the window: readings, minimum, mean and maximum; on_battery_readings gives in max the readings taken on battery.',
      vi: 'Dung lượng, tải và thời gian lưu điện của UPS, nhiệt độ và độ ẩm phòng máy trong kỳ: số lần đọc, nhỏ nhất, trung bình, lớn nhất; on_battery_readings: cột max là số lần đọc khi chạy pin.',
    },
    columns: [
      col('kind', 'Kind', 'Loại'),
      col('device', 'Device', 'Thiết bị'),
      col('sensor', 'Sensor', 'Cảm biến'),
      col('metric', 'Metric', 'Chỉ số'),
      col('readings', 'Readings', 'Số lần đọc'),
      col('min', 'Minimum', 'Nhỏ nhất'),
      col('mean', 'Mean', 'Trung bình'),
      col('max', 'Maximum', 'Lớn nhất'),
    ],
    rows,
  };
}

/** Each poller's latest ping in the day before "as of" (a day of points, not the whole window). */
async function pollerCoverage(
  storage: Storage,
  asOf: number,
  signal?: AbortSignal,
): Promise<{ source: string; site: string | null; lastSeen: number }[]> {
  const series = await storage.query(
    `SELECT last("up") FROM "${ping.name}" WHERE time > ${Math.trunc(asOf - DAY_MS)}ms AND time <= ${Math.trunc(asOf)}ms GROUP BY "source", "site_id"`,
    signal,
  );
  return series
    .map((s) => ({
      source: s.tags?.source ?? '',
      site: s.tags?.site_id || null,
      lastSeen: Number(s.values[0]?.[0] ?? 0),
    }))
    .filter((p) => p.source !== '');
}

function readinessTable(cards: Awaited<ReturnType<Readiness['evaluate']>>): SnapshotTable {
  return {
    name: 'readiness',
    title: { en: 'TIA-942 readiness scorecard', vi: 'Đánh giá mức sẵn sàng TIA-942' },
    description: {
      en: 'Self-assessment against TIA-942 (not a certification), evaluated at "as of": each criterion\'s status at the target rating, and the evidence it rests on (declared or live).',
      vi: 'Tự đánh giá theo TIA-942 (không phải chứng nhận) tại thời điểm chốt: trạng thái từng tiêu chí ở mức mục tiêu và bằng chứng (khai báo hoặc đo trực tiếp).',
    },
    columns: [
      col('site', 'Data center', 'Trung tâm dữ liệu'),
      col('subsystem', 'Subsystem', 'Hệ thống'),
      col('criterion', 'Criterion', 'Tiêu chí'),
      col('title', 'Title', 'Tên tiêu chí'),
      col('status', 'Status at the target rating', 'Trạng thái ở mức mục tiêu'),
      col('overall_rating', 'Site rating', 'Mức của site'),
      col('target_rating', 'Target rating', 'Mức mục tiêu'),
      col('evidence', 'Evidence', 'Bằng chứng'),
      col('reason', 'Why not passed', 'Lý do chưa đạt'),
      col('fix', 'What would pass it', 'Cách khắc phục'),
    ],
    rows: cards.flatMap((card) =>
      card.criteria.map((c) => {
        const status = statusUpTo(c, card.target_rating);
        const worst = c.levels.slice(0, card.target_rating).find((l) => l.status === status);
        return {
          site: card.site,
          subsystem: c.subsystem,
          criterion: c.id,
          title: c.title.en,
          status,
          overall_rating: card.overall_rating,
          target_rating: card.target_rating,
          evidence: c.evidence
            .map((e) => `${e.kind}: ${e.text}${e.document ? ` [${e.document}]` : ''}`)
            .join('; ')
            .slice(0, 2000),
          reason: status === 'fail' || status === 'unknown' ? (worst?.reason ?? null) : null,
          fix: status === 'fail' || status === 'unknown' ? (worst?.fix ?? null) : null,
        };
      }),
    ),
  };
}
