import type { SnapshotContent, SnapshotTable } from '../types.js';

/**
 * A realistic snapshot of one province for October 2026, as the collector would hand it over:
 * a register of 50 machines, 47 reporting, 36 protected (the known answer), one machine
 * reporting but not registered, endpoint availability for three levels with one outage, a data
 * center scorecard. Pure data: the rows are spelled out or follow from the lists below.
 */

const agencies = [
  { site: 'so-tttt', name: 'Sở Thông tin và Truyền thông' },
  { site: 'ubnd-xa-tan-phu', name: 'UBND xã Tân Phú' },
  { site: 'ubnd-phuong-hoa-an', name: 'UBND phường Hòa An' },
];
const owners = ['Nguyễn Văn An', 'Trần Thị Bích', 'Lê Hoàng Cường', 'Phạm Thị Dung', 'Võ Minh Đức'];
const products = ['Bkav Pro', 'Kaspersky Endpoint Security 12.3', 'Microsoft Defender'];

/** Machine n (1..51): 1..50 are in the register; 48..50 never reported; 51 reports but is not registered. */
function machine(n: number) {
  const agency = agencies[n % agencies.length]!;
  const reporting = n <= 47 || n === 51;
  const protectedNow = n <= 36;
  const state = !reporting ? 'not_reporting' : protectedNow ? 'protected' : n <= 41 ? 'outdated' : 'disabled';
  return {
    site: agency.site,
    agency: agency.name,
    hostname: `${agency.site.toUpperCase()}-PC${String(n).padStart(3, '0')}`,
    asset_tag: n <= 50 ? `TS-2024-${String(1000 + n)}` : null,
    owner: n <= 50 ? owners[n % owners.length]! : null,
    registered: n <= 50,
    state,
    reason:
      state === 'outdated'
        ? 'chữ ký cũ hơn 7 ngày'
        : state === 'disabled'
          ? 'bảo vệ thời gian thực tắt'
          : state === 'not_reporting'
            ? 'không thấy trong 30 ngày'
            : null,
    product: reporting ? products[n % products.length]! : null,
    signature_age_days: reporting ? (protectedNow ? n % 3 : 8 + (n % 5)) : null,
    last_seen: reporting ? `2026-10-31T${String(8 + (n % 10)).padStart(2, '0')}:15:00.000Z` : null,
  };
}

const machines = Array.from({ length: 51 }, (_, i) => machine(i + 1));

const antivirus: SnapshotTable = {
  name: 'antivirus',
  title: { vi: 'Phần mềm diệt virus theo máy', en: 'Antivirus per machine' },
  description: {
    vi: 'Một dòng cho mỗi máy trong sổ tài sản hoặc đã báo cáo; trạng thái lúc chốt số liệu.',
    en: 'One row per machine in the asset register or reporting; state at the cut-off.',
  },
  columns: [
    { key: 'site', title: { vi: 'Đơn vị', en: 'Site' } },
    { key: 'hostname', title: { vi: 'Tên máy', en: 'Hostname' } },
    { key: 'asset_tag', title: { vi: 'Mã tài sản', en: 'Asset tag' } },
    { key: 'owner', title: { vi: 'Người sử dụng', en: 'Owner' } },
    { key: 'registered', title: { vi: 'Có trong sổ', en: 'Registered' } },
    { key: 'state', title: { vi: 'Trạng thái', en: 'State' } },
    { key: 'reason', title: { vi: 'Lý do', en: 'Reason' } },
    { key: 'product', title: { vi: 'Sản phẩm', en: 'Product' } },
    { key: 'signature_age_days', title: { vi: 'Tuổi mẫu nhận diện', en: 'Signature age' }, unit: 'days' },
    { key: 'last_seen', title: { vi: 'Lần cuối thấy', en: 'Last seen' } },
  ],
  rows: machines.map(({ agency: _agency, ...row }) => row),
};

