import * as alerting from '@grafana/grafana-foundation-sdk/alerting';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as expr from '@grafana/grafana-foundation-sdk/expr';
import { type InfluxQLDataquery, type InfluxQLTarget, influx, influxDatasource } from './grafana.js';
import { from } from './influxql.js';
import type { Messages } from './messages.js';
import { pingStatus, statusCode } from './queries.js';

/**
 * Alert rules as Grafana file-provisioned alerting YAML (`apiVersion: 1`, `groups:`). Rules are built with
 * the SDK's alerting and expression builders, then reshaped into the file format (which names the folder
 * and group on the group, not on each rule). Alert queries have no dashboard variables: Grafana fills
 * `$timeFilter` from each query's relative time range.
 */

const exprDatasource = { type: '__expr__', uid: '__expr__' } as const;

/** Thresholds the rules use, named for the README and the tests. */
export const alertThresholds = {
  endpointDownSeconds: 300,
  linkLossPercent: 10,
  linkLossSeconds: 600,
  upsOnBatterySeconds: 120,
  unprotectedSeconds: 3600,
  spoolGrowthSeconds: 900,
} as const;

function influxQuery(refId: string, target: InfluxQLTarget, seconds: number): alerting.QueryBuilder {
  return new alerting.QueryBuilder(refId)
    .datasourceUid(influxDatasource.uid)
    .relativeTimeRange({ from: seconds, to: 0 })
    .model(target);
}

function exprQuery(refId: string, model: cog.Builder<cog.Dataquery>): alerting.QueryBuilder {
  return new alerting.QueryBuilder(refId).datasourceUid(exprDatasource.uid).model(model);
}

const reduce = (refId: string, input: string, reducer: 'last' | 'mean') =>
  exprQuery(
    refId,
    new expr.TypeReduceBuilder().refId(refId).datasource(exprDatasource).expression(input).reducer(reducer),
  );

const math = (refId: string, expression: string) =>
  exprQuery(refId, new expr.TypeMathBuilder().refId(refId).datasource(exprDatasource).expression(expression));

const above = (refId: string, input: string, value: number) =>
  exprQuery(
    refId,
    new expr.TypeThresholdBuilder()
      .refId(refId)
      .datasource(exprDatasource)
      .expression(input)
      .conditions([{ evaluator: { type: 'gt', params: [value] } }]),
  );

function rule(
  uid: string,
  title: string,
  summary: string,
  description: string,
  severity: string,
): alerting.RuleBuilder {
  return new alerting.RuleBuilder(title)
    .uid(uid)
    .annotations({ summary, description })
    .labels({ severity, source: 'hatang' })
    .noDataState('OK')
    .execErrState('Error')
    .forDuration('0s');
}

interface RuleGroupSpec {
  name: string;
  interval: string;
  rules: alerting.RuleBuilder[];
}

