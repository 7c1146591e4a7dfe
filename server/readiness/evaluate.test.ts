import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { criteria, criterionIds } from './criteria.js';
import { datacenterSiteSchema } from './declaration.js';
import { evaluateSite, type LiveEvidence, noEvidence, type Scorecard, type Status } from './evaluate.js';
import { rated4Evidence, rated4Site, testNow } from './testing.js';

const opts = { now: testNow, staleAfterMs: 10 * 60_000 };

/** Site overrides are deep-merged into one section (electrical, mechanical…) of the Rated-4 site. */
function card(
  o: {
    section?: Record<string, Record<string, unknown>>;
    top?: Record<string, unknown>;
    live?: (e: LiveEvidence) => unknown;
  } = {},
): Scorecard {
  const base = rated4Site();
  const input = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  for (const [section, values] of Object.entries(o.section ?? {})) {
    const s = (input[section] ?? {}) as Record<string, unknown>;
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete s[k];
      else s[k] = v;
    }
    input[section] = s;
  }
  Object.assign(input, o.top ?? {});
  const site = datacenterSiteSchema.parse(input);
  const live = rated4Evidence();
  o.live?.(live);
  return evaluateSite(site, live, opts);
}

const levelsOf = (c: Scorecard, id: string): Status[] =>
  (c.criteria.find((r) => r.id === id)?.levels ?? []).map((l) => l.status);
const criterion = (c: Scorecard, id: string) => {
  const r = c.criteria.find((x) => x.id === id);
  if (!r) throw new Error(`no criterion ${id}`);
  return r;
};
const rating = (c: Scorecard, s: string) => c.subsystems.find((x) => x.subsystem === s)?.rating;

describe('the rating rules', () => {
  it('rates a site declared and measured Rated-4 at 4 in every subsystem and overall, with no gap', () => {
    const c = card();
    expect(c.subsystems.map((s) => [s.subsystem, s.rating])).toEqual([
      ['telecommunications', 4],
      ['architectural', 4],
      ['electrical', 4],
      ['mechanical', 4],
    ]);
    expect(c.overall_rating).toBe(4);
    expect(c.gaps).toEqual([]);
    expect(c.label).toBe('readiness self-assessment, not a certification');
  });

  it('takes the overall rating from the lowest subsystem, never an average', () => {
    const c = card({ section: { architectural: { noc_hours: 'business_hours' } } });
    expect(rating(c, 'architectural')).toBe(2);
    expect(rating(c, 'electrical')).toBe(4);
    expect(c.overall_rating).toBe(2);
    expect(c.subsystems.find((s) => s.subsystem === 'architectural')).toMatchObject({
      passed: 4,
      failed: 1,
      unknown: 0,
      total: 5,
      blocking: ['A3'],
    });
  });

  it('without any live evidence, every live criterion is unknown and ratings rest on declarations alone', () => {
    const site = rated4Site();
    const c = evaluateSite(site, noEvidence(), opts);
    const live = criteria.filter((x) => x.decidedBy !== 'declared').map((x) => x.id);
    expect(live).toEqual(['E1', 'E5', 'E6', 'M4', 'M6', 'T2', 'T5', 'T6']);
    for (const id of live) {
      const statuses = levelsOf(c, id);
      expect(statuses.includes('pass') && !['T5'].includes(id), `${id}: ${statuses}`).toBe(false);
      expect(statuses).toContain('unknown');
    }
    for (const x of criteria.filter((y) => y.decidedBy === 'declared')) {
      expect(
        levelsOf(c, x.id).every((s) => s === 'pass' || s === 'na'),
        x.id,
      ).toBe(true);
    }
    expect(c.subsystems.map((s) => [s.subsystem, s.rating])).toEqual([
      ['telecommunications', 0],
      ['architectural', 4],
      ['electrical', 0],
      ['mechanical', 0],
    ]);
    expect(c.overall_rating).toBe(0);
  });

  it('counts a stale reading as missing', () => {
    const site = rated4Site();
    const c = evaluateSite(site, rated4Evidence(testNow - 11 * 60_000), opts);
    expect(levelsOf(c, 'E5')).toEqual(['unknown', 'unknown', 'unknown', 'unknown']);
    expect(criterion(c, 'E5').levels[0]?.reason).toBe(
      'last reading from ups-a1 at 2026-06-01T07:49:00.000Z is stale',
    );
  });

  it('lists gaps most fundamental first, failures before unknowns, each with what would make it pass', () => {
    const c = card({
      top: { target_rating: 3 },
      section: { telecom: { diverse_entrance_pathways: false }, electrical: { ats_present: undefined } },
    });
    expect(c.gaps.map((g) => [g.id, g.level, g.status])).toEqual([
      ['E8', 2, 'unknown'],
      ['T3', 3, 'fail'],
    ]);
    expect(c.gaps[1]).toMatchObject({
      reason: 'declared no diverse entrance pathways',
      fix: 'build a second entrance pathway on a diverse route',
      sources: ['SEC', 'UNV'],
      unverified: true,
    });
  });

  it('has one decision for every row of the table', () => {
    expect(card().criteria.map((r) => r.id)).toEqual([...criterionIds]);
  });

  it('docs/readiness.md lists every criterion with its requirement, source and how it is decided', () => {
    const doc = readFileSync(new URL('../../docs/readiness.md', import.meta.url), 'utf8');
    for (const c of criteria) {
      const req = c.requirement.map((r) => (r === null ? '–' : String(r))).join(' | ');
      expect(doc, c.id).toContain(
        `| ${c.id} | ${c.subsystem} | ${c.title.en} | ${req} | ${c.sources.join(', ')}`,
      );
      expect(doc).toMatch(new RegExp(`^\\| ${c.id} \\|.*\\| ${c.decidedBy} \\|`, 'm'));
    }
  });
});