const hardware: SnapshotTable = {
  name: 'hardware',
  title: { vi: 'Phần cứng', en: 'Hardware inventory' },
  description: {
    vi: 'Cấu hình mới nhất mỗi máy đang báo cáo gửi về trong kỳ.',
    en: 'The latest inventory each reporting machine sent within the window.',
  },
  columns: [
    { key: 'hostname', title: { vi: 'Tên máy', en: 'Hostname' } },
    { key: 'cpu', title: { vi: 'Bộ xử lý', en: 'CPU' } },
    { key: 'memory_gib', title: { vi: 'Bộ nhớ', en: 'Memory' }, unit: 'GiB' },
    { key: 'disk_gib', title: { vi: 'Ổ đĩa', en: 'Disk' }, unit: 'GiB' },
    { key: 'os', title: { vi: 'Hệ điều hành', en: 'Operating system' } },
    { key: 'serial', title: { vi: 'Số sê-ri', en: 'Serial' } },
  ],
  rows: machines
    .filter((m) => m.last_seen !== null)
    .map((m, i) => ({
      hostname: m.hostname,
      cpu: i % 2 ? 'Intel Core i5-10400' : 'Intel Core i3-8100',
      memory_gib: i % 4 === 0 ? 16 : 8,
      disk_gib: i % 3 === 0 ? 476.9 : 238.5,
      os: i % 5 === 0 ? 'Windows 11 Pro 23H2' : 'Windows 10 Pro 22H2',
      serial: `PF${(0x2a3b00 + i * 7919).toString(16).toUpperCase()}`,
    })),
};

const hardwareChanges: SnapshotTable = {
  name: 'hardware-changes',
  title: { vi: 'Thay đổi phần cứng trong kỳ', en: 'Hardware changes in the window' },
  description: {
    vi: 'Mỗi thay đổi giữa hai lần kiểm kê liên tiếp của một máy.',
    en: 'Each difference between two consecutive inventories of one machine.',
  },
  columns: [
    { key: 'time', title: { vi: 'Thời điểm', en: 'Time' } },
    { key: 'hostname', title: { vi: 'Tên máy', en: 'Hostname' } },
    { key: 'component', title: { vi: 'Thành phần', en: 'Component' } },
    { key: 'before', title: { vi: 'Trước', en: 'Before' } },
    { key: 'after', title: { vi: 'Sau', en: 'After' } },
  ],
  rows: [
    {
      time: '2026-10-07T02:41:00.000Z',
      hostname: 'SO-TTTT-PC003',
      component: 'memory',
      before: '8 GiB',
      after: '16 GiB',
    },
    {
      time: '2026-10-19T09:12:00.000Z',
      hostname: 'UBND-XA-TAN-PHU-PC010',
      component: 'disk',
      before: 'WDC WD10EZEX, "1 TB"',
      after: 'Samsung SSD 870 EVO 500GB',
    },
    {
      time: '2026-10-28T03:05:00.000Z',
      hostname: 'UBND-PHUONG-HOA-AN-PC014',
      component: 'serial',
      before: 'PF2A3B00',
      after: '=HYPERLINK("http://example.invalid")',
    },
  ],
};

const endpoints = [
  { id: 'tinh-ubnd', name: 'UBND tỉnh', level: 'province', group: 'tỉnh', up: 44_579, rec: 44_640 },
  { id: 'so-tttt-core', name: 'Sở TT&TT — lõi', level: 'department', group: 'sở', up: 44_640, rec: 44_640 },
  { id: 'so-tc', name: 'Sở Tài chính', level: 'department', group: 'sở', up: 43_100, rec: 43_900 },
  {
    id: 'xa-tan-phu',
    name: 'Xã Tân Phú',
    level: 'commune',
    group: 'huyện Châu Thành',
    up: 40_020,
    rec: 41_760,
  },
  { id: 'phuong-hoa-an', name: 'Phường Hòa An', level: 'commune', group: 'TP. Cần Thơ', up: 0, rec: 0 },
];

