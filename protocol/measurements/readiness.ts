import { defineMeasurement } from '../measurement.js';

/** The four TIA-942 subsystems, and `overall` (the lowest of them) on dc_readiness. */
export const readinessSubsystems = [
  'telecommunications',
  'architectural',
  'electrical',
  'mechanical',
] as const;
/** A criterion's status at one level: pass, fail, unknown (missing or stale evidence), na (not required). */
export const criterionStatuses = ['pass', 'fail', 'unknown', 'na'] as const;

/**
 * The TIA-942 readiness self-assessment (not a certification), written by the server's readiness
 * scheduler: one point per data-center site and subsystem (and `overall`) per evaluation.
 */
export const dcReadiness = defineMeasurement({
  name: 'dc_readiness',
  description:
    'TIA-942 readiness self-assessment (not a certification) of one data-center site: rating per subsystem and overall.',
  writers: ['server'],
  tags: ['dc_site', 'subsystem'],
  tagValues: { subsystem: [...readinessSubsystems, 'overall'] },
  fields: {
    rating: {
      type: 'integer',
      description:
        'highest level whose criteria up to it all pass (0: not Rated-1); overall = lowest subsystem',
    },
    target_rating: { type: 'integer', description: 'the rating the declaration aims at' },
    passed: { type: 'integer', description: 'criteria passing every level up to the target' },
    failed: { type: 'integer', description: 'criteria failing at some level up to the target' },
    unknown: { type: 'integer', description: 'criteria without the evidence to decide, none failing' },
    total: { type: 'integer', description: 'criteria required at some level up to the target' },
    blocking: { type: 'string', description: 'ids of the criteria blocking the target, comma-separated' },
    ups_load_kw: {
      type: 'float',
      description: 'electrical only: measured output of the declared UPS units, kW (absent without readings)',
    },
    ups_available_kw: {
      type: 'float',
      description: 'electrical only: capacity of the units on mains with a normal battery, kW',
    },
    ups_n1_capacity_kw: {
      type: 'float',
      description:
        'electrical only: available capacity without the largest unit, kW (N+1 holds while load ≤ it)',
    },
  },
});

/** One criterion of one site per evaluation: status per level, evidence, source tag. */
export const dcCriterion = defineMeasurement({
  name: 'dc_criterion',
  description: 'One TIA-942 readiness criterion of one data-center site: status per level with its evidence.',
  writers: ['server'],
  tags: ['dc_site', 'subsystem', 'criterion'],
  tagValues: { subsystem: readinessSubsystems },
  fields: {
    status: {
      type: 'string',
      description: 'worst status over levels 1..target: pass, fail, unknown or na',
      values: criterionStatuses,
    },
    status_r1: {
      type: 'string',
      description: 'pass, fail, unknown or na (not required) at Rated-1',
      values: criterionStatuses,
    },
    status_r2: { type: 'string', description: 'status at Rated-2', values: criterionStatuses },
    status_r3: { type: 'string', description: 'status at Rated-3', values: criterionStatuses },
    status_r4: { type: 'string', description: 'status at Rated-4', values: criterionStatuses },
    level: { type: 'integer', description: 'highest level this criterion passes (0: not Rated-1)' },
    requirement: { type: 'string', description: 'requirement per level, "R1 … | R2 … | R3 … | R4 …"' },
    evidence: { type: 'string', description: 'the declared facts and live readings used, "; "-separated' },
    reason: {
      type: 'string',
      description: 'why it does not pass at the lowest blocking level ("" when it passes)',
    },
    fix: { type: 'string', description: 'what would make it pass at that level' },
    contradiction: {
      type: 'string',
      description: '"declared X, measured Y" when live evidence contradicts the declaration',
    },
    source: { type: 'string', description: 'source tags of the threshold: TIA, SEC, UTI, UNV, DES' },
    unverified: { type: 'boolean', description: 'the threshold is not verified against the standard (UNV)' },
    decided_by: {
      type: 'string',
      description: 'declared, live or both',
      values: ['declared', 'live', 'both'],
    },
  },
});
