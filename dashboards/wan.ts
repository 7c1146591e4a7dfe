import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as geomap from '@grafana/grafana-foundation-sdk/geomap';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import {
  asLinks,
  colors,
  dashboardLink,
  enumColumn,
  influx,
  lastNotNull,
  merge,
  organize,
  rangeMap,
  renameEnum,
  tableLegend,
  tagVariable,
  thresholdColors,
  thresholds,
} from './grafana.js';
import { from, fromSubqueries, showTagValues } from './influxql.js';
import type { Messages } from './messages.js';
import { endpointTags, latestStatus, pingStatus, statusCode, upAsNumber, wanFilters } from './queries.js';

/** An endpoint's last 7 days: this dashboard with its endpoint variable set to the clicked one. */
function history(m: Messages, lang: string, endpoint: string) {
  return dashboardLink(m.links.endpointHistory, `hatang-wan-${lang}`, { endpoint }, 'from=now-7d&to=now');
}

/** The status mapping shared by the grid, the timeline and the map. */
function statusMappings(m: Messages): dashboard.ValueMapping[] {
  return [
    rangeMap(0, statusCode.degradedFrom - 0.001, m.status.up, colors.ok),
    rangeMap(statusCode.degradedFrom, statusCode.down - 0.001, m.status.degraded, colors.warn),
    rangeMap(statusCode.down, statusCode.down, m.status.down, colors.bad),
    rangeMap(statusCode.parentDownFrom, null, m.status.parentDown, colors.parent),
  ];
}

const statusThresholds = () =>
  thresholds(
    [colors.ok, 0],
    [colors.warn, statusCode.degradedFrom],
    [colors.bad, statusCode.down],
    [colors.parent, statusCode.parentDownFrom],
  );

const availabilityThresholds = () => thresholds([colors.bad, 0], [colors.warn, 95], [colors.ok, 99]);

/** Endpoints per status (columns up, degraded, down, parent_down), counted over each endpoint's latest status. */
function countByStatus(by: 'level' | 'former_district') {
  const latest = fromSubqueries(latestStatus());
  const { degradedFrom, down, parentDownFrom } = statusCode;
  return [
    influx(
      latest
        .select('count', 'status', 'up')
        .whereExpr((f) => `${f('status')} < ${degradedFrom}`)
        .groupBy(by),
      'A',
    ),
    influx(
      latest
        .select('count', 'status', 'degraded')
        .whereExpr((f) => `${f('status')} >= ${degradedFrom} AND ${f('status')} < ${down}`)
        .groupBy(by),
      'B',
    ),
    influx(
      latest
        .select('count', 'status', 'down')
        .whereExpr((f) => `${f('status')} = ${down}`)
        .groupBy(by),
      'C',
    ),
    influx(
      latest
        .select('count', 'status', 'parent_down')
        .whereExpr((f) => `${f('status')} >= ${parentDownFrom}`)
        .groupBy(by),
      'D',
    ),
  ].map((t) => t.format('table'));
}

function statusColumns(m: Messages): Record<string, string> {
  return {
    up: m.status.up,
    degraded: m.status.degraded,
    down: m.status.down,
    parent_down: m.status.parentDown,
  };
}

/**
 * The WAN dashboard. Everything it shows comes from the ping points: endpoints, their office names,
 * levels, grouping tags and coordinates travel on every point (the poller takes them from the
 * registry at each cycle), so an edited registry shows without rebuilding the dashboard.
 */