const availability: SnapshotTable = {
  name: 'availability',
  title: { vi: 'Sẵn sàng theo điểm đo', en: 'Availability per endpoint' },
  description: {
    vi: 'Chu kỳ ping dự kiến, đã ghi và thông trong kỳ; độ phủ = đã ghi / dự kiến.',
    en: 'Ping cycles expected, recorded and up in the window; coverage = recorded / expected.',
  },
  columns: [
    { key: 'endpoint', title: { vi: 'Điểm đo', en: 'Endpoint' } },
    { key: 'name', title: { vi: 'Tên', en: 'Name' } },
    { key: 'level', title: { vi: 'Cấp', en: 'Level' } },
    { key: 'group', title: { vi: 'Nhóm', en: 'Group' } },
    { key: 'expected_cycles', title: { vi: 'Chu kỳ dự kiến', en: 'Expected cycles' } },
    { key: 'recorded_cycles', title: { vi: 'Chu kỳ đã ghi', en: 'Recorded cycles' } },
    { key: 'up_cycles', title: { vi: 'Chu kỳ thông', en: 'Up cycles' } },
    { key: 'coverage_percent', title: { vi: 'Độ phủ', en: 'Coverage' }, unit: '%' },
    { key: 'availability_percent', title: { vi: 'Sẵn sàng', en: 'Availability' }, unit: '%' },
  ],
  rows: endpoints.map((e) => ({
    endpoint: e.id,
    name: e.name,
    level: e.level,
    group: e.group,
    expected_cycles: 44_640,
    recorded_cycles: e.rec,
    up_cycles: e.up,
    coverage_percent: Math.round((e.rec / 44_640) * 1000) / 10,
    availability_percent: e.rec ? Math.round((e.up / e.rec) * 1000) / 10 : null,
  })),
};

const outages: SnapshotTable = {
  name: 'outages',
  title: { vi: 'Sự cố mất kết nối', en: 'Outages' },
  description: {
    vi: 'Các khoảng mất kết nối liên tục từ 3 chu kỳ trở lên, với nguyên nhân suy ra.',
    en: 'Runs of three or more down cycles, with the inferred cause.',
  },
  columns: [
    { key: 'endpoint', title: { vi: 'Điểm đo', en: 'Endpoint' } },
    { key: 'start', title: { vi: 'Bắt đầu', en: 'Start' } },
    { key: 'end', title: { vi: 'Kết thúc', en: 'End' } },
    { key: 'duration_s', title: { vi: 'Thời lượng', en: 'Duration' }, unit: 's' },
    { key: 'cause', title: { vi: 'Nguyên nhân', en: 'Cause' } },
  ],
  rows: [
    {
      endpoint: 'tinh-ubnd',
      start: '2026-10-12T01:00:00.000Z',
      end: '2026-10-12T02:01:00.000Z',
      duration_s: 3660,
      cause: 'mất điện lưới, UPS cạn',
    },
    {
      endpoint: 'xa-tan-phu',
      start: '2026-10-21T06:30:00.000Z',
      end: '2026-10-22T11:30:00.000Z',
      duration_s: 104_400,
      cause: 'parent_down: huyện Châu Thành',
    },
  ],
};

const networkDevices: SnapshotTable = {
  name: 'network-devices',
  title: { vi: 'Thiết bị mạng', en: 'Network devices' },
  description: { vi: 'Kiểm kê qua SNMP.', en: 'Inventory read over SNMP.' },
  columns: [
    { key: 'device', title: { vi: 'Thiết bị', en: 'Device' } },
    { key: 'model', title: { vi: 'Mẫu', en: 'Model' } },
    { key: 'serial', title: { vi: 'Số sê-ri', en: 'Serial' } },
    { key: 'firmware', title: { vi: 'Phần sụn', en: 'Firmware' } },
    { key: 'uptime_days', title: { vi: 'Thời gian chạy', en: 'Uptime' }, unit: 'days' },
  ],
  rows: [
    {
      device: 'core-sw-01',
      model: 'Cisco C9300-48P',
      serial: 'FOC2417X0AB',
      firmware: '17.9.4a',
      uptime_days: 212.4,
    },
    {
      device: 'fw-01',
      model: 'FortiGate 100F',
      serial: 'FG100FTK21001234',
      firmware: '7.2.8',
      uptime_days: 37.9,
    },
    {
      device: 'dist-sw-tan-phu',
      model: 'HPE Aruba 2530-24G',
      serial: 'CN12FP3456',
      firmware: 'YA.16.11.0016',
      uptime_days: 3.1,
    },
  ],
};

