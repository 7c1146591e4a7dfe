import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import {
  colors,
  enumColumn,
  influx,
  merge,
  organize,
  renameEnum,
  tagVariable,
  thresholdColors,
  thresholds,
} from './grafana.js';
import { from, showTagValues } from './influxql.js';
import type { Messages } from './messages.js';
import { upAsNumber } from './queries.js';

/**
 * Recorded ping cycles and cycles up per level per day. Summed per month by Grafana (InfluxQL has
 * no calendar months), so a month's availability is the share of its cycles up, not a mean of days.
 */
export function dailyCycles() {
  return upAsNumber(false, 'none')
    .whereTagVar('level', 'level')
    .select('sum', 'u', 'up_cycles')
    .select('count', 'u', 'cycles')
    .groupByTime('1d')
    .groupBy('level')
    .fill('none');
}

/** The target each level is held to, as the poller wrote it on the day's points (registry `sla_targets`). */
export function dailyTargets() {
  return from('ping')
    .whereTagVar('level', 'level')
    .select('last', 'sla_target_percent', 'target_percent')
    .groupByTime('1d')
    .groupBy('level')
    .fill('none');
}

/** Availability per level per day, %, for the chart beside its target lines. */
export function dailyAvailability() {
  return upAsNumber(false, 'none')
    .whereTagVar('level', 'level')
    .selectExpr('availability_percent', (f) => `100 * mean(${f('u')})`)
    .groupByTime('1d')
    .groupBy('level')
    .fill('none');
}

/**
 * Monthly SLA: month by month, each level's availability (share of its recorded ping cycles with a
 * reply) against the target the registry sets for the level. Default range: the last 12 months.
 */
export function slaDashboard(m: Messages, lang: string): dashboard.DashboardBuilder {
  const s = m.sla;
  const sum = (field: string) => `${field} (sum)`;
  return new dashboard.DashboardBuilder(s.title)
    .uid(`hatang-sla-${lang}`)
    .description(s.description)
    .tags(['hatang', 'wan', 'sla', lang])
    .time({ from: 'now-12M/M', to: 'now' })
    .refresh('1h')
    .withVariable(tagVariable('level', m.vars.level, showTagValues('ping', 'level')))
    .withPanel(
      new table.PanelBuilder()
        .title(s.monthly)
        .description(s.monthlyDesc)
        .withTarget(influx(dailyCycles(), 'A').format('table'))
        .withTarget(influx(dailyTargets(), 'B').format('table'))
        .withTransformation(merge)
        // Days → months in the dashboard's time zone, then sums per month and level.
        .withTransformation({
          id: 'formatTime',
          options: { timeField: 'Time', outputFormat: 'YYYY-MM', useTimezone: true },
        })
        .withTransformation({
          id: 'groupBy',
          options: {
            fields: {
              Time: { operation: 'groupby', aggregations: [] },
              level: { operation: 'groupby', aggregations: [] },
              up_cycles: { operation: 'aggregate', aggregations: ['sum'] },
              cycles: { operation: 'aggregate', aggregations: ['sum'] },
              target_percent: { operation: 'aggregate', aggregations: ['lastNotNull'] },
            },
          },
        })
        .withTransformation({
          id: 'calculateField',
          options: {
            mode: 'binary',
            binary: { left: sum('up_cycles'), operator: '/', right: sum('cycles') },
            alias: 'availability_ratio',
          },
        })
        .withTransformation({
          id: 'calculateField',
          options: {
            mode: 'binary',
            binary: { left: 'availability_ratio', operator: '*', right: '100' },
            alias: 'availability_percent',
          },
        })
        .withTransformation({
          id: 'calculateField',
          options: {
            mode: 'binary',
            binary: { left: 'availability_percent', operator: '-', right: 'target_percent (lastNotNull)' },
            alias: 'margin',
          },
        })
        .withTransformation(
          organize(
            {
              Time: s.month,
              level: m.vars.level,
              availability_percent: s.availability,
              'target_percent (lastNotNull)': s.target,
              margin: s.margin,
              [sum('cycles')]: s.cycles,
            },
            [sum('up_cycles'), 'availability_ratio'],
          ),
        )
        .sortBy([new common.TableSortByFieldStateBuilder().displayName(s.month).desc(true)])
        .overrideByName(m.vars.level, enumColumn(m, 'ping.level'))
        .overrideByName(s.availability, [
          { id: 'unit', value: 'percent' },
          { id: 'decimals', value: 3 },
        ])
        .overrideByName(s.target, [{ id: 'unit', value: 'percent' }])
        .overrideByName(s.margin, [
          { id: 'unit', value: 'percent' },
          { id: 'decimals', value: 3 },
          // Below zero: the month missed its level's target.
          { id: 'thresholds', value: thresholds([colors.bad, 0], [colors.ok, 0]).build() },
          { id: 'color', value: { mode: dashboard.FieldColorModeId.Thresholds } },
          { id: 'custom.cellOptions', value: { type: common.TableCellDisplayMode.ColorBackground } },
        ])
        .filterable(true)
        .height(12)
        .span(24),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title(s.daily)
        .description(s.dailyDesc)
        .withTarget(influx(dailyAvailability(), 'A').alias('$tag_level'))
        .withTarget(influx(dailyTargets(), 'B').alias(`$tag_level ${s.targetSuffix}`))
        .transformations(renameEnum(m, 'ping.level'))
        .unit('percent')
        .decimals(2)
        .max(100)
        .thresholds(thresholds([colors.bad, 0], [colors.ok, 99]))
        .colorScheme(thresholdColors())
        .overrideByRegexp(`/${s.targetSuffix}$/`, [
          { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
          { id: 'custom.lineWidth', value: 2 },
        ])
        .height(10)
        .span(24),
    );
}
