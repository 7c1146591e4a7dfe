import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import {
  colors,
  customVariable,
  enumColumn,
  influx,
  merge,
  organize,
  tableLegend,
  tagVariable,
  thresholdColors,
  thresholds,
  valueMap,
} from './grafana.js';
import { from, fromSubqueries, type MeasurementShape, type Query, showTagValues } from './influxql.js';
import type { Messages } from './messages.js';

function upDown(m: Messages): dashboard.ValueMapping {
  return valueMap({
    true: { text: m.status.up, color: colors.ok },
    false: { text: m.status.down, color: colors.bad },
  });
}

/**
 * Grafana's unit for each `type` tag of snmp_sensor (agent/collectors/snmp/sensors.ts sensorTypes);
 * `other`/`unknown` keep a plain number, truth values are mapped to text instead.
 */
const sensorUnits: Record<string, string> = {
  volts_ac: 'volt',
  volts_dc: 'volt',
  amperes: 'amp',
  watts: 'watt',
  hertz: 'hertz',
  celsius: 'celsius',
  percent_rh: 'humidity',
  rpm: 'rotrpm',
  cmm: 'suffix: m³/min',
  dbm: 'dBm',
};

const sensorFilter = () =>
  from('snmp_sensor').whereTagVar('device', 'device').whereTagVar('type', 'sensor_type');
const pduFilter = () => from('pdu').whereTagVar('device', 'device');

const deviceFilter = () => from('snmp_device').whereTagVar('device', 'device');
const ifFilter = () =>
  from('snmp_interface').whereTagVar('device', 'device').whereTagVar('if_name', 'interface');

/** Top `$top_n` ports by a per-port number computed over the range. */
function topPorts<As extends string>(column: As, perPort: Query<MeasurementShape<'snmp_interface'>, As>) {
  return fromSubqueries(perPort.groupBy('device', 'if_name')).selectTop(
    column,
    ['device', 'if_name'],
    '$top_n',
    column,
  );
}

