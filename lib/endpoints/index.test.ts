import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config.js';
import {
  addressProblem,
  defaultSlaTargets,
  type Endpoint,
  groupingTagsOf,
  loadEndpoints,
  loadRegistry,
  slaTargetOf,
  threeTierLevels,
  twoTierLevels,
  validateEndpoints,
} from './index.js';

// Paths as an operator types them from the repository root (vitest runs there), as in the messages.
const fixture = (name: string) => `lib/endpoints/testdata/${name}.yaml`;

function problems(load: () => unknown): string[] {
  try {
    load();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError, the file loaded');
}

/** One fixture per rule, with the exact lines an operator reads. */
const cases: Record<string, string[]> = {
  'unknown-key': [
    'lib/endpoints/testdata/unknown-key.yaml:2:5 endpoints[0].address: required',
    'lib/endpoints/testdata/unknown-key.yaml:6:5 endpoints[0].adress: unknown key',
  ],
  'missing-name': ['lib/endpoints/testdata/missing-name.yaml:2:5 endpoints[0].name: required'],
  'bad-level': [
    'lib/endpoints/testdata/bad-level.yaml:4:12 endpoints[0].level: "tinh" is not a level: use province, district or commune (Tỉnh, Huyện, Xã in spreadsheets)',
  ],
  'bad-id': [
    'lib/endpoints/testdata/bad-id.yaml:2:9 endpoints[0].id: "Sở Y tế" is not a slug (lowercase letters, digits and single - between them): try "so-y-te"',
    'lib/endpoints/testdata/bad-id.yaml:7:9 endpoints[1].id: "so_tai_chinh" is not a slug (lowercase letters, digits and single - between them): try "so-tai-chinh"',
  ],
  'bad-address': [
    'lib/endpoints/testdata/bad-address.yaml:6:14 endpoints[0].address: "10.0.0.300" is not an IP address or hostname',
    'lib/endpoints/testdata/bad-address.yaml:11:14 endpoints[1].address: "router so tai chinh" is not an IP address or hostname',
    'lib/endpoints/testdata/bad-address.yaml:16:14 endpoints[2].address: "http://10.0.0.8/" is not an IP address or hostname',
  ],
  'bad-district': [
    'lib/endpoints/testdata/bad-district.yaml:5:15 endpoints[0].district: must not be empty',
    'lib/endpoints/testdata/bad-district.yaml:10:15 endpoints[1].district: must not contain control characters (line breaks, tabs)',
  ],
  'bad-tags': [
    'lib/endpoints/testdata/bad-tags.yaml:7:37 endpoints[0].tags.circuit: must not be empty',
    'lib/endpoints/testdata/bad-tags.yaml:7:22 endpoints[0].tags.Carrier: tag name must be snake_case ([a-z][a-z0-9_]*)',
  ],
  'lat-lon-range': [
    'lib/endpoints/testdata/lat-lon-range.yaml:7:10 endpoints[0].lat: must be between -90 and 90 (latitude, decimal degrees)',
    'lib/endpoints/testdata/lat-lon-range.yaml:15:10 endpoints[1].lon: must be between -180 and 180 (longitude, decimal degrees)',
  ],
  'lat-without-lon': [
    'lib/endpoints/testdata/lat-without-lon.yaml:2:5 endpoints[0].lon: required when lat is set',
  ],
  'duplicate-id': [
    'lib/endpoints/testdata/duplicate-id.yaml:12:9 endpoints[2].id: "so-y-te" is already used at endpoints[0]',
  ],
  'duplicate-address': [
    'lib/endpoints/testdata/duplicate-address.yaml:11:14 endpoints[1].address: "127.1.0.19" is already the address of so-y-te (endpoints[0])',
    'lib/endpoints/testdata/duplicate-address.yaml:21:14 endpoints[3].address: "fd00:0:0::0:1" is already the address of router-a (endpoints[2])',
  ],
  'missing-parent': [
    'lib/endpoints/testdata/missing-parent.yaml:6:13 endpoints[0].parent: "trung-tam-thdl" is not the id of any endpoint',
  ],
  cycle: [
    'lib/endpoints/testdata/cycle.yaml:6:13 endpoints[0].parent: forms a cycle: trung-tam-thdl → so-tt-tt → so-y-te → trung-tam-thdl',
    'lib/endpoints/testdata/cycle.yaml:24:13 endpoints[3].parent: forms a cycle: so-tu-phap → so-tu-phap',
  ],
  'province-under-district': [
    'lib/endpoints/testdata/province-under-district.yaml:11:13 endpoints[1].parent: "ubnd-van-giang" is a district point: a province point hangs off another province point',
  ],
  'district-under-district': [
    'lib/endpoints/testdata/district-under-district.yaml:11:13 endpoints[1].parent: "ubnd-van-giang" is a district point: a district point hangs off a province point',
  ],
  'commune-under-commune': [
    'lib/endpoints/testdata/commune-under-commune.yaml:17:13 endpoints[2].parent: "van-giang-xuan-quan" is a commune point: a commune point hangs off its district\'s point or a province point',
  ],
  'commune-in-other-district': [
    'lib/endpoints/testdata/commune-in-other-district.yaml:11:13 endpoints[1].parent: "ubnd-van-lam" is the point of district Văn Lâm, not Văn Giang',
  ],
  'empty-list': ['lib/endpoints/testdata/empty-list.yaml:2:12 endpoints: at least one endpoint is required'],
  'two-tier-district': [
    'lib/endpoints/testdata/two-tier-district.yaml:10:12 endpoints[1].level: "district" is not a level: use province or commune (Tỉnh, Xã/Phường/Đặc khu in spreadsheets): districts were dissolved in July 2025, keep it as tags.former_district',
    "lib/endpoints/testdata/two-tier-district.yaml:11:15 endpoints[1].district: the registry's levels (province, commune) have no district: a former district goes in tags.former_district",
  ],
  'two-tier-commune-under-commune': [
    'lib/endpoints/testdata/two-tier-commune-under-commune.yaml:16:13 endpoints[2].parent: "xa-xuan-quan" is a commune point: a commune point hangs off a province point',
  ],
  'three-tier-missing-district': [
    'lib/endpoints/testdata/three-tier-missing-district.yaml:8:5 endpoints[1].district: required',
  ],
  'bad-sla-targets': [
    'lib/endpoints/testdata/bad-sla-targets.yaml:2:41 sla_targets.commune: must be 0–100 (%)',
    'lib/endpoints/testdata/bad-sla-targets.yaml:2:56 sla_targets.district: "district" is not one of the registry\'s levels (province, commune)',
  ],
  'bad-levels': [
    'lib/endpoints/testdata/bad-levels.yaml:1:20 levels[1]: must be a slug (lowercase letters, digits and single - between them)',
    'lib/endpoints/testdata/bad-levels.yaml:1:9 levels: must not repeat a level',
  ],
  'custom-levels': [
    'lib/endpoints/testdata/custom-levels.yaml:12:13 endpoints[1].parent: "xa-b" is a commune point: a node point hangs off a province point',
    'lib/endpoints/testdata/custom-levels.yaml:14:12 endpoints[2].level: "district" is not a level: use province, node or commune (Tỉnh, Xã/Phường/Đặc khu in spreadsheets): districts were dissolved in July 2025, keep it as tags.former_district',
  ],
  'several-problems': [
    'lib/endpoints/testdata/several-problems.yaml:8:10 endpoints[0].lat: expected number, got string',
    'lib/endpoints/testdata/several-problems.yaml:18:12 endpoints[2].level: "xa" is not a level: use province, district or commune (Tỉnh, Huyện, Xã in spreadsheets)',
    'lib/endpoints/testdata/several-problems.yaml:21:14 endpoints[2].address: "127.1.4.1" is already the address of ubnd-van-giang (endpoints[1])',
    'lib/endpoints/testdata/several-problems.yaml:26:13 endpoints[3].parent: "ubnd-vangiang" is not the id of any endpoint',
  ],
};

describe('loadEndpoints on bad registries', () => {
  it('has a fixture for every case and a case for every fixture', () => {
    const files = readdirSync(new URL('./testdata', import.meta.url)).filter((f) => f.endsWith('.yaml'));
    expect(files.map((f) => f.replace(/\.yaml$/, '')).sort()).toEqual(Object.keys(cases).sort());
  });
  for (const [name, expected] of Object.entries(cases)) {
    it(`reports ${name} with file, line, column and path`, () => {
      expect(problems(() => loadEndpoints(fixture(name)))).toEqual(expected);
    });
  }
  it('reports a missing file as unreadable', () => {
    expect(problems(() => loadEndpoints('lib/endpoints/testdata/no-such-file.yaml'))).toEqual([
      'cannot read: ENOENT',
    ]);
  });
});

describe('the demo registry config/endpoints.yaml', () => {
  const { levels, endpoints } = loadRegistry('config/endpoints.yaml');

  it('holds exactly 166 endpoints and passes every rule', () => {
    expect(endpoints).toHaveLength(166);
    expect(validateEndpoints(endpoints, { levels })).toEqual([]);
  });

  it('is two-tier, as since July 2025: 30 province points and 136 commune offices, no district', () => {
    expect(levels).toEqual(twoTierLevels);
    const count = (level: Endpoint['level']) => endpoints.filter((e) => e.level === level).length;
    expect([count('province'), count('commune')]).toEqual([30, 136]);
    expect(endpoints.filter((e) => e.district !== undefined)).toEqual([]);
  });

  it('uses unique loopback addresses, so the demo pings answer on any machine', () => {
    for (const e of endpoints) expect(e.address).toMatch(/^127\.1\.\d{1,3}\.\d{1,3}$/);
    expect(new Set(endpoints.map((e) => e.address)).size).toBe(166);
  });

  it('hangs every commune off the aggregation node of its former district, the rest off the provincial core', () => {
    const byId = new Map(endpoints.map((e) => [e.id, e]));
    const roots = endpoints.filter((e) => e.parent === undefined);
    expect(roots.map((e) => e.id)).toEqual(['trung-tam-thdl']);
    for (const e of endpoints) {
      if (e.parent === undefined) continue;
      const parent = byId.get(e.parent);
      if (e.level === 'commune') {
        expect(parent?.id).toMatch(/^nut-/);
        expect(parent?.tags?.former_district).toBe(e.tags?.former_district);
      } else expect(parent?.id).toBe('trung-tam-thdl');
    }
  });

  it('keeps the former district, carrier and circuit as grouping tags, and Vietnamese names', () => {
    for (const e of endpoints) {
      expect(e.lat).toBeGreaterThan(20.55);
      expect(e.lat).toBeLessThan(21.05);
      expect(e.lon).toBeGreaterThan(105.85);
      expect(e.lon).toBeLessThan(106.3);
      expect(groupingTagsOf(e)).toMatchObject({
        former_district: expect.any(String),
        carrier: expect.any(String),
      });
    }
    expect(new Set(endpoints.map((e) => e.tags?.former_district)).size).toBe(10);
    expect(endpoints.find((e) => e.id === 'nut-an-thi')?.name).toBe(
      'Nút mạng khu vực Ân Thi (trụ sở UBND huyện Ân Thi cũ)',
    );
    expect(endpoints.find((e) => e.id === 'so-tt-tt')?.name).toMatch(/^Sở Khoa học và Công nghệ/);
  });
});

describe('a three-tier registry written before July 2025', () => {
  const file = 'lib/endpoints/testdata/three-tier/hung-yen-2024.yaml';

  it('still loads unchanged, read with the old levels because its entries carry district', () => {
    const { levels, endpoints } = loadRegistry(file);
    expect(levels).toEqual(threeTierLevels);
    const count = (level: Endpoint['level']) => endpoints.filter((e) => e.level === level).length;
    expect([count('province'), count('district'), count('commune')]).toEqual([20, 10, 136]);
    expect(endpoints.find((e) => e.id === 'ubnd-an-thi')).toMatchObject({
      name: 'UBND huyện Ân Thi',
      level: 'district',
      district: 'Ân Thi',
    });
  });

  it('reads per-level availability targets, defaults for the levels left out', () => {
    const text = `levels: [province, commune]
sla_targets: { province: 99.9 }
endpoints:
  - { id: core, name: Core, level: province, address: 127.1.0.1 }
`;
    const registry = loadRegistry('sla.yaml', { text });
    expect(registry.slaTargets).toEqual({ province: 99.9 });
    expect(slaTargetOf(registry, 'province')).toBe(99.9);
    expect(slaTargetOf(registry, 'commune')).toBe(defaultSlaTargets.commune);
    // A registry without sla_targets (every registry written before) keeps working with the defaults.
    const plain = loadRegistry('plain.yaml', { text: text.replace(/^sla_targets.*\n/m, '') });
    expect(plain.slaTargets).toBeUndefined();
    expect(slaTargetOf(plain, 'province')).toBe(99.5);
    expect(slaTargetOf(plain, 'node')).toBe(99);
  });

  it('still holds communes to their own district office', () => {
    const text = `levels: [province, district, commune]
endpoints:
  - { id: core, name: Core, level: province, district: TP Hưng Yên, address: 127.1.0.1 }
  - { id: ubnd-van-lam, name: UBND huyện Văn Lâm, level: district, district: Văn Lâm, parent: core, address: 127.1.3.1 }
  - { id: xa-a, name: UBND xã A, level: commune, district: Văn Giang, parent: ubnd-van-lam, address: 127.1.4.2 }
`;
    expect(problems(() => loadRegistry('old.yaml', { text }))).toEqual([
      'old.yaml:5:79 endpoints[2].parent: "ubnd-van-lam" is the point of district Văn Lâm, not Văn Giang',
    ]);
  });
});

describe('validateEndpoints', () => {
  // A three-tier list (entries carry district), as most of these rules were written for.
  const base = { name: 'X', district: 'Văn Giang' };
  it('lists every problem of a list at once, naming other entries with the given ref', () => {
    const list = [
      { ...base, id: 'a', level: 'province', address: '127.1.0.1', parent: 'c' },
      { ...base, id: 'b', level: 'district', address: '127.1.0.1', parent: 'a' },
      { ...base, id: 'c', level: 'province', address: 'core.hungyen.gov.vn', parent: 'a' },
      { ...base, id: 'b', level: 'commune', address: '10.0.0.300', lat: 91 },
    ];
    expect(validateEndpoints(list, { ref: (i) => `row ${i + 1}` })).toEqual([
      { index: 0, path: ['parent'], message: 'forms a cycle: a → c → a' },
      { index: 1, path: ['address'], message: '"127.1.0.1" is already the address of a (row 1)' },
      { index: 3, path: ['address'], message: '"10.0.0.300" is not an IP address or hostname' },
      { index: 3, path: ['lat'], message: 'must be between -90 and 90 (latitude, decimal degrees)' },
      { index: 3, path: ['lon'], message: 'required when lat is set' },
      { index: 3, path: ['id'], message: '"b" is already used at row 2' },
    ]);
  });

  it('accepts a commune hanging straight off a province point', () => {
    const list = [
      { ...base, id: 'core', level: 'province', address: '127.1.0.1' },
      { ...base, id: 'xa-a', level: 'commune', address: '127.1.4.9', parent: 'core' },
    ];
    expect(validateEndpoints(list)).toEqual([]);
  });

  it('treats one district typed in two Unicode forms (NFC and NFD) as the same district', () => {
    const list = [
      {
        ...base,
        id: 'ubnd-van-giang',
        level: 'district',
        address: '127.1.4.1',
        district: 'Văn Giang'.normalize('NFC'),
      },
      {
        ...base,
        id: 'xa-a',
        level: 'commune',
        address: '127.1.4.2',
        parent: 'ubnd-van-giang',
        district: 'Văn Giang'.normalize('NFD'),
      },
    ];
    expect(validateEndpoints(list)).toEqual([]);
  });
});

describe('addressProblem', () => {
  const good = [
    '127.1.4.1',
    '10.0.0.255',
    '::1',
    'fd00::1:2',
    'router-so-y-te',
    'core.hungyen.gov.vn',
    'core.hungyen.gov.vn.',
  ];
  const bad = [
    '10.0.0.300',
    '1.2.3',
    '10.0.0.1/24',
    '[::1]',
    '-core.gov.vn',
    'core..gov.vn',
    'sở-y-tế.vn',
    'a b',
    '',
  ];
  for (const address of good) it(`accepts ${address}`, () => expect(addressProblem(address)).toBeUndefined());
  for (const address of bad) {
    it(`refuses ${JSON.stringify(address)}`, () =>
      expect(addressProblem(address)).toBe(`"${address}" is not an IP address or hostname`));
  }
});
