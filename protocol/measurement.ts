import type { FieldType } from './point.js';

export interface FieldSpec {
  type: FieldType;
  description: string;
  /**
   * Only for `integer` fields that count past 2^53 (64-bit SNMP counters): a value beyond the safe
   * range travels as a string of decimal digits (JSON numbers cannot carry it exactly) and is stored
   * as an InfluxDB integer (int64), so the field's type stays integer. Smaller values stay numbers.
   */
  bigint?: true;
  /**
   * For a string field that takes one of a known set of words (`state`: protected | unprotected |
   * unknown): the words. Dashboards map every one to text in each language, and a test fails when a
   * word has no translation. A word ending in `:` is a prefix (`parse_error:` + detail).
   */
  values?: readonly string[];
}

/** What the catalogue knows about one measurement: its tags and its typed fields. */
export interface MeasurementSpec<
  N extends string = string,
  T extends string = string,
  F extends Record<string, FieldSpec> = Record<string, FieldSpec>,
> {
  name: N;
  description: string;
  /** Tags the sender sets. `agent_id` and `site_id` are stamped by the server and never listed here. */
  tags: readonly T[];
  fields: F;
  /**
   * Who may write it. The server refuses a point whose credential's role is not listed, so an
   * agency PC cannot write the WAN endpoints' `ping` or a switch's counters, and nobody but the
   * server writes `server_health`.
   */
  writers: readonly WriterRole[];
  /** Tags that take one of a known set of words (see FieldSpec.values). */
  tagValues?: Partial<Record<T, readonly string[]>>;
}

/**
 * The roles that write points: `agent` (an agency PC, about itself), `poller` (the data center's
 * agent reading the network: registry endpoints over ICMP, devices over SNMP; it is a machine too,
 * so it may also write what an agent writes about itself), `server` (the collector's own health,
 * never accepted over the API).
 */
export const writerRoles = ['agent', 'poller', 'server'] as const;
export type WriterRole = (typeof writerRoles)[number];

/** What an agent's own machine reports: written by agents and by pollers about themselves. */
export const machineWriters = ['agent', 'poller'] as const satisfies readonly WriterRole[];

/**
 * Declares a measurement with literal names kept in its type, so dashboards and tests that say
 * `host.fields.cpu_load_percent` stop compiling when a field is renamed.
 *
 * @example
 * export const host = defineMeasurement({
 *   name: 'host',
 *   description: 'load, memory and uptime of the machine running the agent',
 *   tags: ['hostname'],
 *   fields: { cpu_load_percent: { type: 'float', description: 'CPU busy, %' } },
 *   writers: machineWriters,
 * });
 */
export function defineMeasurement<
  const N extends string,
  const T extends string,
  const F extends Record<string, FieldSpec>,
>(spec: MeasurementSpec<N, T, F>): MeasurementSpec<N, T, F> {
  return spec;
}

/** Tags the server stamps on every point from an agent's credential. */
export const stampedTags = ['agent_id', 'site_id'] as const;
export type StampedTag = (typeof stampedTags)[number];
