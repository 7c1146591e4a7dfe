import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import {
  colors,
  type InfluxQLTarget,
  influx,
  organize,
  tableLegend,
  tagVariable,
  thresholdColors,
  thresholds,
  valueMap,
} from './grafana.js';
import { from, fromSubqueries, showTagValues } from './influxql.js';
import type { Messages } from './messages.js';
import { pollerSilence, silenceLimits, siteSilence } from './queries.js';

const agents = () => from('agent_health').whereTagVar('site_id', 'site').whereTagVar('hostname', 'hostname');
const runs = () =>
  from('collector_run')
    .whereTagVar('site_id', 'site')
    .whereTagVar('hostname', 'hostname')
    .whereTagVar('collector', 'collector');
const servers = () => from('server_health').whereTagVar('instance', 'instance');
const polls = () => from('snmp_poll').whereTagVar('device', 'device');

export function healthDashboard(m: Messages, lang: string): dashboard.DashboardBuilder {
  const h = m.health;
  return new dashboard.DashboardBuilder(h.title)
    .uid(`hatang-health-${lang}`)
    .description(h.description)
    .tags(['hatang', 'health', lang])
    .time({ from: 'now-6h', to: 'now' })
    .refresh('1m')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .withVariable(tagVariable('site', m.vars.site, showTagValues('agent_health', 'site_id')))
    .withVariable(
      tagVariable(
        'hostname',
        m.vars.hostname,
        showTagValues('agent_health', 'hostname', { site_id: 'site' }),
      ),
    )
    .withVariable(tagVariable('collector', m.vars.collector, showTagValues('collector_run', 'collector')))
    .withVariable(tagVariable('instance', m.vars.instance, showTagValues('server_health', 'instance')))
    .withVariable(tagVariable('device', m.vars.device, showTagValues('snmp_poll', 'device')))
    .withRow(new dashboard.RowBuilder(h.rowAgents))
    .withPanel(
      new timeseries.PanelBuilder()
        .title(h.queue)
        .description(h.queueDesc)
        .withTarget(
          influx(
            agents()
              .select('max', 'queue_points', 'queue_points')
              .groupByTime()
              .groupBy('hostname')
              .fill('null'),
          ).alias('$tag_hostname'),
        )
        .unit('short')
        .min(0)
        .legend(tableLegend())
        .height(8)
        .span(12),
    )
    .withPanel(
      new table.PanelBuilder()
        .title(h.drops)
        .description(h.dropsDesc)
        .withTarget(
          influx(
            agents()
              .select('spread', 'dropped_points', 'dropped_points')
              .select('spread', 'rejected_points', 'rejected_points')
              .select('spread', 'send_errors', 'send_errors')
              .select('max', 'queue_points', 'max_queue_points')
              .select('max', 'rss_bytes', 'max_rss_bytes')
              .groupBy('agent_id', 'hostname', 'site_id'),
          ).format('table'),
        )
        .withTransformation(
          organize(
            {
              hostname: m.vars.hostname,
              site_id: m.vars.site,
              dropped_points: h.dropped,
              rejected_points: h.rejected,
              send_errors: h.sendErrors,
              max_queue_points: h.maxQueue,
              max_rss_bytes: h.memory,
            },
            ['Time', 'agent_id'],
          ),
        )
        .sortBy([new common.TableSortByFieldStateBuilder().displayName(h.dropped).desc(true)])
        .overrideByName(h.dropped, [
          { id: 'thresholds', value: thresholds([colors.ok, 0], [colors.bad, 1]).build() },
          { id: 'color', value: { mode: dashboard.FieldColorModeId.Thresholds } },
          { id: 'custom.cellOptions', value: { type: common.TableCellDisplayMode.ColorBackground } },
        ])
        .overrideByName(h.memory, [{ id: 'unit', value: 'bytes' }])
        .filterable(true)
        .height(8)
        .span(12),
    )
    .withRow(new dashboard.RowBuilder(h.rowServers))
    .withPanel(
      new timeseries.PanelBuilder()
        .title(h.spool)
        .description(h.spoolDesc)
        .withTarget(
          influx(
            servers()
              .select('max', 'spool_bytes', 'spool_bytes')
              .groupByTime()
              .groupBy('instance')
              .fill('null'),
          ).alias('$tag_instance'),
        )
        .unit('bytes')
        .min(0)
        .thresholds(thresholds([colors.ok, 0], [colors.warn, 1]))
        .legend(tableLegend())
        .height(8)
        .span(8),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title(h.writeErrors)
        .description(h.writeErrorsDesc)
        .withTarget(
          influx(
            servers()
              .selectExpr('write_errors', (f) => `non_negative_difference(max(${f('write_errors')}))`)
              .groupByTime()
              .groupBy('instance')
              .fill('null'),
          ).alias('$tag_instance'),
        )
        .unit('short')
        .min(0)
        .colorScheme(
          new dashboard.FieldColorBuilder().mode(dashboard.FieldColorModeId.Fixed).fixedColor(colors.bad),
        )
        .drawStyle(common.GraphDrawStyle.Bars)
        .legend(tableLegend())
        .height(8)
        .span(8),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title(h.accepted)
        .description(h.acceptedDesc)
        .withTarget(
          influx(
            servers()
              .selectExpr('accepted', (f) => `non_negative_derivative(max(${f('points_accepted')}), 1s)`)
              .selectExpr('rejected', (f) => `non_negative_derivative(max(${f('points_rejected')}), 1s)`)
              .groupByTime()
              .groupBy('instance')
              .fill('null'),
          ).alias('$tag_instance $col'),
        )
        .unit('short')
        .axisLabel(h.perSecond)
        .min(0)
        .legend(tableLegend())
        .height(8)
        .span(8),
    )
    .withRow(new dashboard.RowBuilder(h.rowCollectors))
    .withPanel(
      new timeseries.PanelBuilder()
        .title(h.runDuration)
        .description(h.runDurationDesc)
        .withTarget(
          influx(
            runs().select('mean', 'duration_ms', 'mean_ms').groupByTime().groupBy('collector').fill('null'),
            'A',
          ).alias('$tag_collector'),
        )
        .withTarget(
          influx(
            runs().select('max', 'duration_ms', 'max_ms').groupByTime().groupBy('collector').fill('null'),
            'B',
          ).alias('$tag_collector max'),
        )
        .unit('ms')
        .min(0)
        .overrideByRegexp('/ max$/', [{ id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } }])
        .legend(tableLegend())
        .height(8)
        .span(12),
    )
    .withPanel(
      new table.PanelBuilder()
        .title(h.failures)
        .description(h.failuresDesc)
        .withTarget(
          influx(
            runs()
              .select('count', 'success', 'failures')
              .select('last', 'error', 'last_error')
              .whereField('success', '=', false)
              .groupBy('hostname', 'site_id', 'collector'),
          ).format('table'),
        )
        .withTransformation(
          organize(
            {
              hostname: m.vars.hostname,
              site_id: m.vars.site,
              collector: m.vars.collector,
              failures: h.failureCount,
              last_error: h.lastError,
            },
            ['Time'],
          ),
        )
        .sortBy([new common.TableSortByFieldStateBuilder().displayName(h.failureCount).desc(true)])
        .thresholds(thresholds([colors.ok, 0], [colors.bad, 1]))
        .colorScheme(thresholdColors())
        .filterable(true)
        .height(8)
        .span(12),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title(h.pollDuration)
        .description(h.pollDurationDesc)
        .withTarget(
          influx(
            polls().select('max', 'duration_ms', 'duration_ms').groupByTime().groupBy('device').fill('null'),
          ).alias('$tag_device'),
        )
        .unit('ms')
        .min(0)
        .legend(tableLegend())
        .height(8)
        .span(12),
    )
    .withPanel(
      new table.PanelBuilder()
        .title(h.slowest)
        .description(h.slowestDesc)
        .withTarget(
          influx(
            fromSubqueries(polls().select('max', 'duration_ms', 'slowest_ms').groupBy('device')).selectTop(
              'slowest_ms',
              ['device'],
              5,
              'slowest_ms',
            ),
            'A',
          ).format('table'),
        )
        .withTarget(
          influx(
            polls()
              .select('mean', 'duration_ms', 'mean_ms')
              .select('count', 'success', 'polls')
              .groupBy('device'),
            'B',
          ).format('table'),
        )
        .withTarget(
          influx(
            polls()
              .select('count', 'success', 'failed_polls')
              .whereField('success', '=', false)
              .groupBy('device'),
            'C',
          ).format('table'),
        )
        .withTransformation({ id: 'joinByField', options: { byField: 'device', mode: 'outer' } })
        .withTransformation(
          organize(
            {
              device: m.vars.device,
              slowest_ms: h.slowestPoll,
              mean_ms: h.meanPoll,
              polls: h.polls,
              failed_polls: h.failedPolls,
            },
            ['Time 1', 'Time 2', 'Time 3'],
          ),
        )
        .overrideByName(h.slowestPoll, [{ id: 'unit', value: 'ms' }])
        .overrideByName(h.meanPoll, [{ id: 'unit', value: 'ms' }])
        .sortBy([new common.TableSortByFieldStateBuilder().displayName(h.slowestPoll).desc(true)])
        .height(8)
        .span(12),
    )
    .withRow(new dashboard.RowBuilder(h.rowSilence))
    .withPanel(
      silencePanel(m, h.pollers, h.pollersDesc, influx(pollerSilence(silenceLimits.pollerWindow)), true),
    )
    .withPanel(silencePanel(m, h.sites, h.sitesDesc, influx(siteSilence(silenceLimits.siteWindow)), false));
}

/**
 * Pollers or sites and whether they went quiet: the queries of the silence alert rules, so the
 * dashboard shows what the rules see, the quiet ones first.
 */
function silencePanel(
  m: Messages,
  title: string,
  description: string,
  target: InfluxQLTarget,
  poller: boolean,
): table.PanelBuilder {
  const h = m.health;
  return new table.PanelBuilder()
    .title(title)
    .description(description)
    .withTarget(target.format('table'))
    .withTransformation(
      organize(
        poller
          ? { hostname: m.vars.hostname, agent_id: h.agent, site_id: m.vars.site, silent: h.silentState }
          : { site_id: m.vars.site, silent: h.silentState },
        ['Time'],
      ),
    )
    .overrideByName(h.silentState, [
      {
        id: 'mappings',
        value: [
          valueMap({ '0': { text: h.heard, color: colors.ok }, '1': { text: h.quiet, color: colors.bad } }),
        ],
      },
      { id: 'custom.cellOptions', value: { type: common.TableCellDisplayMode.ColorBackground } },
    ])
    .sortBy([new common.TableSortByFieldStateBuilder().displayName(h.silentState).desc(true)])
    .height(8)
    .span(12);
}