export function wanDashboard(m: Messages, lang: string): dashboard.DashboardBuilder {
  const w = m.wan;
  const latest = latestStatus();

  return new dashboard.DashboardBuilder(w.title)
    .uid(`hatang-wan-${lang}`)
    .description(w.description)
    .tags(['hatang', 'wan', lang])
    .time({ from: 'now-6h', to: 'now' })
    .refresh('1m')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .withVariable(tagVariable('level', m.vars.level, showTagValues('ping', 'level')))
    .withVariable(
      tagVariable(
        'former_district',
        m.vars.formerDistrict,
        showTagValues('ping', 'former_district', { level: 'level' }),
      ),
    )
    .withVariable(
      tagVariable(
        'carrier',
        m.vars.carrier,
        showTagValues('ping', 'carrier', { level: 'level', former_district: 'former_district' }),
      ),
    )
    .withVariable(
      tagVariable(
        'endpoint',
        m.vars.endpoint,
        showTagValues('ping', 'target_id', {
          level: 'level',
          former_district: 'former_district',
          carrier: 'carrier',
        }),
      ),
    )
    .withRow(new dashboard.RowBuilder(w.rowNow))
    .withPanel(
      new stat.PanelBuilder()
        .title(w.statusGrid)
        .description(w.statusGridDesc)
        .withTarget(influx(latest).alias('$tag_name'))
        .reduceOptions(lastNotNull())
        .textMode(common.BigValueTextMode.ValueAndName)
        .colorMode(common.BigValueColorMode.Background)
        .graphMode(common.BigValueGraphMode.None)
        .justifyMode(common.BigValueJustifyMode.Center)
        .mappings(statusMappings(m))
        .thresholds(statusThresholds())
        .colorScheme(thresholdColors())
        .dataLinks(asLinks(history(m, lang, '${__field.labels.target_id:percentencode}')))
        .height(12)
        .span(16),
    )
    .withPanel(endpointMap(m, 'offline').height(12).span(8))
    .withPanel(
      new table.PanelBuilder()
        .title(w.byLevel)
        .description(w.byLevelDesc)
        .targets(countByStatus('level'))
        .withTransformation(merge)
        .withTransformation(organize({ level: m.vars.level, ...statusColumns(m) }, ['Time']))
        .overrideByName(m.vars.level, enumColumn(m, 'ping.level'))
        .height(7)
        .span(8),
    )
    .withPanel(
      new table.PanelBuilder()
        .title(w.byDistrict)
        .description(w.byDistrictDesc)
        .targets(countByStatus('former_district'))
        .withTransformation(merge)
        .withTransformation(
          organize({ former_district: m.vars.formerDistrict, ...statusColumns(m) }, ['Time']),
        )
        .height(7)
        .span(16),
    )
    .withRow(new dashboard.RowBuilder(w.rowHistory))
    .withPanel(
      new statetimeline.PanelBuilder()
        .title(w.timeline)
        .description(w.timelineDesc)
        .withTarget(
          influx(
            pingStatus()
              .select('max', 'status', 'status')
              .groupByTime()
              .groupBy('target_id', 'name')
              .fill('none'),
          ).alias('$tag_name'),
        )
        .mappings(statusMappings(m))
        .thresholds(statusThresholds())
        .colorScheme(thresholdColors())
        .showValue(common.VisibilityMode.Never)
        .mergeValues(true)
        .rowHeight(0.9)
        .perPage(40)
        .height(14)
        .span(24),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title(w.loss)
        .description(w.lossDesc)
        .withTarget(
          influx(
            wanFilters(from('ping'))
              .select('mean', 'loss_percent', 'loss_percent')
              .groupByTime()
              .groupBy('target_id', 'name')
              .fill('null'),
          ).alias('$tag_name'),
        )
        .unit('percent')
        .min(0)
        .max(100)
        .thresholds(thresholds([colors.ok, 0], [colors.warn, statusCode.degradedFrom], [colors.bad, 50]))
        .thresholdsStyle(
          new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed),
        )
        .legend(tableLegend())
        .height(9)
        .span(8),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title(w.rtt)
        .description(w.rttDesc)
        .withTarget(
          influx(
            wanFilters(from('ping'))
              .select('mean', 'rtt_avg_ms', 'rtt_avg_ms')
              .groupByTime()
              .groupBy('target_id', 'name')
              .fill('null'),
          ).alias('$tag_name'),
        )
        .unit('ms')
        .min(0)
        .legend(tableLegend())
        .height(9)
        .span(8),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title(w.jitter)
        .description(w.jitterDesc)
        .withTarget(
          influx(
            wanFilters(from('ping'))
              .select('mean', 'jitter_ms', 'jitter_ms')
              .groupByTime()
              .groupBy('target_id', 'name')
              .fill('null'),
          ).alias('$tag_name'),
        )
        .unit('ms')
        .min(0)
        .legend(tableLegend())
        .height(9)
        .span(8),
    )
    .withRow(new dashboard.RowBuilder(w.rowAvailability))
    .withPanel(
      new table.PanelBuilder()
        .title(w.availabilityEndpoint)
        .description(w.availabilityEndpointDesc)
        .withTarget(
          influx(
            upAsNumber()
              .selectExpr('availability_percent', (f) => `100 * mean(${f('u')})`)
              .groupBy(...endpointTags),
            'A',
          ).format('table'),
        )
        .withTarget(
          influx(
            upAsNumber(true)
              .selectExpr('own_availability_percent', (f) => `100 * mean(${f('u')})`)
              .groupBy(...endpointTags),
            'B',
          ).format('table'),
        )
        .withTarget(
          influx(
            // Each point stands for its cycle (interval_s): the share of the range that was measured.
            wanFilters(from('ping'))
              .selectExpr('coverage_percent', (f) => `100 * sum(${f('interval_s')}) / $__range_s`)
              .groupBy(...endpointTags),
            'C',
          ).format('table'),
        )
        .withTransformation(merge)
        .withTransformation(
          organize(
            {
              name: w.office,
              target_id: m.vars.endpoint,
              level: m.vars.level,
              former_district: m.vars.formerDistrict,
              carrier: m.vars.carrier,
              availability_percent: w.availability,
              own_availability_percent: w.ownAvailability,
              coverage_percent: w.coverage,
            },
            ['Time'],
          ),
        )
        .sortBy([new common.TableSortByFieldStateBuilder().displayName(w.availability).desc(false)])
        .overrideByName(m.vars.level, enumColumn(m, 'ping.level'))
        .unit('percent')
        .decimals(2)
        .thresholds(availabilityThresholds())
        .colorScheme(thresholdColors())
        .cellOptions({ type: common.TableCellDisplayMode.ColorText })
        .filterable(true)
        .height(12)
        .span(12),
    )
    .withPanel(availabilityBars(w.availabilityDistrict, w.availabilityDistrictDesc, 'former_district'))
    .withPanel(
      availabilityBars(w.availabilityLevel, w.availabilityLevelDesc, 'level').transformations(
        renameEnum(m, 'ping.level'),
      ),
    )
    .withPanel(availabilityBars(w.availabilityCarrier, w.availabilityCarrierDesc, 'carrier'))
    .withPanel(
      new table.PanelBuilder()
        .title(w.outages)
        .description(w.outagesDesc)
        .withTarget(
          influx(
            wanFilters(from('ping'))
              .select('first', 'cause', 'first_cause')
              .whereField('up', '=', false)
              .groupBy('target_id', 'name', 'level', 'former_district'),
            'A',
          ).format('table'),
        )
        .withTarget(
          influx(
            wanFilters(from('ping'))
              .select('last', 'cause', 'cause')
              .whereField('up', '=', false)
              .groupBy('target_id'),
            'B',
          ).format('table'),
        )
        .withTarget(
          influx(
            wanFilters(from('ping'))
              .select('last', 'parent_id', 'parent_id')
              .select('count', 'up', 'down_cycles')
              .whereField('up', '=', false)
              .groupBy('target_id'),
            'C',
          ).format('table'),
        )
        .withTarget(
          influx(pingStatus().select('last', 'status', 'status').groupBy('target_id'), 'D').format('table'),
        )
        .withTransformation({ id: 'joinByField', options: { byField: 'target_id', mode: 'inner' } })
        .withTransformation(
          organize(
            {
              name: w.office,
              target_id: m.vars.endpoint,
              level: m.vars.level,
              former_district: m.vars.formerDistrict,
              'Time 1': w.firstDown,
              'Time 2': w.lastDown,
              cause: w.cause,
              parent_id: w.parent,
              down_cycles: w.downCycles,
              status: w.now,
            },
            ['Time 3', 'Time 4', 'first_cause'],
          ),
        )
        .sortBy([new common.TableSortByFieldStateBuilder().displayName(w.lastDown).desc(true)])
        .overrideByName(m.vars.level, enumColumn(m, 'ping.level'))
        .overrideByName(w.now, [
          { id: 'mappings', value: statusMappings(m) },
          { id: 'custom.cellOptions', value: { type: common.TableCellDisplayMode.ColorBackground } },
          { id: 'color', value: { mode: dashboard.FieldColorModeId.Thresholds } },
          { id: 'thresholds', value: statusThresholds().build() },
        ])
        .overrideByName(w.cause, [
          {
            id: 'mappings',
            value: [
              {
                type: dashboard.MappingType.ValueToText,
                options: {
                  down: { text: m.status.down, color: colors.bad, index: 0 },
                  parent_down: { text: m.status.parentDown, color: colors.parent, index: 1 },
                },
              },
            ],
          },
          { id: 'custom.cellOptions', value: { type: common.TableCellDisplayMode.ColorText } },
        ])
        .filterable(true)
        .height(8)
        .span(12),
    )
    .withRow(
      new dashboard.RowBuilder(w.rowOnlineMap)
        .collapsed(true)
        .withPanel(endpointMap(m, 'online').height(14).span(24)),
    );
}

