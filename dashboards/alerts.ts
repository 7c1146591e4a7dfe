import * as alerting from '@grafana/grafana-foundation-sdk/alerting';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as expr from '@grafana/grafana-foundation-sdk/expr';
import { type InfluxQLDataquery, type InfluxQLTarget, influx, influxDatasource } from './grafana.js';
import { from } from './influxql.js';
import type { Messages } from './messages.js';
import { pingStatus, pollerSilence, siteSilence, statusCode } from './queries.js';

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
  pollerWindowSeconds: 7 * 86_400,
  siteWindowSeconds: 30 * 86_400,
} as const;

/**
 * What a rule becomes when its query returns nothing (`noData`) or fails (`execErr`). Never `OK` by
 * default: data that stops must not turn a rule green.
 * - `NoData`: Grafana raises a DatasourceNoData alert, routed like any other: the data feeding the rule
 *   stopped (the poller, the SNMP polls, the server's own health writer).
 * - `Alerting`: the rule fires: its query names everything it watches, so nothing at all means the
 *   source itself is gone.
 * - `KeepLast`: the rule keeps its state: the data legitimately pauses (agency PCs off at night), and the
 *   silence rules say when a pause is too long.
 */
export interface SilencePolicy {
  noData: 'NoData' | 'Alerting' | 'KeepLast';
  execErr: 'Error' | 'Alerting' | 'KeepLast';
}

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

/** Severities the notification policy routes on (provisioning/alerting/hatang-notifications.yaml). */
export const severities = ['critical', 'warning'] as const;
export type Severity = (typeof severities)[number];

function rule(
  uid: string,
  title: string,
  summary: string,
  description: string,
  severity: Severity,
  states: SilencePolicy,
): alerting.RuleBuilder {
  return new alerting.RuleBuilder(title)
    .uid(uid)
    .annotations({ summary, description })
    .labels({ severity, source: 'hatang' })
    .noDataState(states.noData)
    .execErrState(states.execErr)
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
          // No ping point at all in 5 minutes: the poller or its path to the server is gone.
          { noData: 'NoData', execErr: 'Error' },
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
        rule(
          `hatang-link-loss-${lang}`,
          a.linkLoss,
          a.linkLossSummary,
          a.linkLossDescription,
          'warning',
          // Nothing above the communes up: either every core link is down (endpoint down fires) or the
          // poller stopped (poller silent fires); say so rather than turn green.
          { noData: 'NoData', execErr: 'Error' },
        )
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
          // No UPS poll in 2 minutes: the SNMP poller or the UPS's management card stopped answering.
          { noData: 'NoData', execErr: 'Error' },
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
          // Agency PCs are off at night: keep the last state (an unprotected machine switched off stays
          // unprotected); sites silent too long have their own rule.
          { noData: 'KeepLast', execErr: 'KeepLast' },
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
          // Every server writes its own health every few seconds: none in 15 minutes means none is running.
          { noData: 'Alerting', execErr: 'Error' },
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
    {
      name: a.groupSilence,
      interval: '1m',
      rules: [
        rule(
          `hatang-poller-silent-${lang}`,
          a.pollerSilent,
          a.pollerSilentSummary,
          a.pollerSilentDescription,
          'critical',
          // No poller heard from in a week: there is nothing left to name, and that is the worst case.
          { noData: 'Alerting', execErr: 'Error' },
        )
          .withQuery(influxQuery('A', influx(pollerSilence(), 'A'), t.pollerWindowSeconds))
          .withQuery(reduce('B', 'A', 'last'))
          .withQuery(above('C', 'B', 0))
          .condition('C'),
        rule(
          `hatang-site-silent-${lang}`,
          a.siteSilent,
          a.siteSilentSummary,
          a.siteSilentDescription,
          'warning',
          { noData: 'Alerting', execErr: 'Error' },
        )
          .withQuery(influxQuery('A', influx(siteSilence(), 'A'), t.siteWindowSeconds))
          .withQuery(reduce('B', 'A', 'last'))
          .withQuery(above('C', 'B', 0))
          .condition('C'),
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
      // File provisioning names a rule group's folder by title (it has no folder uid field): the same
      // title as the dashboard provider's folder, whose uid is fixed, so rules sit beside the dashboards.
      folder: m.provisioning.folder,
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

/** Ways the contact points reach people; each reads its address from Grafana's environment. */
export const notifiers = {
  email: {
    env: 'HATANG_ALERT_EMAIL',
    receiver: (severity: Severity) => ({
      uid: `hatang-${severity}-email`,
      type: 'email',
      // Several addresses separated by ";" or ",".
      settings: { addresses: '$HATANG_ALERT_EMAIL', singleEmail: false },
      disableResolveMessage: false,
    }),
  },
  webhook: {
    env: 'HATANG_ALERT_WEBHOOK',
    receiver: (severity: Severity) => ({
      uid: `hatang-${severity}-webhook`,
      type: 'webhook',
      settings: { url: '$HATANG_ALERT_WEBHOOK', httpMethod: 'POST' },
      disableResolveMessage: false,
    }),
  },
} as const;
export type Notifier = keyof typeof notifiers;

/**
 * Contact points and the notification policy, the same for every language (an organisation has one
 * policy tree, so this file is shared, not per language). One contact point per severity, so critical
 * and warning alerts can go to different people later by editing one address; the policy routes on
 * the `severity` label every rule carries: critical at once and every hour while firing, warnings
 * batched and every 12 hours. Grafana substitutes `$HATANG_ALERT_*` from its environment and refuses an
 * empty address, so build with only the notifiers whose variables you set (`--notify email`).
 */
export function notificationsFile(via: readonly Notifier[]) {
  if (via.length === 0) throw new Error('notifications: at least one notifier (email, webhook) is needed');
  const name = (severity: Severity) => `hatang-${severity}`;
  return {
    apiVersion: 1,
    contactPoints: severities.map((severity) => ({
      orgId: 1,
      name: name(severity),
      receivers: via.map((n) => notifiers[n].receiver(severity)),
    })),
    policies: [
      {
        orgId: 1,
        receiver: name('warning'),
        group_by: ['grafana_folder', 'alertname'],
        group_wait: '1m',
        group_interval: '5m',
        repeat_interval: '12h',
        routes: [
          {
            receiver: name('critical'),
            object_matchers: [['severity', '=', 'critical']],
            group_wait: '30s',
            group_interval: '2m',
            repeat_interval: '1h',
          },
          {
            receiver: name('warning'),
            object_matchers: [['severity', '=', 'warning']],
          },
        ],
      },
    ],
  };
}
