import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import type { Query, Shape } from './influxql.js';
import type { EnumKey, Messages } from './messages.js';

/**
 * Grafana glue: the InfluxQL dataquery the foundation SDK does not ship, the fixed datasource uids the
 * provisioning files declare (file provisioning does not substitute `__inputs`), and small helpers for
 * thresholds, value mappings and variables.
 */

/** The InfluxDB datasource, as provisioned by provisioning/datasources/hatang-influxdb.yaml. */
export const influxDatasource = { type: 'influxdb', uid: 'hatang-influxdb' } as const;
/** What tests need to know about a panel query, kept on the built target under a symbol (not in JSON). */
export interface QueryInfo {
  /** Columns InfluxDB returns for each series. */
  columns: string[];
  /** Tags the series are grouped by. */
  groupedTags: string[];
}
export const queryInfo: unique symbol = Symbol('hatang.queryInfo');

export type ResultFormat = 'time_series' | 'table';

export interface InfluxQLDataquery {
  refId: string;
  datasource: { type: string; uid: string };
  query: string;
  rawQuery: true;
  resultFormat: ResultFormat;
  alias?: string;
  hide?: boolean;
  [queryInfo]?: QueryInfo;
}

/** The InfluxQL target the SDK lacks: a raw query (Grafana does not rewrite it) against the provisioned uid. */
export class InfluxQLTarget implements cog.Builder<cog.Dataquery> {
  private readonly internal: InfluxQLDataquery;

  constructor(query: Query<Shape, string>, refId = 'A') {
    this.internal = {
      refId,
      datasource: { ...influxDatasource },
      query: query.toString(),
      rawQuery: true,
      resultFormat: 'time_series',
    };
    Object.defineProperty(this.internal, queryInfo, {
      value: { columns: query.columns(), groupedTags: query.groupedTags() } satisfies QueryInfo,
      enumerable: false,
    });
  }

  format(format: ResultFormat): this {
    this.internal.resultFormat = format;
    return this;
  }

  /** Legend: `$tag_<name>` and `$col` as Grafana's InfluxDB datasource expands them. */
  alias(alias: string): this {
    this.internal.alias = alias;
    return this;
  }

  build(): cog.Dataquery {
    return this.internal as unknown as cog.Dataquery;
  }
}

/** `influx(query)`: a time-series target; `.format('table')` for tables. */
export function influx<S extends Shape, O extends string>(query: Query<S, O>, refId = 'A'): InfluxQLTarget {
  return new InfluxQLTarget(query as unknown as Query<Shape, string>, refId);
}

export const colors = {
  ok: 'green',
  warn: 'orange',
  bad: 'red',
  parent: 'purple',
  unknown: 'text',
  info: 'blue',
} as const;

/** Absolute thresholds from `[color, from]` steps; the first step starts at -∞. */
export function thresholds(...steps: [string, number][]): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps(steps.map(([color, value], i) => ({ color, value: i === 0 ? null : value })));
}

export function thresholdColors(): dashboard.FieldColorBuilder {
  return new dashboard.FieldColorBuilder().mode(dashboard.FieldColorModeId.Thresholds);
}

export function paletteColors(): dashboard.FieldColorBuilder {
  return new dashboard.FieldColorBuilder().mode(dashboard.FieldColorModeId.PaletteClassic);
}

/** Value → text and colour. */
export function valueMap(options: Record<string, { text: string; color: string }>): dashboard.ValueMapping {
  return {
    type: dashboard.MappingType.ValueToText,
    options: Object.fromEntries(
      Object.entries(options).map(([value, r], index) => [value, { text: r.text, color: r.color, index }]),
    ),
  };
}

/** [from, to] → text and colour. */
export function rangeMap(
  from: number | null,
  to: number | null,
  text: string,
  color: string,
): dashboard.ValueMapping {
  return { type: dashboard.MappingType.RangeToText, options: { from, to, result: { text, color } } };
}

/** Stat/piechart/bargauge reduce: last non-null value of every numeric field (the SDK leaves calcs empty). */
export function lastNotNull(fields?: string): common.ReduceDataOptionsBuilder {
  const b = new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false);
  return fields ? b.fields(fields) : b;
}