function groups(m: Messages, lang: string): RuleGroupSpec[] {
  const a = m.alerts;
  const t = alertThresholds;
  return [
    {
      name: a.groupWan,
      interval: '1m',
      rules: [
        // A: the best status of the last 5 minutes (≥ 100: no cycle got a reply); B: the latest status
        // (100: down through its own fault; ≥ 1000 would be a parent's fault, which has its own alert).
        rule(
          `hatang-endpoint-down-${lang}`,
          a.endpointDown,
          a.endpointDownSummary,
          a.endpointDownDescription,
          'critical',
        )
          .withQuery(
            influxQuery(
              'A',
              influx(
                pingStatus('none').select('min', 'status', 'status').groupBy('target_id', 'name', 'level'),
                'A',
              ),
              t.endpointDownSeconds,
            ),
          )
          .withQuery(
            influxQuery(
              'B',
              influx(
                pingStatus('none').select('last', 'status', 'status').groupBy('target_id', 'name', 'level'),
                'B',
              ),
              t.endpointDownSeconds,
            ),
          )
          .withQuery(reduce('C', 'A', 'last'))
          .withQuery(reduce('D', 'B', 'last'))
          .withQuery(math('E', `$C >= ${statusCode.down} && $D < ${statusCode.parentDownFrom}`))
          .condition('E'),
        rule(`hatang-link-loss-${lang}`, a.linkLoss, a.linkLossSummary, a.linkLossDescription, 'warning')
          .withQuery(
            influxQuery(
              'A',
              influx(
                from('ping')
                  .select('mean', 'loss_percent', 'loss_percent')
                  // Every level above the communes: levels come from the registry, communes are always last.
                  .whereTag('level', 'commune', '!=')
                  .whereField('up', '=', true)
                  .groupBy('target_id', 'name'),
                'A',
              ),
              t.linkLossSeconds,
            ),
          )
          .withQuery(reduce('B', 'A', 'mean'))
          .withQuery(above('C', 'B', t.linkLossPercent))
          .condition('C'),
      ],
    },
    {
      name: a.groupPower,
      interval: '1m',
      rules: [
        rule(
          `hatang-ups-on-battery-${lang}`,
          a.upsOnBattery,
          a.upsOnBatterySummary,
          a.upsOnBatteryDescription,
          'critical',
        )
          .withQuery(
            influxQuery(
              'A',
              influx(
                from('ups')
                  .select('count', 'on_battery', 'on_battery')
                  .whereField('on_battery', '=', true)
                  .groupBy('device'),
                'A',
              ),
              t.upsOnBatterySeconds,
            ),
          )
          .withQuery(
            influxQuery(
              'B',
              influx(from('ups').select('count', 'on_battery', 'polls').groupBy('device'), 'B'),
              t.upsOnBatterySeconds,
            ),
          )
          .withQuery(reduce('C', 'A', 'last'))
          .withQuery(reduce('D', 'B', 'last'))
          .withQuery(math('E', '$D > 0 && $C >= $D'))
          .condition('E'),
      ],
    },
    {
      name: a.groupFleet,
      interval: '5m',
      rules: [
        rule(
          `hatang-unprotected-${lang}`,
          a.unprotected,
          a.unprotectedSummary,
          a.unprotectedDescription,
          'warning',
        )
          .withQuery(
            influxQuery(
              'A',
              influx(
                from('antivirus')
                  .select('count', 'host_state', 'unprotected')
                  .whereField('host_state', '=', 'unprotected')
                  .groupBy('agent_id', 'hostname', 'site_id'),
                'A',
              ),
              t.unprotectedSeconds,
            ),
          )
          .withQuery(
            influxQuery(
              'B',
              influx(
                from('antivirus')
                  .select('count', 'host_state', 'reports')
                  .groupBy('agent_id', 'hostname', 'site_id'),
                'B',
              ),
              t.unprotectedSeconds,
            ),
          )
          .withQuery(reduce('C', 'A', 'last'))
          .withQuery(reduce('D', 'B', 'last'))
          .withQuery(math('E', '$D > 0 && $C >= $D'))
          .condition('E'),
      ],
    },
    {
      name: a.groupSystem,
      interval: '1m',
      rules: [
        rule(
          `hatang-spool-growing-${lang}`,
          a.spoolGrowing,
          a.spoolGrowingSummary,
          a.spoolGrowingDescription,
          'warning',
        )
          .withQuery(
            influxQuery(
              'A',
              influx(
                from('server_health')
                  .selectExpr('growth_bytes', (f) => `last(${f('spool_bytes')}) - first(${f('spool_bytes')})`)
                  .groupBy('instance'),
                'A',
              ),
              t.spoolGrowthSeconds,
            ),
          )
          .withQuery(reduce('B', 'A', 'last'))
          .withQuery(above('C', 'B', 0))
          .condition('C')
          .forDuration('5m'),
      ],
    },
  ];
}

/** What the file provisioning format expects for one rule. */
export interface ProvisionedRule {
  uid: string;
  title: string;
  condition: string;
  data: {
    refId: string;
    datasourceUid: string;
    relativeTimeRange?: { from: number; to: number };
    model: unknown;
  }[];
  noDataState: string;
  execErrState: string;
  for: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
  isPaused: boolean;
}

export interface AlertingFile {
  apiVersion: 1;
  groups: { orgId: number; name: string; folder: string; interval: string; rules: ProvisionedRule[] }[];
}

/** The alert rules file for one language. */
export function alertRules(m: Messages, lang: string): AlertingFile {
  return {
    apiVersion: 1,
    groups: groups(m, lang).map((g) => ({
      orgId: 1,
      name: g.name,
      folder: m.alerts.folder,
      interval: g.interval,
      rules: g.rules.map((b) => {
        const r = b.build();
        return {
          uid: r.uid ?? '',
          title: r.title,
          condition: r.condition,
          data: r.data.map((q) => ({
            refId: q.refId ?? '',
            datasourceUid: q.datasourceUid ?? '',
            ...(q.relativeTimeRange
              ? {
                  relativeTimeRange: { from: q.relativeTimeRange.from ?? 0, to: q.relativeTimeRange.to ?? 0 },
                }
              : { relativeTimeRange: { from: 0, to: 0 } }),
            // Via JSON: the SDK's expression models carry a marker method that must not reach the file.
            model: JSON.parse(JSON.stringify(q.model)) as unknown,
          })),
          noDataState: r.noDataState,
          execErrState: r.execErrState,
          for: r.for,
          annotations: r.annotations ?? {},
          labels: r.labels ?? {},
          isPaused: false,
        };
      }),
    })),
  };
}

/** The InfluxQL queries of a rules file, with the window each runs over (for tests). */
export function alertInfluxQueries(
  file: AlertingFile,
): { rule: string; refId: string; seconds: number; target: InfluxQLDataquery }[] {
  return file.groups.flatMap((g) =>
    g.rules.flatMap((r) =>
      r.data
        .filter((d) => d.datasourceUid === influxDatasource.uid)
        .map((d) => ({
          rule: r.uid,
          refId: d.refId,
          seconds: d.relativeTimeRange?.from ?? 0,
          target: d.model as InfluxQLDataquery,
        })),
    ),
  );
}
