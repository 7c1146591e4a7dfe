import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as text from '@grafana/grafana-foundation-sdk/text';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { ashraeA1 } from '../lib/ashrae.js';
import {
  colors,
  enumColumn,
  influx,
  lastNotNull,
  organize,
  renameEnum,
  tableLegend,
  tagVariable,
  thresholdColors,
  thresholds,
  valueMap,
} from './grafana.js';
import { from, fromSubqueries, showTagValues } from './influxql.js';
import type { Messages } from './messages.js';

const readiness = () => from('dc_readiness').whereTagVar('dc_site', 'dc_site');
const criteria = () => from('dc_criterion').whereTagVar('dc_site', 'dc_site');
const inlets = () => from('environment').whereTagVar('site_id', 'site');

const { recommended: rec } = ashraeA1;

/**
 * Readings inside the ASHRAE A1 recommended band count 1, outside 0: `100 * mean` is the share of
 * readings in band, the dashboard's time-in-band KPI (numerator and denominator are the readings).
 */
function inBandShare() {
  const inBand = (f: (n: 'temperature_c' | 'dew_point_c' | 'humidity_percent') => string) =>
    `${f('temperature_c')} >= ${rec.tempMin} AND ${f('temperature_c')} <= ${rec.tempMax} AND ${f('dew_point_c')} >= ${rec.dewMin} AND ${f('dew_point_c')} <= ${rec.dewMax} AND ${f('humidity_percent')} <= ${rec.rhMax}`;
  const outOfBand = (f: (n: 'temperature_c' | 'dew_point_c' | 'humidity_percent') => string) =>
    `${f('temperature_c')} < ${rec.tempMin} OR ${f('temperature_c')} > ${rec.tempMax} OR ${f('dew_point_c')} < ${rec.dewMin} OR ${f('dew_point_c')} > ${rec.dewMax} OR ${f('humidity_percent')} > ${rec.rhMax}`;
  return fromSubqueries(
    inlets()
      .selectExpr('b', (f) => `${f('temperature_c')} * 0 + 1`)
      .whereExpr(inBand)
      .groupBy('*'),
    inlets()
      .selectExpr('b', (f) => `${f('temperature_c')} * 0`)
      .whereExpr(outOfBand)
      .groupBy('*'),
  )
    .selectExpr('in_band_percent', (f) => `100 * mean(${f('b')})`)
    .select('count', 'b', 'readings')
    .groupBy('device', 'sensor');
}

const ratingMaps = () => [
  valueMap({ '0': { text: `< Rated-1`, color: colors.bad } }),
  valueMap({ '1': { text: 'Rated-1', color: colors.warn } }),
  valueMap({ '2': { text: 'Rated-2', color: colors.info } }),
  valueMap({ '3': { text: 'Rated-3', color: colors.ok } }),
  valueMap({ '4': { text: 'Rated-4', color: colors.ok } }),
];

const statusMap = (r: Messages['readiness']) =>
  valueMap({
    pass: { text: r.pass, color: colors.ok },
    fail: { text: r.fail, color: colors.bad },
    unknown: { text: r.unknown, color: colors.warn },
    na: { text: r.na, color: colors.unknown },
  });

const statusCell = (r: Messages['readiness']) => [
  { id: 'mappings', value: [statusMap(r)] },
  { id: 'custom.cellOptions', value: { type: common.TableCellDisplayMode.ColorBackground } },
];