const environment: SnapshotTable = {
  name: 'ups-environment',
  title: { vi: 'UPS và môi trường', en: 'UPS and environment' },
  description: {
    vi: 'Tóm tắt theo thiết bị trong kỳ: giá trị nhỏ nhất, trung bình, lớn nhất.',
    en: 'Per device over the window: minimum, mean, maximum.',
  },
  columns: [
    { key: 'device', title: { vi: 'Thiết bị', en: 'Device' } },
    { key: 'metric', title: { vi: 'Đại lượng', en: 'Metric' } },
    { key: 'min', title: { vi: 'Nhỏ nhất', en: 'Min' } },
    { key: 'mean', title: { vi: 'Trung bình', en: 'Mean' } },
    { key: 'max', title: { vi: 'Lớn nhất', en: 'Max' } },
    { key: 'unit', title: { vi: 'Đơn vị', en: 'Unit' } },
  ],
  rows: [
    { device: 'ups-dc1', metric: 'battery_minutes_remaining', min: 4, mean: 41.2, max: 45, unit: 'min' },
    { device: 'ups-dc1', metric: 'on_battery', min: 0, mean: 0.0014, max: 1, unit: null },
    { device: 'env-dc1', metric: 'temperature_c', min: 19.5, mean: 22.8, max: 31.2, unit: '°C' },
    { device: 'env-dc1', metric: 'humidity_percent', min: 38, mean: 51.6, max: 67, unit: '%' },
  ],
};

const readiness: SnapshotTable = {
  name: 'readiness',
  title: { vi: 'Mức sẵn sàng TIA-942', en: 'TIA-942 readiness' },
  description: {
    vi: 'Tự đánh giá (không phải chứng nhận): mỗi tiêu chí, kết quả và bằng chứng.',
    en: 'Self-assessment (not a certification): each criterion, its verdict and evidence.',
  },
  columns: [
    { key: 'site', title: { vi: 'Trung tâm dữ liệu', en: 'Data center' } },
    { key: 'criterion', title: { vi: 'Tiêu chí', en: 'Criterion' } },
    { key: 'status', title: { vi: 'Kết quả', en: 'Status' } },
    { key: 'evidence', title: { vi: 'Bằng chứng', en: 'Evidence' } },
  ],
  rows: [
    { site: 'dc-tinh', criterion: 'E-UPS-N1', status: 'pass', evidence: '2 UPS, load 41 % of N' },
    { site: 'dc-tinh', criterion: 'M-TEMP', status: 'fail', evidence: 'max 31.2 °C > 27 °C (ASHRAE A1)' },
    {
      site: 'dc-tinh',
      criterion: 'T-DIVERSE',
      status: 'unknown',
      evidence: 'no declaration of carrier entry paths',
    },
  ],
};

const completeness: SnapshotTable = {
  name: 'completeness',
  title: { vi: 'Độ đầy đủ của dữ liệu', en: 'Data completeness' },
  description: {
    vi: 'Tác tử im lặng và độ phủ của bộ thăm dò.',
    en: 'Silent agents and pollers’ coverage.',
  },
  columns: [
    { key: 'source', title: { vi: 'Nguồn', en: 'Source' } },
    { key: 'kind', title: { vi: 'Loại', en: 'Kind' } },
    { key: 'last_seen', title: { vi: 'Lần cuối thấy', en: 'Last seen' } },
    { key: 'coverage_percent', title: { vi: 'Độ phủ', en: 'Coverage' }, unit: '%' },
  ],
  rows: [
    ...machines
      .filter((m) => m.registered && m.last_seen === null)
      .map((m) => ({ source: m.hostname, kind: 'silent_agent', last_seen: null, coverage_percent: 0 })),
    { source: 'poller-dc1', kind: 'poller', last_seen: '2026-10-31T23:59:00.000Z', coverage_percent: 99.6 },
  ],
};