/** Every row, not reduced (stat grids over string/number rows). */
export function allValues(fields?: string): common.ReduceDataOptionsBuilder {
  const b = new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(true).limit(500);
  return fields ? b.fields(fields) : b;
}

export function tableLegend(): common.VizLegendOptionsBuilder {
  return new common.VizLegendOptionsBuilder()
    .displayMode(common.LegendDisplayMode.Table)
    .placement(common.LegendPlacement.Bottom)
    .showLegend(true)
    .calcs(['mean', 'max', 'lastNotNull']);
}

/** Column rename/order for table panels (Grafana's "organize" transformation). */
export function organize(
  renameByName: Record<string, string>,
  excludeByName: string[] = [],
): dashboard.DataTransformerConfig {
  return {
    id: 'organize',
    options: {
      renameByName,
      excludeByName: Object.fromEntries(excludeByName.map((n) => [n, true])),
      indexByName: Object.fromEntries(Object.keys(renameByName).map((n, i) => [n, i])),
    },
  };
}

/** Merges the tables of several queries into one (rows joined on equal tag columns). */
export const merge: dashboard.DataTransformerConfig = { id: 'merge', options: {} };

/**
 * A tag variable: `SHOW TAG VALUES …`, multi-select with All = `.*`, so queries match it with
 * `=~ /^$name$/` (Grafana regex-escapes each value and joins several as `(a|b)`).
 */
export function tagVariable(name: string, label: string, query: string): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource({ ...influxDatasource })
    .query(query)
    .definition(query)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ selected: true, text: ['All'], value: ['$__all'] })
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalCaseInsensitiveAsc);
}

/** A fixed list of choices (`N hours`, `top N`), substituted as is. */
export function customVariable(
  name: string,
  label: string,
  values: string[],
  current: string,
): dashboard.CustomVariableBuilder {
  return new dashboard.CustomVariableBuilder(name)
    .label(label)
    .values(values.join(','))
    .current({ selected: true, text: current, value: current })
    .options(values.map((v) => ({ selected: v === current, text: v, value: v })));
}

/** Numbers panels across every dashboard from 1, rows and their children included. */
export function numberPanels(built: dashboard.Dashboard): dashboard.Dashboard {
  let id = 0;
  for (const p of built.panels ?? []) {
    (p as { id?: number }).id = ++id;
    for (const child of (p as dashboard.RowPanel).panels ?? []) child.id = ++id;
  }
  return built;
}

/** Grafana's "Mixed" pseudo-datasource: a panel whose queries go to more than one datasource. */
export const mixedDatasource = { type: 'datasource', uid: '-- Mixed --' } as const;

/**
 * Sets every panel's own datasource from its queries: the one they share, or Mixed when they differ.
 * Without it Grafana runs a panel's queries against the panel's datasource, which defaults to the
 * first query's or the organisation's default, not necessarily the one each query names.
 */
export function panelDatasources(built: dashboard.Dashboard): dashboard.Dashboard {
  const panels = (built.panels ?? []).flatMap((p) => [p, ...((p as dashboard.RowPanel).panels ?? [])]);
  for (const p of panels as dashboard.Panel[]) {
    const refs = (p.targets ?? [])
      .map((t) => (t as { datasource?: dashboard.DataSourceRef }).datasource)
      .filter((d) => d !== undefined);
    const uids = new Set(refs.map((d) => d.uid));
    if (uids.size === 1) p.datasource = { ...refs[0] };
    else if (uids.size > 1) p.datasource = { ...mixedDatasource };
  }
  return built;
}

/** The `__inputs` name of the InfluxDB datasource in the import flavour. */
export const importInput = 'DS_INFLUXDB';

/**
 * The dashboard as Grafana's "Import dashboard" wants it: `__inputs` asks the importer to pick an
 * InfluxDB datasource, and every reference to the provisioned uid becomes `${DS_INFLUXDB}`, which
 * Grafana replaces with the picked datasource's uid. `__requires` lists Grafana, the datasource and
 * the panel plugins. `id` is null so Grafana assigns one.
 */