/** The "TIA-942 readiness" dashboard: ratings, criteria per level with evidence and source, the blocking list, live evidence. */
export function readinessDashboard(m: Messages, lang: string): dashboard.DashboardBuilder {
  const r = m.readiness;
  return new dashboard.DashboardBuilder(r.title)
    .uid(`hatang-readiness-${lang}`)
    .description(r.description)
    .tags(['hatang', 'tia-942', 'readiness', lang])
    .time({ from: 'now-30d', to: 'now' })
    .refresh('5m')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .withVariable(tagVariable('dc_site', r.dcSite, showTagValues('dc_readiness', 'dc_site')))
    .withVariable(tagVariable('site', m.vars.site, showTagValues('environment', 'site_id')))
    .withPanel(
      new text.PanelBuilder()
        .title(r.disclaimer)
        .mode(text.TextMode.Markdown)
        .content(r.disclaimerText)
        .transparent(true)
        .height(3)
        .span(24),
    )
    .withRow(new dashboard.RowBuilder(r.rowRating))
    .withPanel(
      new stat.PanelBuilder()
        .title(r.overall)
        .description(r.overallDesc)
        .withTarget(
          influx(
            readiness()
              .whereTag('subsystem', 'overall')
              .select('last', 'rating', 'rating')
              .select('last', 'target_rating', 'target')
              .groupBy('dc_site'),
          ),
        )
        .reduceOptions(lastNotNull())
        .textMode(common.BigValueTextMode.ValueAndName)
        .graphMode(common.BigValueGraphMode.None)
        .colorMode(common.BigValueColorMode.Background)
        .mappings(ratingMaps())
        .thresholds(thresholds([colors.bad, 0], [colors.warn, 1], [colors.ok, 3]))
        .colorScheme(thresholdColors())
        .overrideByName('rating', [{ id: 'displayName', value: `$\{__field.labels.dc_site} ${r.rating}` }])
        .overrideByName('target', [{ id: 'displayName', value: `$\{__field.labels.dc_site} ${r.target}` }])
        .height(6)
        .span(8),
    )
    .withPanel(
      new bargauge.PanelBuilder()
        .title(r.subsystems)
        .description(r.subsystemsDesc)
        .withTarget(
          influx(
            readiness()
              .whereTag('subsystem', 'overall', '!=')
              .select('last', 'rating', 'rating')
              .groupBy('dc_site', 'subsystem'),
          ).alias('$tag_dc_site $tag_subsystem'),
        )
        .transformations(renameEnum(m, 'dc_readiness.subsystem'))
        .reduceOptions(lastNotNull())
        .displayMode(common.BarGaugeDisplayMode.Basic)
        .orientation(common.VizOrientation.Horizontal)
        .min(0)
        .max(4)
        .decimals(0)
        .mappings(ratingMaps())
        .thresholds(thresholds([colors.bad, 0], [colors.warn, 1], [colors.ok, 3]))
        .colorScheme(thresholdColors())
        .height(6)
        .span(8),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title(r.history)
        .description(r.historyDesc)
        .withTarget(
          influx(
            readiness()
              .select('min', 'rating', 'rating')
              .groupByTime()
              .groupBy('dc_site', 'subsystem')
              .fill('none'),
          ).alias('$tag_dc_site $tag_subsystem'),
        )
        .transformations(renameEnum(m, 'dc_readiness.subsystem'))
        .lineInterpolation(common.LineInterpolation.StepAfter)
        .min(0)
        .max(4)
        .decimals(0)
        .legend(tableLegend())
        .height(6)
        .span(8),
    )
    .withRow(new dashboard.RowBuilder(r.rowCriteria))
    .withPanel(
      new table.PanelBuilder()
        .title(r.criteria)
        .description(r.criteriaDesc)
        .withTarget(
          influx(
            criteria()
              .select('last', 'status_r1', 'r1')
              .select('last', 'status_r2', 'r2')
              .select('last', 'status_r3', 'r3')
              .select('last', 'status_r4', 'r4')
              .select('last', 'status', 'status')
              .select('last', 'requirement', 'requirement')
              .select('last', 'evidence', 'evidence')
              .select('last', 'source', 'source')
              .select('last', 'unverified', 'unverified')
              .select('last', 'decided_by', 'decided_by')
              .groupBy('dc_site', 'subsystem', 'criterion'),
          ).format('table'),
        )
        .withTransformation(
          organize(
            {
              criterion: r.criterion,
              subsystem: r.subsystem,
              r1: 'R1',
              r2: 'R2',
              r3: 'R3',
              r4: 'R4',
              status: r.status,
              requirement: 'R1 | R2 | R3 | R4',
              evidence: r.evidence,
              source: r.source,
              unverified: r.unverified,
              decided_by: r.decidedBy,
            },
            ['Time'],
          ),
        )
        .overrideByName('R1', statusCell(r))
        .overrideByName('R2', statusCell(r))
        .overrideByName('R3', statusCell(r))
        .overrideByName('R4', statusCell(r))
        .overrideByName(r.status, statusCell(r))
        .overrideByName(r.subsystem, enumColumn(m, 'dc_criterion.subsystem'))
        .overrideByName(r.decidedBy, enumColumn(m, 'dc_criterion.decided_by'))
        .overrideByName(r.unverified, [
          {
            id: 'mappings',
            value: [
              valueMap({
                true: { text: r.unverifiedBadge, color: colors.warn },
                false: { text: r.verified, color: colors.unknown },
              }),
            ],
          },
          { id: 'custom.cellOptions', value: { type: common.TableCellDisplayMode.ColorText } },
        ])
        .filterable(true)
        .height(14)
        .span(24),
    )
    .withPanel(
      new table.PanelBuilder()
        .title(r.blocking)
        .description(r.blockingDesc)
        .withTarget(
          influx(
            fromSubqueries(
              criteria()
                .select('last', 'status', 'status')
                .select('last', 'reason', 'reason')
                .select('last', 'fix', 'fix')
                .select('last', 'contradiction', 'contradiction')
                .select('last', 'source', 'source')
                .groupBy('dc_site', 'subsystem', 'criterion'),
            )
              .selectField('status', 'status')
              .selectField('reason', 'reason')
              .selectField('fix', 'fix')
              .selectField('contradiction', 'contradiction')
              .selectField('source', 'source')
              .whereExpr(() => `"status" = 'fail' OR "status" = 'unknown'`)
              .groupBy('dc_site', 'subsystem', 'criterion'),
          ).format('table'),
        )
        .withTransformation(
          organize(
            {
              criterion: r.criterion,
              subsystem: r.subsystem,
              status: r.status,
              reason: r.reason,
              fix: r.fix,
              contradiction: r.contradiction,
              source: r.source,
            },
            ['Time'],
          ),
        )
        .overrideByName(r.status, statusCell(r))
        .height(10)
        .span(24),
    )
    .withRow(new dashboard.RowBuilder(r.rowEvidence))
    .withPanel(
      new timeseries.PanelBuilder()
        .title(r.upsLoad)
        .description(r.upsLoadDesc)
        .withTarget(
          influx(
            readiness()
              .whereTag('subsystem', 'electrical')
              .select('mean', 'ups_load_kw', 'load')
              .select('max', 'ups_n1_capacity_kw', 'n1_capacity')
              .select('max', 'ups_available_kw', 'available')
              .groupByTime()
              .groupBy('dc_site')
              .fill('null'),
          ),
        )
        .overrideByName('load', [{ id: 'displayName', value: `$\{__field.labels.dc_site} ${r.load}` }])
        .overrideByName('n1_capacity', [
          { id: 'displayName', value: `$\{__field.labels.dc_site} ${r.n1Capacity}` },
          { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
          { id: 'color', value: { mode: 'fixed', fixedColor: colors.bad } },
        ])
        .overrideByName('available', [
          { id: 'displayName', value: `$\{__field.labels.dc_site} ${r.available}` },
          { id: 'color', value: { mode: 'fixed', fixedColor: colors.unknown } },
        ])
        .unit('kwatt')
        .min(0)
        .legend(tableLegend())
        .height(8)
        .span(12),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title(r.inletTemp)
        .description(r.inletTempDesc)
        .withTarget(
          influx(
            inlets()
              .select('mean', 'temperature_c', 'temperature_c')
              .groupByTime()
              .groupBy('device', 'sensor')
              .fill('null'),
          ).alias('$tag_device $tag_sensor'),
        )
        .unit('celsius')
        .thresholds(
          thresholds(
            [colors.info, 0],
            [colors.warn, ashraeA1.allowable.tempMin],
            [colors.ok, rec.tempMin],
            [colors.warn, rec.tempMax],
            [colors.bad, ashraeA1.allowable.tempMax],
          ),
        )
        .thresholdsStyle(
          new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.LineAndArea),
        )
        .legend(tableLegend())
        .height(8)
        .span(12),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title(r.inletHumidity)
        .description(r.inletHumidityDesc)
        .withTarget(
          influx(
            inlets()
              .select('mean', 'humidity_percent', 'humidity_percent')
              .groupByTime()
              .groupBy('device', 'sensor')
              .fill('null'),
          ).alias('$tag_device $tag_sensor'),
        )
        .unit('humidity')
        .min(0)
        .max(100)
        .thresholds(
          thresholds(
            [colors.bad, 0],
            [colors.ok, ashraeA1.allowable.rhMin],
            [colors.warn, rec.rhMax],
            [colors.bad, ashraeA1.allowable.rhMax],
          ),
        )
        .thresholdsStyle(
          new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.LineAndArea),
        )
        .legend(tableLegend())
        .height(8)
        .span(8),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title(r.dewPoint)
        .description(r.dewPointDesc)
        .withTarget(
          influx(
            inlets()
              .select('mean', 'dew_point_c', 'dew_point_c')
              .groupByTime()
              .groupBy('device', 'sensor')
              .fill('null'),
          ).alias('$tag_device $tag_sensor'),
        )
        .unit('celsius')
        .thresholds(
          thresholds(
            [colors.bad, 0],
            [colors.warn, ashraeA1.allowable.dewMin],
            [colors.ok, rec.dewMin],
            [colors.warn, rec.dewMax],
            [colors.bad, ashraeA1.allowable.dewMax],
          ),
        )
        .thresholdsStyle(
          new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.LineAndArea),
        )
        .legend(tableLegend())
        .height(8)
        .span(8),
    )
    .withPanel(
      new table.PanelBuilder()
        .title(r.timeInBand)
        .description(r.timeInBandDesc)
        .withTarget(influx(inBandShare()).format('table'))
        .withTransformation(organize({ in_band_percent: r.timeInBand, readings: 'n' }, ['Time']))
        .overrideByName(r.timeInBand, [
          { id: 'unit', value: 'percent' },
          { id: 'decimals', value: 1 },
          {
            id: 'thresholds',
            value: thresholds([colors.bad, 0], [colors.warn, 90], [colors.ok, 99]).build(),
          },
          { id: 'color', value: { mode: dashboard.FieldColorModeId.Thresholds } },
          { id: 'custom.cellOptions', value: { type: common.TableCellDisplayMode.ColorBackground } },
        ])
        .height(8)
        .span(4),
    )
    .withPanel(
      new table.PanelBuilder()
        .title(r.timeInBand30d)
        .description(r.timeInBand30dDesc)
        .timeFrom('30d')
        .withTarget(influx(inBandShare()).format('table'))
        .withTransformation(organize({ in_band_percent: r.timeInBand, readings: 'n' }, ['Time']))
        .overrideByName(r.timeInBand, [
          { id: 'unit', value: 'percent' },
          { id: 'decimals', value: 1 },
        ])
        .height(8)
        .span(24),
    );
}