export function networkDashboard(m: Messages, lang: string): dashboard.DashboardBuilder {
  const n = m.network;
  return new dashboard.DashboardBuilder(n.title)
    .uid(`hatang-network-${lang}`)
    .description(n.description)
    .tags(['hatang', 'snmp', lang])
    .time({ from: 'now-6h', to: 'now' })
    .refresh('1m')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .withVariable(tagVariable('device', m.vars.device, showTagValues('snmp_device', 'device')))
    .withVariable(
      tagVariable(
        'interface',
        m.vars.interface,
        showTagValues('snmp_interface', 'if_name', { device: 'device' }),
      ),
    )
    .withVariable(customVariable('top_n', m.vars.topN, ['5', '10', '20'], '10'))
    .withVariable(tagVariable('sensor_type', m.vars.sensorType, showTagValues('snmp_sensor', 'type')))
    .withVariable(customVariable('pdu_rated_a', m.vars.pduRated, ['10', '16', '20', '32'], '16'))
    .withRow(new dashboard.RowBuilder(n.rowDevices))
    .withPanel(
      new table.PanelBuilder()
        .title(n.devices)
        .description(n.devicesDesc)
        .withTarget(
          influx(
            deviceFilter()
              .select('last', 'up', 'up')
              .select('last', 'sys_uptime_s', 'sys_uptime_s')
              .select('last', 'sys_name', 'sys_name')
              .select('last', 'sys_descr', 'sys_descr')
              .groupBy('device'),
            'A',
          ).format('table'),
        )
        .withTarget(
          influx(
            deviceFilter()
              .select('count', 'rebooted', 'reboots')
              .whereField('rebooted', '=', true)
              .groupBy('device'),
            'B',
          ).format('table'),
        )
        .withTransformation(merge)
        .withTransformation(
          organize(
            {
              device: m.vars.device,
              up: n.state,
              sys_uptime_s: n.uptime,
              reboots: n.reboots,
              sys_name: n.sysName,
              sys_descr: n.sysDescr,
            },
            ['Time'],
          ),
        )
        .overrideByName(n.state, [
          { id: 'mappings', value: [upDown(m)] },
          { id: 'custom.cellOptions', value: { type: common.TableCellDisplayMode.ColorBackground } },
        ])
        .overrideByName(n.uptime, [{ id: 'unit', value: 'dtdurations' }])
        .overrideByName(n.reboots, [
          { id: 'thresholds', value: thresholds([colors.ok, 0], [colors.warn, 1]).build() },
          { id: 'color', value: { mode: dashboard.FieldColorModeId.Thresholds } },
          { id: 'custom.cellOptions', value: { type: common.TableCellDisplayMode.ColorText } },
        ])
        .height(8)
        .span(14),
    )
    .withPanel(
      new statetimeline.PanelBuilder()
        .title(n.reachability)
        .description(n.reachabilityDesc)
        .withTarget(
          influx(
            deviceFilter().select('last', 'up', 'up').groupByTime().groupBy('device').fill('none'),
          ).alias('$tag_device'),
        )
        .mappings([upDown(m)])
        .showValue(common.VisibilityMode.Never)
        .height(8)
        .span(10),
    )
    .withRow(new dashboard.RowBuilder(n.rowInterfaces))
    .withPanel(
      new timeseries.PanelBuilder()
        .title(n.traffic)
        .description(n.trafficDesc)
        .withTarget(
          influx(
            ifFilter()
              .select('mean', 'in_bps', 'in')
              .select('mean', 'out_bps', 'out')
              .groupByTime()
              .groupBy('device', 'if_name')
              .fill('null'),
          ).alias(`$tag_device $tag_if_name $col`),
        )
        .unit('bps')
        .overrideByRegexp('/ out$/', [{ id: 'custom.transform', value: common.GraphTransform.NegativeY }])
        .legend(tableLegend())
        .height(9)
        .span(12),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title(n.errors)
        .description(n.errorsDesc)
        .withTarget(
          influx(
            ifFilter()
              .selectExpr('in_errors', (f) => `non_negative_derivative(max(${f('in_errors')}), 1m)`)
              .selectExpr('out_errors', (f) => `non_negative_derivative(max(${f('out_errors')}), 1m)`)
              .selectExpr('in_discards', (f) => `non_negative_derivative(max(${f('in_discards')}), 1m)`)
              .selectExpr('out_discards', (f) => `non_negative_derivative(max(${f('out_discards')}), 1m)`)
              .groupByTime()
              .groupBy('device', 'if_name')
              .fill('null'),
          ).alias(`$tag_device $tag_if_name $col`),
        )
        .unit('short')
        .decimals(1)
        .axisLabel(n.perMinute)
        .legend(tableLegend())
        .height(9)
        .span(12),
    )
    .withPanel(
      new table.PanelBuilder()
        .title(n.busiest)
        .description(n.busiestDesc)
        .withTarget(
          influx(
            topPorts(
              'bps',
              ifFilter().selectExpr('bps', (f) => `mean(${f('in_bps')}) + mean(${f('out_bps')})`),
            ),
          ).format('table'),
        )
        .withTransformation(
          organize({ device: m.vars.device, if_name: m.vars.interface, bps: n.meanTraffic }, ['Time']),
        )
        .overrideByName(n.meanTraffic, [{ id: 'unit', value: 'bps' }])
        .sortBy([new common.TableSortByFieldStateBuilder().displayName(n.meanTraffic).desc(true)])
        .height(8)
        .span(8),
    )
    .withPanel(
      new table.PanelBuilder()
        .title(n.errorProne)
        .description(n.errorProneDesc)
        .withTarget(
          influx(
            topPorts(
              'errors',
              ifFilter().selectExpr(
                'errors',
                (f) =>
                  `spread(${f('in_errors')}) + spread(${f('out_errors')}) + spread(${f('in_discards')}) + spread(${f('out_discards')})`,
              ),
            ),
          ).format('table'),
        )
        .withTransformation(
          organize({ device: m.vars.device, if_name: m.vars.interface, errors: n.errorCount }, ['Time']),
        )
        .sortBy([new common.TableSortByFieldStateBuilder().displayName(n.errorCount).desc(true)])
        .thresholds(thresholds([colors.ok, 0], [colors.warn, 1], [colors.bad, 100]))
        .colorScheme(thresholdColors())
        .cellOptions({ type: common.TableCellDisplayMode.ColorText })
        .height(8)
        .span(8),
    )
    .withPanel(
      new table.PanelBuilder()
        .title(n.ifStatus)
        .description(n.ifStatusDesc)
        .withTarget(
          influx(
            ifFilter()
              .select('last', 'oper_up', 'oper_up')
              .select('last', 'admin_up', 'admin_up')
              .select('last', 'speed_bps', 'speed_bps')
              .select('last', 'if_alias', 'if_alias')
              .groupBy('device', 'if_name'),
          ).format('table'),
        )
        .withTransformation(
          organize(
            {
              device: m.vars.device,
              if_name: m.vars.interface,
              oper_up: n.operState,
              admin_up: n.adminState,
              speed_bps: n.speed,
              if_alias: n.alias,
            },
            ['Time'],
          ),
        )
        .overrideByName(n.operState, [
          { id: 'mappings', value: [upDown(m)] },
          { id: 'custom.cellOptions', value: { type: common.TableCellDisplayMode.ColorText } },
        ])
        .overrideByName(n.adminState, [
          {
            id: 'mappings',
            value: [
              valueMap({
                true: { text: n.enabled, color: colors.ok },
                false: { text: n.disabled, color: colors.unknown },
              }),
            ],
          },
        ])
        .overrideByName(n.speed, [{ id: 'unit', value: 'bps' }])
        .filterable(true)
        .height(8)
        .span(8),
    )
    .withRow(new dashboard.RowBuilder(n.rowPower))
    .withPanel(
      new table.PanelBuilder()
        .title(n.ups)
        .description(n.upsDesc)
        .withTarget(
          influx(
            from('ups')
              .whereTagVar('device', 'device')
              .select('last', 'on_battery', 'on_battery')
              .select('last', 'battery_status_text', 'battery_status')
              .select('last', 'minutes_remaining', 'minutes_remaining')
              .select('last', 'charge_percent', 'charge_percent')
              .select('last', 'load_percent', 'load_percent')
              .select('last', 'output_source_text', 'output_source')
              .groupBy('device'),
          ).format('table'),
        )
        .withTransformation(
          organize(
            {
              device: m.vars.device,
              on_battery: n.power,
              battery_status: n.battery,
              minutes_remaining: n.runtime,
              charge_percent: n.charge,
              load_percent: n.load,
              output_source: n.outputSource,
            },
            ['Time'],
          ),
        )
        .overrideByName(n.power, [
          {
            id: 'mappings',
            value: [
              valueMap({
                true: { text: n.onBattery, color: colors.bad },
                false: { text: n.onMains, color: colors.ok },
              }),
            ],
          },
          { id: 'custom.cellOptions', value: { type: common.TableCellDisplayMode.ColorBackground } },
        ])
        .overrideByName(n.runtime, [
          { id: 'unit', value: 'm' },
          {
            id: 'thresholds',
            value: thresholds([colors.bad, 0], [colors.warn, 10], [colors.ok, 20]).build(),
          },
          { id: 'color', value: { mode: dashboard.FieldColorModeId.Thresholds } },
          { id: 'custom.cellOptions', value: { type: common.TableCellDisplayMode.ColorText } },
        ])
        .overrideByName(n.charge, [{ id: 'unit', value: 'percent' }])
        .overrideByName(n.load, [{ id: 'unit', value: 'percent' }])
        .overrideByName(n.battery, enumColumn(m, 'ups.battery_status_text'))
        .overrideByName(n.outputSource, enumColumn(m, 'ups.output_source_text'))
        .height(7)
        .span(12),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title(n.upsTrend)
        .description(n.upsTrendDesc)
        .withTarget(
          influx(
            from('ups')
              .whereTagVar('device', 'device')
              .select('mean', 'minutes_remaining', 'runtime_min')
              .select('mean', 'charge_percent', 'charge_percent')
              .groupByTime()
              .groupBy('device')
              .fill('null'),
          ).alias('$tag_device $col'),
        )
        .overrideByRegexp('/runtime_min$/', [{ id: 'unit', value: 'm' }])
        .overrideByRegexp('/charge_percent$/', [
          { id: 'unit', value: 'percent' },
          { id: 'custom.axisPlacement', value: common.AxisPlacement.Right },
        ])
        .legend(tableLegend())
        .height(7)
        .span(12),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title(n.temperature)
        .description(n.temperatureDesc)
        .withTarget(
          influx(
            from('environment')
              .whereTagVar('device', 'device')
              .select('mean', 'temperature_c', 'temperature_c')
              .groupByTime()
              .groupBy('device', 'sensor', 'zone')
              .fill('null'),
          ).alias('$tag_zone $tag_sensor'),
        )
        .unit('celsius')
        .thresholds(thresholds([colors.info, 0], [colors.ok, 18], [colors.warn, 27], [colors.bad, 32]))
        .thresholdsStyle(
          new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.LineAndArea),
        )
        .legend(tableLegend())
        .height(8)
        .span(12),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title(n.humidity)
        .description(n.humidityDesc)
        .withTarget(
          influx(
            from('environment')
              .whereTagVar('device', 'device')
              .select('mean', 'humidity_percent', 'humidity_percent')
              .groupByTime()
              .groupBy('device', 'sensor', 'zone')
              .fill('null'),
          ).alias('$tag_zone $tag_sensor'),
        )
        .unit('humidity')
        .min(0)
        .max(100)
        .thresholds(thresholds([colors.bad, 0], [colors.ok, 20], [colors.warn, 60], [colors.bad, 80]))
        .thresholdsStyle(
          new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.LineAndArea),
        )
        .legend(tableLegend())
        .height(8)
        .span(12),
    )
    .withRow(new dashboard.RowBuilder(n.rowSensors))
    .withPanel(sensorsPanel(m))
    .withPanel(sensorsNowPanel(m))
    .withPanel(pduLoadPanel(m))
    .withPanel(pduNowPanel(m));
}