export function importFlavour(built: dashboard.Dashboard): Record<string, unknown> {
  const panelTypes = new Set<string>();
  const rewrite = (node: unknown, key = ''): unknown => {
    if (Array.isArray(node)) return node.map((v) => rewrite(v, key));
    if (!node || typeof node !== 'object') return node;
    const o = node as Record<string, unknown>;
    if (key === 'datasource' && o.uid === influxDatasource.uid) return { ...o, uid: `\${${importInput}}` };
    if (key === 'panels' && typeof o.type === 'string') panelTypes.add(o.type);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, rewrite(v, k)]));
  };
  const body = rewrite(JSON.parse(JSON.stringify(built))) as Record<string, unknown>;
  panelTypes.delete('row');
  return {
    __inputs: [
      {
        name: importInput,
        label: 'InfluxDB (hatang)',
        description: 'The InfluxDB 1.x datasource (InfluxQL) holding the hatang database',
        type: 'datasource',
        pluginId: influxDatasource.type,
        pluginName: 'InfluxDB',
      },
    ],
    __requires: [
      { type: 'grafana', id: 'grafana', name: 'Grafana', version: '12.0.0' },
      { type: 'datasource', id: influxDatasource.type, name: 'InfluxDB', version: '1.0.0' },
      ...[...panelTypes].sort().map((id) => ({ type: 'panel', id, name: id, version: '' })),
    ],
    ...body,
    id: null,
  };
}

/**
 * Value mappings for one enumerated field or tag (`antivirus.reason`): every value of the catalogue
 * shown as text in the dashboard's language; a prefix value (`parse_error:`) maps everything it starts.
 */
export function enumMappings(m: Messages, key: EnumKey): dashboard.ValueMapping[] {
  const texts = Object.entries(m.enums[key] as Record<string, string>);
  const exact = texts.filter(([value]) => !value.endsWith(':'));
  const prefixes = texts.filter(([value]) => value.endsWith(':'));
  return [
    {
      type: dashboard.MappingType.ValueToText,
      options: Object.fromEntries(exact.map(([value, text], index) => [value, { text, index }])),
    },
    ...prefixes.map(
      ([prefix, text], i): dashboard.ValueMapping => ({
        type: dashboard.MappingType.RegexToText,
        options: {
          pattern: `^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*`,
          result: { text, index: exact.length + i },
        },
      }),
    ),
  ];
}

/** A table column (by its displayed name) whose values are shown through `enumMappings`. */
export function enumColumn(m: Messages, key: EnumKey): { id: string; value: dashboard.ValueMapping[] }[] {
  return [{ id: 'mappings', value: enumMappings(m, key) }];
}

/**
 * Transformations renaming series and columns whose name holds an enumerated word (`$tag_level` →
 * "commune") to its text: value mappings reach values, not names.
 */
export function renameEnum(m: Messages, key: EnumKey): dashboard.DataTransformerConfig[] {
  return Object.entries(m.enums[key] as Record<string, string>)
    .filter(([value]) => !value.endsWith(':'))
    .map(([value, text]) => ({
      id: 'renameByRegex',
      // Named groups: `$1` would read as a dashboard variable.
      options: { regex: `/^(?<pre>.*\\b)?${value}(?<post>\\b.*)?$/`, renamePattern: `$<pre>${text}$<post>` },
    }));
}

/** A data link: where a click on a value goes. */
export interface DataLink {
  title: string;
  url: string;
}

/**
 * A data link to another dashboard (or the same one) with its variables set from the clicked value:
 * `${__value.raw}` for a table cell, `${__field.labels.target_id}` for a series. Keeps the time range
 * unless `time` says otherwise (`from=now-7d&to=now`).
 */
export function dashboardLink(
  title: string,
  uid: string,
  vars: Record<string, string>,
  time = '${__url_time_range}',
): DataLink {
  const query = Object.entries(vars).map(([name, value]) => `var-${name}=${value}`);
  return { title, url: `/d/${uid}?${[...query, time].join('&')}` };
}

/** The clicked table cell's raw value, URL-encoded. */
export const cellValue = '${__value.raw:percentencode}';

/** Data links as a panel's default field config (`.dataLinks(asLinks(…))`). */
export function asLinks(...links: DataLink[]): cog.Builder<dashboard.DashboardLink>[] {
  return links.map((link) => ({ build: () => link as dashboard.DashboardLink }));
}