export const octoberContent: SnapshotContent = {
  window: { from: '2026-10-01T00:00:00.000Z', to: '2026-11-01T00:00:00.000Z' },
  as_of: '2026-11-01T00:00:00.000Z',
  scope: { sites: [] },
  generator: { name: 'hatang', version: '0.1.0' },
  requested_by: 'thanh-tra-so',
  denominators: {
    registered: 50,
    reporting: 47,
    not_reporting: 3,
    not_registered: 1,
    lookback_s: 30 * 86_400,
    endpoints: 5,
    asset_register: {
      file: 'config/assets.csv',
      sha256: 'a3f1c2e4b5d6978812ab34cd56ef7890a1b2c3d4e5f60718293a4b5c6d7e8f90',
      rows: 50,
    },
  },
  summary: {
    ratios: [
      {
        id: 'antivirus_protected_of_registered',
        label: { vi: 'Máy có diệt virus hoạt động', en: 'Machines with working antivirus' },
        numerator: 36,
        denominator: 50,
        denominator_kind: 'registered',
        percent: 72,
      },
      {
        id: 'antivirus_protected_of_reporting',
        label: { vi: 'Máy có diệt virus hoạt động', en: 'Machines with working antivirus' },
        numerator: 36,
        denominator: 47,
        denominator_kind: 'reporting',
        percent: 76.6,
      },
      {
        id: 'endpoints_covered',
        label: { vi: 'Điểm đo có dữ liệu', en: 'Endpoints with data' },
        numerator: 4,
        denominator: 5,
        denominator_kind: 'endpoints',
        percent: 80,
      },
      {
        id: 'ups_on_battery_of_expected',
        label: { vi: 'Chu kỳ UPS chạy pin', en: 'UPS cycles on battery' },
        numerator: 0,
        denominator: 0,
        denominator_kind: 'expected_cycles',
        percent: null,
      },
    ],
    availability_by_level: [
      {
        level: 'province',
        label: { vi: 'Cấp tỉnh', en: 'Province' },
        endpoints: 1,
        expected_cycles: 44_640,
        recorded_cycles: 44_640,
        up_cycles: 44_579,
        coverage_percent: 100,
        availability_percent: 99.9,
        target_percent: 99.9,
      },
      {
        level: 'department',
        label: { vi: 'Cấp sở', en: 'Department' },
        endpoints: 2,
        expected_cycles: 89_280,
        recorded_cycles: 88_540,
        up_cycles: 87_740,
        coverage_percent: 99.2,
        availability_percent: 99.1,
        target_percent: 99.5,
      },
      {
        level: 'commune',
        label: { vi: 'Cấp xã', en: 'Commune' },
        endpoints: 2,
        expected_cycles: 89_280,
        recorded_cycles: 41_760,
        up_cycles: 40_020,
        coverage_percent: 46.8,
        availability_percent: 95.8,
        target_percent: null,
      },
    ],
    readiness: [
      { site: 'dc-tinh', name: 'Trung tâm dữ liệu tỉnh', overall_rating: 1, target_rating: 2, gaps: 2 },
    ],
  },
  queries: [
    'SELECT last("state") FROM "antivirus" WHERE time >= \'2026-10-01T00:00:00Z\' AND time < \'2026-11-01T00:00:00Z\' GROUP BY "host"',
    'SELECT sum("expected"), sum("recorded"), sum("up") FROM "ping_hourly" WHERE time >= \'2026-10-01T00:00:00Z\' AND time < \'2026-11-01T00:00:00Z\' GROUP BY "endpoint"',
  ],
  tables: [
    antivirus,
    hardware,
    hardwareChanges,
    availability,
    outages,
    networkDevices,
    environment,
    readiness,
    completeness,
  ],
};
