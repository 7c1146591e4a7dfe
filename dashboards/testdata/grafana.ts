import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { type InfluxQLDataquery, type QueryInfo, queryInfo } from '../grafana.js';
import { escapeRegex } from '../influxql.js';

/**
 * What Grafana does to an InfluxQL query before sending it, for tests that run dashboards' queries
 * against a real InfluxDB: `$timeFilter`, `$__interval`, and template variables as the InfluxDB
 * datasource formats them (a multi-value or include-All variable: each value regex-escaped, several
 * joined as `(a|b)`, All as the variable's allValue).
 */

export type VariableValue =
  | { kind: 'regex'; values: string[] | 'all'; allValue: string }
  | { kind: 'plain'; value: string };

export interface TimeContext {
  /** E.g. `time >= now() - 6h`, or Grafana's absolute form `time >= 1700000000000ms and time <= 1700003600000ms`. */
  timeFilter: string;
  /** E.g. `10m`. */
  interval: string;
  /** The range in seconds, Grafana's `$__range_s` (needed only by queries that use it). */
  rangeS?: number;
}

/** Variables of a built dashboard at their defaults (All for tag variables), with `overrides` applied. */
export function variableDefaults(
  d: dashboard.Dashboard,
  overrides: Record<string, string[] | string> = {},
): Record<string, VariableValue> {
  const out: Record<string, VariableValue> = {};
  for (const v of d.templating?.list ?? []) {
    const o = overrides[v.name];
    if (v.type === 'query') {
      const values = o === undefined ? 'all' : Array.isArray(o) ? o : [o];
      out[v.name] = { kind: 'regex', values, allValue: v.allValue ?? '.*' };
    } else {
      const current = v.current?.value;
      const value = typeof o === 'string' ? o : Array.isArray(current) ? (current[0] ?? '') : (current ?? '');
      out[v.name] = { kind: 'plain', value: String(value) };
    }
  }
  return out;
}

export function interpolate(query: string, vars: Record<string, VariableValue>, time: TimeContext): string {
  if (/\$__range_s\b/.test(query) && time.rangeS === undefined)
    throw new Error(`query uses $__range_s and the test gave no range: ${query}`);
  return query
    .replace(/\$__range_s\b/g, String(time.rangeS))
    .replace(/\$timeFilter\b/g, time.timeFilter)
    .replace(/\$__interval\b/g, time.interval)
    .replace(/\$\{(\w+)\}|\[\[(\w+)\]\]|\$(\w+)/g, (_whole, a?: string, b?: string, c?: string) => {
      const name = (a ?? b ?? c) as string;
      const v = vars[name];
      if (!v) throw new Error(`query uses $${name}, which the dashboard does not define: ${query}`);
      if (v.kind === 'plain') return v.value;
      if (v.values === 'all') return v.allValue;
      const escaped = v.values.map(escapeRegex);
      return escaped.length === 1 ? (escaped[0] as string) : `(${escaped.join('|')})`;
    });
}

export interface PanelQuery {
  dashboard: string;
  panel: string;
  refId: string;
  target: InfluxQLDataquery;
  info: QueryInfo;
}

/** Every InfluxQL target of a dashboard, with its panel's title. */
export function panelQueries(d: dashboard.Dashboard): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const p of d.panels ?? []) {
    if (p.type === 'row') continue;
    for (const t of (p as dashboard.Panel).targets ?? []) {
      const target = t as unknown as InfluxQLDataquery;
      const info = target[queryInfo];
      if (!info) continue;
      out.push({
        dashboard: d.title ?? '',
        panel: (p as dashboard.Panel).title ?? '',
        refId: target.refId,
        target,
        info,
      });
    }
  }
  return out;
}