/** Every ENTITY-SENSOR reading over time, one series per device/sensor, each in its type's unit. */
function sensorsPanel(m: Messages): timeseries.PanelBuilder {
  const n = m.network;
  let panel = new timeseries.PanelBuilder()
    .title(n.sensors)
    .description(n.sensorsDesc)
    .withTarget(
      influx(
        sensorFilter()
          .select('mean', 'value', 'value')
          .groupByTime()
          .groupBy('device', 'sensor', 'type')
          .fill('null'),
      ).alias('$tag_device $tag_sensor ($tag_type)'),
    )
    .legend(tableLegend())
    .height(9)
    .span(14);
  for (const [type, unit] of Object.entries(sensorUnits))
    panel = panel.overrideByRegexp(`/\\(${type}\\)$/`, [{ id: 'unit', value: unit }]);
  return panel.overrideByRegexp('/\\(truthvalue\\)$/', [
    {
      id: 'mappings',
      value: [
        valueMap({
          '1': { text: m.network.sensorTrue, color: colors.info },
          '2': { text: m.network.sensorFalse, color: colors.unknown },
        }),
      ],
    },
  ]);
}

function sensorsNowPanel(m: Messages): table.PanelBuilder {
  const n = m.network;
  return new table.PanelBuilder()
    .title(n.sensorsNow)
    .description(n.sensorsNowDesc)
    .withTarget(
      influx(
        sensorFilter()
          .select('last', 'value', 'value')
          .select('last', 'units_display', 'units_display')
          .select('last', 'oper_status', 'oper_status')
          .groupBy('device', 'sensor', 'type'),
      ).format('table'),
    )
    .withTransformation(
      organize(
        {
          device: m.vars.device,
          sensor: n.sensor,
          type: n.sensorType,
          value: n.sensorValue,
          units_display: n.sensorUnit,
          oper_status: n.sensorState,
        },
        ['Time'],
      ),
    )
    .overrideByName(n.sensorType, enumColumn(m, 'snmp_sensor.type'))
    .overrideByName(n.sensorState, [
      {
        id: 'mappings',
        value: [
          valueMap({
            '1': { text: n.sensorOk, color: colors.ok },
            '2': { text: n.sensorUnavailable, color: colors.unknown },
            '3': { text: n.sensorNonoperational, color: colors.bad },
          }),
        ],
      },
      { id: 'custom.cellOptions', value: { type: common.TableCellDisplayMode.ColorText } },
    ])
    .filterable(true)
    .height(9)
    .span(10);
}