/**
 * Grafana's own world map (`public/maps/countries.geojson`, served by every Grafana): a plain
 * background that needs no internet. Loaded as the basemap (Grafana takes any layer type there), so
 * no tile server is contacted; an operator's browser on a closed network still sees the province.
 */
export const offlineBasemap = {
  type: 'geojson',
  name: 'Offline background',
  config: {
    src: 'public/maps/countries.geojson',
    rules: [],
    style: { color: { fixed: 'transparent' }, opacity: 0.4, lineWidth: 1 },
  },
} as const;

/**
 * The endpoints at the coordinates their latest points carry, joined to their latest status by
 * `target_id`. `offline` (the default, in the "Now" row) draws them on Grafana's bundled world map;
 * `online` (a collapsed row) on OpenStreetMap tiles, for browsers that reach the internet. Both
 * queries go to InfluxDB, so the panel's datasource is InfluxDB, not Mixed.
 */
function endpointMap(m: Messages, basemap: 'offline' | 'online'): geomap.PanelBuilder {
  const w = m.wan;
  return new geomap.PanelBuilder()
    .title(basemap === 'offline' ? w.map : w.mapOnline)
    .description(basemap === 'offline' ? w.mapDesc : w.mapOnlineDesc)
    .withTarget(influx(latestStatus(), 'A').format('table'))
    .withTarget(
      influx(
        wanFilters(from('ping'))
          .select('last', 'lat', 'lat')
          .select('last', 'lon', 'lon')
          .groupBy('target_id'),
        'B',
      ).format('table'),
    )
    .withTransformation({ id: 'joinByField', options: { byField: 'target_id', mode: 'inner' } })
    .view(new geomap.MapViewConfigBuilder().id('fit').allLayers(true).padding(10).maxZoom(13))
    .basemap(
      basemap === 'offline'
        ? new common.MapLayerOptionsBuilder()
            .type(offlineBasemap.type)
            .name(offlineBasemap.name)
            .config(offlineBasemap.config)
        : new common.MapLayerOptionsBuilder().type('osm-standard').name('OpenStreetMap'),
    )
    .layers([
      new common.MapLayerOptionsBuilder()
        .type('markers')
        .name(w.mapLayer)
        .location(
          new common.FrameGeometrySourceBuilder()
            .mode(common.FrameGeometrySourceMode.Coords)
            .latitude('lat')
            .longitude('lon'),
        )
        .config({
          showLegend: true,
          style: {
            size: { fixed: 6 },
            color: { field: 'status', fixed: colors.info },
            text: { field: 'name', mode: 'field' },
          },
        })
        .tooltip(true),
    ])
    .mappings(statusMappings(m))
    .thresholds(statusThresholds())
    .colorScheme(thresholdColors());
}

/** Availability % over the dashboard range, one horizontal bar per value of `tag`. */
function availabilityBars(title: string, description: string, tag: 'former_district' | 'level' | 'carrier') {
  return new bargauge.PanelBuilder()
    .title(title)
    .description(description)
    .withTarget(
      influx(
        upAsNumber()
          .selectExpr('availability_percent', (f) => `100 * mean(${f('u')})`)
          .groupBy(tag),
      ).alias(`$tag_${tag}`),
    )
    .reduceOptions(lastNotNull())
    .displayMode(common.BarGaugeDisplayMode.Basic)
    .orientation(common.VizOrientation.Horizontal)
    .unit('percent')
    .decimals(2)
    .min(90)
    .max(100)
    .thresholds(availabilityThresholds())
    .colorScheme(thresholdColors())
    .height(8)
    .span(4);
}
