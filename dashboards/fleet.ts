import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as histogram from '@grafana/grafana-foundation-sdk/histogram';
import * as piechart from '@grafana/grafana-foundation-sdk/piechart';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import {
  colors,
  customVariable,
  enumColumn,
  influx,
  lastNotNull,
  organize,
  tagVariable,
  thresholdColors,
  thresholds,
  valueMap,
} from './grafana.js';
import { from, fromSubqueries, showTagValues } from './influxql.js';
import type { Messages } from './messages.js';
import { avCoverage, machinesInAvState, silence } from './queries.js';

/** Inventory is re-asserted every 6 h (inventory collector `reassert`), so a day always holds the last one. */
const inventoryWindow = 'time > now() - 1d' as const;
/** How far back a machine counts as known to the fleet. */
const knownWindow = 'time > now() - 30d' as const;

const coverageThresholds = () => thresholds([colors.bad, 0], [colors.warn, 80], [colors.ok, 95]);

function stateColors(m: Messages) {
  return {
    protected: { text: m.av.protected, color: colors.ok },
    unprotected: { text: m.av.unprotected, color: colors.bad },
    unknown: { text: m.av.unknown, color: colors.warn },
  };
}

/** One row per machine: its last inventory in the window, as a table (tags become columns). */
function lastInventory() {
  return from('inventory')
    .window(inventoryWindow)
    .whereTagVar('site_id', 'site')
    .whereTagVar('hostname', 'hostname')
    .select('last', 'manufacturer', 'manufacturer')
    .select('last', 'model', 'model')
    .select('last', 'cpu_model', 'cpu_model')
    .select('last', 'cpu_cores', 'cpu_cores')
    .select('last', 'mem_total_bytes', 'mem_total_bytes')
    .select('last', 'disk_total_bytes', 'disk_total_bytes')
    .select('last', 'os_distro', 'os_distro')
    .select('last', 'os_release', 'os_release')
    .select('last', 'serial', 'serial')
    .groupBy('agent_id', 'hostname', 'site_id');
}

/** Grafana's groupBy transformation: rows per distinct `keys`, counting machines. */
function countBy(...keys: string[]): dashboard.DataTransformerConfig {
  return {
    id: 'groupBy',
    options: {
      fields: {
        ...Object.fromEntries(keys.map((k) => [k, { operation: 'groupby', aggregations: [] }])),
        agent_id: { operation: 'aggregate', aggregations: ['count'] },
      },
    },
  };
}