/** Phase/bank current as a share of the chosen rated current ($pdu_rated_a), with 80 % and 100 % marks. */
function pduLoadPanel(m: Messages): timeseries.PanelBuilder {
  const n = m.network;
  return new timeseries.PanelBuilder()
    .title(n.pduLoad)
    .description(n.pduLoadDesc)
    .withTarget(
      influx(
        pduFilter()
          .selectExpr('of_rated', (f) => `mean(${f('current_a')}) / $pdu_rated_a * 100`)
          .groupByTime()
          .groupBy('device', 'phase', 'bank')
          .fill('null'),
      ).alias('$tag_device phase $tag_phase bank $tag_bank'),
    )
    .unit('percent')
    .min(0)
    .thresholds(thresholds([colors.ok, 0], [colors.warn, 80], [colors.bad, 100]))
    .thresholdsStyle(
      new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Line),
    )
    .legend(tableLegend())
    .height(8)
    .span(12);
}

function pduNowPanel(m: Messages): table.PanelBuilder {
  const n = m.network;
  return new table.PanelBuilder()
    .title(n.pduNow)
    .description(n.pduNowDesc)
    .withTarget(
      influx(
        pduFilter()
          .select('last', 'current_a', 'current_a')
          .selectExpr('of_rated', (f) => `last(${f('current_a')}) / $pdu_rated_a * 100`)
          .select('last', 'load_state', 'load_state')
          .groupBy('device', 'phase', 'bank'),
      ).format('table'),
    )
    .withTransformation(
      organize(
        {
          device: m.vars.device,
          phase: n.phase,
          bank: n.bank,
          current_a: n.current,
          of_rated: n.ofRated,
          load_state: n.loadState,
        },
        ['Time'],
      ),
    )
    .overrideByName(n.current, [{ id: 'unit', value: 'amp' }])
    .overrideByName(n.ofRated, [
      { id: 'unit', value: 'percent' },
      { id: 'decimals', value: 0 },
      { id: 'thresholds', value: thresholds([colors.ok, 0], [colors.warn, 80], [colors.bad, 100]).build() },
      { id: 'color', value: { mode: dashboard.FieldColorModeId.Thresholds } },
      { id: 'custom.cellOptions', value: { type: common.TableCellDisplayMode.ColorText } },
    ])
    .overrideByName(n.loadState, [
      {
        id: 'mappings',
        value: [
          valueMap({
            '1': { text: n.loadNormal, color: colors.ok },
            '2': { text: n.loadLow, color: colors.info },
            '3': { text: n.loadNearOverload, color: colors.warn },
            '4': { text: n.loadOverload, color: colors.bad },
          }),
        ],
      },
      { id: 'custom.cellOptions', value: { type: common.TableCellDisplayMode.ColorText } },
    ])
    .height(8)
    .span(12);
}
