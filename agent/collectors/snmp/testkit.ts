import pino, { type Logger } from 'pino';
import { expect } from 'vitest';
import { checkAgainstCatalogue, pointSchema } from '../../../protocol/index.js';
import { snmpCli } from '../../../test/harness/snmpd.js';
import type { CollectedPoint } from '../../collector.js';
import { snmpCollector } from './index.js';

/** Helpers the snmp collector's tests share: run the collector as the agent would, read as snmpbulkwalk does. */

export const T0 = Date.UTC(2026, 10, 1, 8, 0, 0);
const log = pino({ level: 'silent' });

/** Runs the collector once with a config written as in agent.yaml, through its zod schema. */
export async function collect(
  raw: Record<string, unknown>,
  {
    now = T0,
    memory = new Map<string, unknown>(),
    signal = new AbortController().signal,
    logger = log,
  }: { now?: number; memory?: Map<string, unknown>; signal?: AbortSignal; logger?: Logger } = {},
): Promise<CollectedPoint[]> {
  const cfg = snmpCollector.config.parse(raw);
  return snmpCollector.collect(cfg, {
    signal,
    log: logger,
    now: () => now,
    hostname: 'poller-test',
    stateDir: '/nonexistent',
    memory,
  });
}

export const of = (points: CollectedPoint[], measurement: string, device?: string) =>
  points.filter((p) => p.measurement === measurement && (device === undefined || p.tags.device === device));

export function one(points: CollectedPoint[], measurement: string, device: string): CollectedPoint {
  const found = of(points, measurement, device);
  expect(found, `${measurement} points of ${device}`).toHaveLength(1);
  return found[0] as CollectedPoint;
}

/** Every point must pass the wire schema and the catalogue, as the server would check it. */
export function expectValid(points: CollectedPoint[]): void {
  const withTime = points.map((p) => pointSchema.parse({ ...p, time: p.time ?? T0 }));
  expect(checkAgainstCatalogue(withTime)).toEqual([]);
}

/** `snmpbulkwalk -On -OQ` of one column (or scalar): row index → value (quotes of strings removed). */
export async function walkColumn(
  authArgs: string[],
  port: number,
  column: string,
): Promise<Map<string, string>> {
  const out = await snmpCli('snmpbulkwalk', [
    ...authArgs,
    '-On',
    '-OQ',
    '-Oe',
    '-Ot',
    '-Cr25',
    `127.0.0.1:${port}`,
    column,
  ]);
  const rows = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [, oid, value = ''] = /^\.?([\d.]+) = (.*)$/.exec(line) ?? [];
    if (!oid?.startsWith(`${column}.`)) continue;
    rows.set(oid.slice(column.length + 1), value.replace(/^"(.*)"$/, '$1'));
  }
  return rows;
}

/** `snmpget -On -OQ -Oe -Ot` of scalars: OID → value as the net-snmp tools read it (undefined when absent). */
export async function getScalars(
  authArgs: string[],
  port: number,
  oids: string[],
): Promise<Map<string, string>> {
  const out = await snmpCli('snmpget', [
    ...authArgs,
    '-On',
    '-OQ',
    '-Oe',
    '-Ot',
    `127.0.0.1:${port}`,
    ...oids,
  ]);
  const values = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [, oid, value = ''] = /^\.?([\d.]+) = (.*)$/.exec(line) ?? [];
    if (!oid || /^No Such/.test(value)) continue;
    values.set(oid, value.replace(/^"(.*)"$/, '$1'));
  }
  return values;
}