export function fleetDashboard(m: Messages, lang: string): dashboard.DashboardBuilder {
  const f = m.fleet;
  const machinesIn = (window: 'dashboard' | typeof knownWindow) => {
    const base = from('host').whereTagVar('site_id', 'site').whereTagVar('hostname', 'hostname');
    const perMachine = (window === 'dashboard' ? base : base.window(window))
      .select('last', 'uptime_s', 'uptime_s')
      .groupBy('agent_id');
    const outer = fromSubqueries(perMachine).select('count', 'uptime_s', 'machines');
    return window === 'dashboard' ? outer : outer.window(window);
  };

  return new dashboard.DashboardBuilder(f.title)
    .uid(`hatang-fleet-${lang}`)
    .description(f.description)
    .tags(['hatang', 'fleet', lang])
    .time({ from: 'now-24h', to: 'now' })
    .refresh('5m')
    .withVariable(tagVariable('site', m.vars.site, showTagValues('host', 'site_id')))
    .withVariable(
      tagVariable('hostname', m.vars.hostname, showTagValues('host', 'hostname', { site_id: 'site' })),
    )
    .withVariable(customVariable('silent_hours', m.vars.silentHours, ['1', '6', '24', '72', '168'], '24'))
    .withVariable(
      new dashboard.TextBoxVariableBuilder('expected_machines')
        .label(m.vars.expectedMachines)
        .defaultValue('2000')
        .current({
          selected: true,
          text: '2000',
          value: '2000',
        }),
    )
    .withRow(new dashboard.RowBuilder(f.rowFleet))
    .withPanel(
      new stat.PanelBuilder()
        .title(f.reporting)
        .description(f.reportingDesc)
        .withTarget(influx(machinesIn('dashboard'), 'A').alias(f.reportingNow))
        .withTarget(influx(machinesIn(knownWindow), 'B').alias(f.known))
        .reduceOptions(lastNotNull())
        .textMode(common.BigValueTextMode.ValueAndName)
        .graphMode(common.BigValueGraphMode.None)
        .colorMode(common.BigValueColorMode.None)
        .unit('none')
        .height(6)
        .span(6),
    )
    .withPanel(
      new stat.PanelBuilder()
        .title(f.coverage)
        .description(f.coverageDesc)
        .withTarget(influx(avCoverage()))
        .reduceOptions(lastNotNull())
        .graphMode(common.BigValueGraphMode.None)
        .colorMode(common.BigValueColorMode.Background)
        .unit('percent')
        .decimals(1)
        .thresholds(coverageThresholds())
        .colorScheme(thresholdColors())
        .height(6)
        .span(6),
    )
    .withPanel(
      new piechart.PanelBuilder()
        .title(f.byState)
        .description(f.byStateDesc)
        .withTarget(influx(machinesInAvState('protected'), 'A').alias(m.av.protected))
        .withTarget(influx(machinesInAvState('unprotected'), 'B').alias(m.av.unprotected))
        .withTarget(influx(machinesInAvState('unknown'), 'C').alias(m.av.unknown))
        .reduceOptions(lastNotNull())
        .pieType(piechart.PieChartType.Donut)
        .displayLabels([piechart.PieChartLabels.Value, piechart.PieChartLabels.Percent])
        .overrideByName(m.av.protected, [{ id: 'color', value: { mode: 'fixed', fixedColor: colors.ok } }])
        .overrideByName(m.av.unprotected, [{ id: 'color', value: { mode: 'fixed', fixedColor: colors.bad } }])
        .overrideByName(m.av.unknown, [{ id: 'color', value: { mode: 'fixed', fixedColor: colors.warn } }])
        .height(6)
        .span(6),
    )
    .withPanel(
      new bargauge.PanelBuilder()
        .title(f.coverageSite)
        .description(f.coverageSiteDesc)
        .withTarget(influx(avCoverage().groupBy('site_id')).alias('$tag_site_id'))
        .reduceOptions(lastNotNull())
        .displayMode(common.BarGaugeDisplayMode.Basic)
        .orientation(common.VizOrientation.Horizontal)
        .unit('percent')
        .decimals(1)
        .min(0)
        .max(100)
        .thresholds(coverageThresholds())
        .colorScheme(thresholdColors())
        .height(6)
        .span(6),
    )
    .withRow(new dashboard.RowBuilder(f.rowAntivirus))
    .withPanel(
      new table.PanelBuilder()
        .title(f.unprotected)
        .description(f.unprotectedDesc)
        .withTarget(
          influx(
            fromSubqueries(
              from('antivirus')
                .whereTagVar('site_id', 'site')
                .whereTagVar('hostname', 'hostname')
                .select('last', 'host_state', 'host_state')
                .select('last', 'state', 'state')
                .select('last', 'reason', 'reason')
                .select('last', 'source', 'source')
                .groupBy('agent_id', 'hostname', 'site_id', 'product'),
            )
              .selectField('host_state', 'host_state')
              .selectField('state', 'state')
              .selectField('reason', 'reason')
              .selectField('source', 'source')
              .whereExpr((c) => `${c('host_state')} != 'protected'`)
              .groupBy('hostname', 'site_id', 'product', 'agent_id'),
          ).format('table'),
        )
        .withTransformation(
          organize(
            {
              hostname: m.vars.hostname,
              site_id: m.vars.site,
              host_state: f.hostState,
              product: f.product,
              state: f.productState,
              reason: f.reason,
              source: f.source,
            },
            ['Time', 'agent_id'],
          ),
        )
        .mappings([valueMap(stateColors(m))])
        .cellOptions({ type: common.TableCellDisplayMode.ColorText })
        .overrideByName(f.reason, enumColumn(m, 'antivirus.reason'))
        .overrideByName(f.source, enumColumn(m, 'antivirus.source'))
        .filterable(true)
        .height(9)
        .span(16),
    )
    .withPanel(
      new histogram.PanelBuilder()
        .title(f.signatureAge)
        .description(f.signatureAgeDesc)
        .withTarget(
          influx(
            from('antivirus')
              .whereTagVar('site_id', 'site')
              .whereTagVar('hostname', 'hostname')
              .select('last', 'signature_age_days', 'signature_age_days')
              .groupBy('agent_id', 'hostname', 'product'),
          ).format('table'),
        )
        .bucketSize(1)
        .unit('d')
        .height(9)
        .span(8),
    )
    .withRow(new dashboard.RowBuilder(f.rowHardware))
    .withPanel(
      new piechart.PanelBuilder()
        .title(f.os)
        .description(f.osDesc)
        .withTarget(influx(lastInventory()).format('table'))
        .withTransformation(countBy('os_distro', 'os_release'))
        .reduceOptions(lastNotNull().values(true))
        .pieType(piechart.PieChartType.Pie)
        .displayLabels([piechart.PieChartLabels.Name, piechart.PieChartLabels.Value])
        .height(8)
        .span(8),
    )
    .withPanel(
      new table.PanelBuilder()
        .title(f.models)
        .description(f.modelsDesc)
        .withTarget(influx(lastInventory()).format('table'))
        .withTransformation(countBy('manufacturer', 'model', 'cpu_model', 'mem_total_bytes'))
        .withTransformation(
          organize({
            manufacturer: f.manufacturer,
            model: f.model,
            cpu_model: f.cpu,
            mem_total_bytes: f.memory,
            'agent_id (count)': f.machines,
          }),
        )
        .overrideByName(f.memory, [{ id: 'unit', value: 'bytes' }])
        .height(8)
        .span(16),
    )
    .withPanel(
      new table.PanelBuilder()
        .title(f.machineList)
        .description(f.machineListDesc)
        .withTarget(influx(lastInventory()).format('table'))
        .withTransformation(
          organize(
            {
              hostname: m.vars.hostname,
              site_id: m.vars.site,
              manufacturer: f.manufacturer,
              model: f.model,
              serial: f.serial,
              cpu_model: f.cpu,
              cpu_cores: f.cores,
              mem_total_bytes: f.memory,
              disk_total_bytes: f.disk,
              os_distro: f.osName,
              os_release: f.osRelease,
            },
            ['Time', 'agent_id'],
          ),
        )
        .overrideByName(f.memory, [{ id: 'unit', value: 'bytes' }])
        .overrideByName(f.disk, [{ id: 'unit', value: 'bytes' }])
        .filterable(true)
        .height(10)
        .span(24),
    )
    .withPanel(
      new table.PanelBuilder()
        .title(f.changes)
        .description(f.changesDesc)
        .withTarget(
          influx(
            from('inventory_change')
              .whereTagVar('site_id', 'site')
              .whereTagVar('hostname', 'hostname')
              .selectField('summary', 'summary')
              .selectField('before', 'before')
              .selectField('after', 'after')
              .groupBy('hostname', 'site_id', 'component')
              .orderByTimeDesc()
              .limit(100),
          ).format('table'),
        )
        .withTransformation(
          organize({
            Time: f.when,
            hostname: m.vars.hostname,
            site_id: m.vars.site,
            component: f.component,
            summary: f.summary,
            before: f.before,
            after: f.after,
          }),
        )
        .sortBy([new common.TableSortByFieldStateBuilder().displayName(f.when).desc(true)])
        .overrideByName(f.component, enumColumn(m, 'inventory_change.component'))
        .height(8)
        .span(14),
    )
    .withPanel(
      new table.PanelBuilder()
        .title(f.silent)
        .description(f.silentDesc)
        // A: 1 for each machine seen in 30 days but not in the last N hours (0 otherwise); B: when
        // each was last seen. Rows with A = 1 are kept.
        .withTarget(
          influx(
            silence(
              from('host')
                .window(knownWindow)
                .whereTagVar('site_id', 'site')
                .whereTagVar('hostname', 'hostname')
                .select('count', 'uptime_s', 'n')
                .groupBy('agent_id'),
              '${silent_hours}h',
              ['agent_id'],
              knownWindow,
            ),
            'A',
          ).format('table'),
        )
        .withTarget(
          influx(
            from('host')
              .window(knownWindow)
              .whereTagVar('site_id', 'site')
              .whereTagVar('hostname', 'hostname')
              .select('last', 'uptime_s', 'uptime_s')
              .groupBy('agent_id', 'hostname', 'site_id'),
            'B',
          ).format('table'),
        )
        .withTransformation({ id: 'joinByField', options: { byField: 'agent_id', mode: 'inner' } })
        .withTransformation({
          id: 'filterByValue',
          options: {
            type: 'include',
            match: 'all',
            filters: [{ fieldName: 'silent', config: { id: 'equal', options: { value: 1 } } }],
          },
        })
        .withTransformation(
          // As for Outages: the join names the two queries' times `Time 1` (A's) and `Time 2` (B's).
          organize({ 'Time 2': f.lastSeen, hostname: m.vars.hostname, site_id: m.vars.site }, [
            'Time 1',
            'silent',
            'uptime_s',
            'agent_id',
          ]),
        )
        .sortBy([new common.TableSortByFieldStateBuilder().displayName(f.lastSeen).desc(false)])
        .height(8)
        .span(10),
    );
}