/** One test per row of the criteria table: the fact or reading that flips it, and where. */
describe('criteria', () => {
  it('E1 fails Rated-4 saying "declared 2(N+1), measured N+1" when the load outgrows one path', () => {
    const c = card({
      live: (e) => {
        for (const u of e.ups) u.output_power_w = 5500;
      },
    });
    expect(levelsOf(c, 'E1')).toEqual(['pass', 'pass', 'pass', 'fail']);
    expect(criterion(c, 'E1').contradiction).toBe(
      'declared 2(N+1), measured N+1: load 22 kW, 40 kW available, largest unit 10 kW',
    );
    expect(criterion(c, 'E1').levels[3]?.fix).toBe('give each path A and B alone ≥ 22 kW of UPS capacity');
  });

  it('E1 N+1 fails when one of two units goes on battery, and says how much to add or shed', () => {
    const site = datacenterSiteSchema.parse({
      ...rated4Site(),
      devices: [
        { name: 'ups-a1', role: 'ups' },
        { name: 'ups-b1', role: 'ups' },
      ],
      electrical: {
        ups_units: [
          { id: 'a1', device: 'ups-a1', capacity_kw: 10, path: 'A' },
          { id: 'b1', device: 'ups-b1', capacity_kw: 10, path: 'B' },
        ],
        ups_redundancy: 'N+1',
      },
    });
    const live = rated4Evidence();
    live.ups = live.ups.filter((u) => u.device === 'ups-a1' || u.device === 'ups-b1');
    for (const u of live.ups) u.output_power_w = 4000;
    expect(evaluateSite(site, live, opts).criteria[0]?.levels.map((l) => l.status)).toEqual([
      'pass',
      'pass',
      'pass',
      'fail',
    ]);
    (live.ups[1] as { on_battery: boolean }).on_battery = true;
    const c = evaluateSite(site, live, opts);
    expect(levelsOf(c, 'E1')).toEqual(['pass', 'fail', 'fail', 'fail']);
    expect(criterion(c, 'E1').levels[1]).toEqual({
      status: 'fail',
      reason: 'declared N+1, measured N: load 8 kW, 10 kW available (b1 on battery), largest unit 10 kW',
      fix: 'add a UPS of ≥ 8 kW (no larger than 10 kW) or shed 8 kW of load',
    });
  });

  it('E2 fails Rated-3 and up when the power paths are declared single', () => {
    expect(levelsOf(card({ section: { electrical: { power_paths: 'single' } } }), 'E2')).toEqual([
      'pass',
      'pass',
      'fail',
      'fail',
    ]);
  });

  it('E3 asks nothing at Rated-1 and fails Rated-4 with N+1 generators', () => {
    expect(levelsOf(card({ section: { electrical: { generator_redundancy: 'N+1' } } }), 'E3')).toEqual([
      'na',
      'pass',
      'pass',
      'fail',
    ]);
  });

  it('E4 fails from Rated-3 with 48 h of fuel (an unverified threshold)', () => {
    const c = card({
      section: { electrical: { generators: [{ id: 'g1', capacity_kw: 100, fuel_autonomy_hours: 48 }] } },
    });
    expect(levelsOf(c, 'E4')).toEqual(['pass', 'pass', 'fail', 'fail']);
    expect(criterion(c, 'E4').unverified).toBe(true);
  });

  it('E5 fails every level when a UPS is on battery, and Rated-3 with 8 min of runtime', () => {
    expect(
      levelsOf(
        card({
          live: (e) => {
            (e.ups[0] as { on_battery: boolean }).on_battery = true;
          },
        }),
        'E5',
      ),
    ).toEqual(['fail', 'fail', 'fail', 'fail']);
    expect(
      levelsOf(
        card({
          live: (e) => {
            (e.ups[2] as { minutes_remaining: number }).minutes_remaining = 8;
          },
        }),
        'E5',
      ),
    ).toEqual(['pass', 'pass', 'fail', 'fail']);
  });

  it('E6 fails Rated-3 saying "declared 100 % dual-corded" when a rack draws on one feed only, unknown without PDU readings', () => {
    const c = card({
      live: (e) => {
        (e.pduFeeds[1] as { current_a: number }).current_a = 0;
      },
    });
    expect(levelsOf(c, 'E6')).toEqual(['na', 'na', 'fail', 'fail']);
    expect(criterion(c, 'E6').contradiction).toBe(
      'declared 100 % dual-corded, measured rack R1 drawing on feed A only (A 3.2 A, B 0 A)',
    );
    const none = card({ live: (e) => Object.assign(e, { pduFeeds: [] }) });
    expect(levelsOf(none, 'E6')).toEqual(['na', 'na', 'unknown', 'unknown']);
  });

  it('E6 passes when both feeds of every rack draw and either feed could carry the sum', () => {
    const c = card();
    expect(levelsOf(c, 'E6')).toEqual(['na', 'na', 'pass', 'pass']);
    expect(
      criterion(c, 'E6')
        .evidence.filter((e) => e.kind === 'live')
        .map((e) => e.text),
    ).toEqual(['rack R1 feed A: 3.2 A', 'rack R1 feed B: 3 A']);
  });

  it('E6 fails naming the rack when A+B exceeds what one feed is rated for', () => {
    const c = card({
      live: (e) => {
        for (const f of e.pduFeeds) f.current_a = 9;
      },
    });
    expect(levelsOf(c, 'E6')).toEqual(['na', 'na', 'fail', 'fail']);
    expect(criterion(c, 'E6').contradiction).toBe(
      'declared 100 % dual-corded, measured rack R1 drawing 18 A on A+B (A 9 A, B 9 A), more than one feed carries (16 A rated)',
    );
    expect(criterion(c, 'E6').levels[2]?.fix).toBe('shed 2 A from rack R1 or fit feeds rated ≥ 18 A');
  });

  it('E6 reads only the declared phase and bank, and a stale or missing feed reading is unknown', () => {
    const otherBank = card({
      live: (e) => {
        for (const f of e.pduFeeds) f.bank = '1';
      },
    });
    expect(levelsOf(otherBank, 'E6')).toEqual(['na', 'na', 'unknown', 'unknown']);
    expect(criterion(otherBank, 'E6').levels[2]?.reason).toContain('no reading from pdu-1a phase 1 bank 0');
    const stale = card({
      live: (e) => {
        (e.pduFeeds[0] as { time: number }).time = testNow - 3_600_000;
      },
    });
    expect(levelsOf(stale, 'E6')).toEqual(['na', 'na', 'unknown', 'unknown']);
    expect(criterion(stale, 'E6').levels[2]?.reason).toMatch(/^last reading from pdu-1a .* is stale$/);
  });

  it('E6 fails a rack declared with one feed only, and a rack drawing on neither', () => {
    const oneFeed = card({
      section: {
        electrical: { rack_pdus: [{ rack: 'R1', feed: 'A', device: 'pdu-1a', rated_current_a: 16 }] },
      },
    });
    expect(criterion(oneFeed, 'E6').levels[2]?.reason).toBe('rack R1 has a PDU on feed A only');
    const idle = card({
      live: (e) => {
        for (const f of e.pduFeeds) f.current_a = 0;
      },
    });
    expect(criterion(idle, 'E6').levels[2]?.reason).toBe(
      'declared 100 % dual-corded, measured rack R1 drawing on neither feed (A 0 A, B 0 A)',
    );
  });

  it('E7 fails Rated-4 with one utility feed', () => {
    expect(levelsOf(card({ section: { electrical: { utility_feeds: [{ id: 'f1' }] } } }), 'E7')).toEqual([
      'pass',
      'pass',
      'pass',
      'fail',
    ]);
  });

  it('E8 fails from Rated-2 without an ATS', () => {
    expect(levelsOf(card({ section: { electrical: { ats_present: false } } }), 'E8')).toEqual([
      'na',
      'fail',
      'fail',
      'fail',
    ]);
  });

  it('E9 is unknown from Rated-3 without a dated test record', () => {
    expect(
      levelsOf(card({ section: { electrical: { concurrent_maintenance_tested: undefined } } }), 'E9'),
    ).toEqual(['na', 'na', 'unknown', 'unknown']);
  });

  it('M1 fails from Rated-2 with N cooling', () => {
    expect(levelsOf(card({ section: { mechanical: { cooling_redundancy: 'N' } } }), 'M1')).toEqual([
      'pass',
      'fail',
      'fail',
      'fail',
    ]);
  });

  it('M2 fails Rated-4 with active+alternate cooling paths', () => {
    expect(levelsOf(card({ section: { mechanical: { cooling_paths: 'active_alternate' } } }), 'M2')).toEqual([
      'pass',
      'pass',
      'pass',
      'fail',
    ]);
  });

  it('M3 fails Rated-4 only without continuous cooling', () => {
    expect(levelsOf(card({ section: { mechanical: { continuous_cooling: false } } }), 'M3')).toEqual([
      'na',
      'na',
      'na',
      'fail',
    ]);
  });

  it('M4 passes with the declared leak contacts dry; wet says "declared … dry, measured water" naming the room', () => {
    expect(levelsOf(card(), 'M4')).toEqual(['na', 'pass', 'pass', 'pass']);
    const wet = card({ live: (e) => Object.assign(e.contacts[0] as object, { active: true }) });
    expect(criterion(wet, 'M4').contradiction).toBe(
      'declared leak detection dry, measured water at env-1/leak-1 (room cr-1)',
    );
    // A smoke or door contact never stands in for a leak contact.
    const onlyOthers = card({ live: (e) => Object.assign(e, { contacts: e.contacts.slice(1) }) });
    expect(levelsOf(onlyOthers, 'M4')).toEqual(['na', 'unknown', 'unknown', 'unknown']);
  });

  it('smoke and door contacts are informative evidence of M5 and A2 and never change their status', () => {
    const alarm = card({
      live: (e) => {
        for (const c of e.contacts) if (c.kind !== 'leak') c.active = true;
      },
    });
    expect(levelsOf(alarm, 'M5')).toEqual(levelsOf(card(), 'M5'));
    expect(levelsOf(alarm, 'A2')).toEqual(levelsOf(card(), 'A2'));
    expect(criterion(alarm, 'M5').evidence.at(-1)?.text).toBe(
      'smoke smoke-1 (room cr-1): SMOKE (informative)',
    );
    expect(criterion(alarm, 'A2').evidence.at(-1)?.text).toBe('door door-1 (room cr-1): OPEN (informative)');
    expect(criterion(card(), 'A2').evidence.at(-1)?.text).toBe(
      'door door-1 (room cr-1): closed (informative)',
    );
  });

  it('M4 fails from Rated-2 when a leak sensor is wet, unknown when no contact is read', () => {
    expect(
      levelsOf(card({ live: (e) => Object.assign(e.contacts[0] as object, { active: true }) }), 'M4'),
    ).toEqual(['na', 'fail', 'fail', 'fail']);
    expect(levelsOf(card({ live: (e) => Object.assign(e, { contacts: [] }) }), 'M4')).toEqual([
      'na',
      'unknown',
      'unknown',
      'unknown',
    ]);
  });

  it('M5 fails Rated-3 with code sprinklers only', () => {
    expect(levelsOf(card({ section: { mechanical: { fire_suppression: 'code' } } }), 'M5')).toEqual([
      'pass',
      'pass',
      'fail',
      'fail',
    ]);
  });

  it('M6 fails Rated-3 outside the recommended band and every level outside the allowable band', () => {
    const at = (t: number) =>
      card({ live: (e) => Object.assign(e.environment[0] as object, { temperature_c: t }) });
    expect(levelsOf(at(29), 'M6')).toEqual(['pass', 'pass', 'fail', 'fail']);
    const hot = at(33);
    expect(levelsOf(hot, 'M6')).toEqual(['fail', 'fail', 'fail', 'fail']);
    expect(criterion(hot, 'M6').levels[0]?.reason).toBe(
      'env-1/inlet A3: 33 °C outside 15–32 °C (ASHRAE A1 allowable)',
    );
  });

  it('T1 fails Rated-3 with one entrance room', () => {
    const c = card({
      top: {
        rooms: [
          { id: 'cr-1', kind: 'computer_room', floor_load_kpa: 7.5 },
          { id: 'er-1', kind: 'entrance_room' },
        ],
      },
      section: {
        telecom: {
          access_providers: [
            { id: 'vnpt', name: 'VNPT', uplinks: [{ device: 'core-1', if_name: 'Gi0/1' }] },
            { id: 'viettel', name: 'Viettel', uplinks: [{ device: 'core-2', if_name: 'Gi0/1' }] },
          ],
        },
      },
    });
    expect(levelsOf(c, 'T1')).toEqual(['pass', 'pass', 'fail', 'fail']);
  });

  it('T2 fails Rated-3 saying "declared 2 providers, measured 1" when one provider\'s uplink is down', () => {
    const c = card({ live: (e) => Object.assign(e.interfaces[2] as object, { oper_up: false }) });
    expect(levelsOf(c, 'T2')).toEqual(['pass', 'pass', 'fail', 'fail']);
    expect(criterion(c, 'T2').contradiction).toBe(
      'declared 2 providers, measured 1 with an uplink up (viettel: core-2 Gi0/1 down)',
    );
  });

  it('T3 fails from Rated-3 when the pathways are 12 m apart', () => {
    expect(levelsOf(card({ section: { telecom: { entrance_pathway_separation_m: 12 } } }), 'T3')).toEqual([
      'na',
      'na',
      'fail',
      'fail',
    ]);
  });

  it('T4 fails from Rated-3 without redundant backbone cabling', () => {
    expect(levelsOf(card({ section: { telecom: { redundant_backbone_cabling: false } } }), 'T4')).toEqual([
      'na',
      'na',
      'fail',
      'fail',
    ]);
  });

  it('T5 fails from Rated-3 when a core switch stops answering, and from Rated-2 when ENTITY-MIB shows one PSU', () => {
    const down = card({
      live: (e) => Object.assign(e.devices[1] as object, { up: false, time: testNow - 1000 }),
    });
    expect(levelsOf(down, 'T5')).toEqual(['na', 'pass', 'fail', 'fail']);
    expect(criterion(down, 'T5').contradiction).toBe(
      'declared 2 core switches, measured 1 answering (core-2 not answering)',
    );
    // Its uplinks were read before it stopped answering: their state is unknown now, not up.
    expect(levelsOf(down, 'T2')).toEqual(['pass', 'pass', 'unknown', 'unknown']);
    expect(levelsOf(down, 'T6')).toEqual(['unknown', 'unknown', 'unknown', 'unknown']);
    const onePsu = card({ live: (e) => Object.assign(e, { entities: e.entities.slice(1) }) });
    expect(levelsOf(onePsu, 'T5')).toEqual(['na', 'fail', 'fail', 'fail']);
    expect(criterion(onePsu, 'T5').contradiction).toBe(
      'declared 2 PSUs on core-1, measured 1 working in ENTITY-MIB',
    );
  });

  it('T6 fails Rated-3 saying "declared 2 uplinks, measured 1 up" when a core uplink goes down', () => {
    const c = card({ live: (e) => Object.assign(e.interfaces[1] as object, { oper_up: false }) });
    expect(levelsOf(c, 'T6')).toEqual(['pass', 'pass', 'fail', 'fail']);
    expect(criterion(c, 'T6').contradiction).toBe(
      'declared 2 uplinks on core-1, measured 1 up (Gi0/24 down)',
    );
  });

  it('A1 fails Rated-3 with a 5 kPa floor (an unverified threshold)', () => {
    const c = card({
      top: {
        rooms: [
          { id: 'cr-1', kind: 'computer_room', floor_load_kpa: 5 },
          { id: 'er-1', kind: 'entrance_room' },
          { id: 'er-2', kind: 'entrance_room' },
        ],
      },
    });
    expect(levelsOf(c, 'A1')).toEqual(['pass', 'pass', 'fail', 'fail']);
    expect(criterion(c, 'A1').evidence[0]).toMatchObject({ kind: 'declared', text: 'cr-1: floor 5 kPa' });
  });

  it('A2 fails Rated-4 without a mantrap', () => {
    expect(levelsOf(card({ section: { architectural: { access_control: 'card_cctv' } } }), 'A2')).toEqual([
      'pass',
      'pass',
      'pass',
      'fail',
    ]);
  });

  it('A3 fails from Rated-3 with a business-hours NOC', () => {
    expect(levelsOf(card({ section: { architectural: { noc_hours: 'business_hours' } } }), 'A3')).toEqual([
      'na',
      'na',
      'fail',
      'fail',
    ]);
  });

  it('A5 fails Rated-4 only without A/B compartments', () => {
    expect(levelsOf(card({ section: { architectural: { compartmentalised_a_b: false } } }), 'A5')).toEqual([
      'na',
      'na',
      'na',
      'fail',
    ]);
  });

  it('A6 is unknown at every level without a site risk assessment, and carries its evidence when there is one', () => {
    expect(levelsOf(card({ section: { architectural: { site_risks: undefined } } }), 'A6')).toEqual([
      'unknown',
      'unknown',
      'unknown',
      'unknown',
    ]);
    expect(criterion(card(), 'A6').evidence[0]).toEqual({
      kind: 'declared',
      text: 'site risks: flood low',
      document: 'TK-01',
      date: '2026-01-15',
      checked_by: 'kiểm tra viên',
    });
  });
});
