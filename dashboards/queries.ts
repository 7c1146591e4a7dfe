import { from, fromSubqueries, type Query, type Shape, stringLiteral } from './influxql.js';

/**
 * Queries shared by panels and alert rules. InfluxQL cannot average a boolean or branch on a string, so
 * the numbers below are built from subqueries that each select a constant for one value of the field
 * and alias it to the same column (InfluxDB merges them into one series).
 */

/**
 * The status code of each ping cycle: `loss_percent` (0–100) for the endpoint's own state, 1000 +
 * `loss_percent` when it is down because an upstream endpoint is (`cause = 'parent_down'`). Panels map
 * [0,5) up, [5,100) degraded, 100 down, ≥1000 parent down.
 */
export const statusCode = { degradedFrom: 5, down: 100, parentDownFrom: 1000 } as const;

/** `pingFilter` adds the dashboard's tag filters to every subquery (they must filter before merging). */
type PingFilter = 'dashboard' | 'none';

function pingBase(filter: PingFilter) {
  const q = from('ping');
  return filter === 'dashboard' ? wanFilters(q) : q;
}

/**
 * The WAN dashboard's filters: level, former district, carrier and endpoint, all template variables
 * listing what the ping points carry (the registry's levels and grouping tags), never a list baked in
 * at build time. A point without a grouping tag matches the variable's All (`.*` matches "").
 */
export function wanFilters<Q extends ReturnType<typeof from<'ping'>>>(q: Q): Q {
  return q
    .whereTagVar('level', 'level')
    .whereTagVar('former_district', 'former_district')
    .whereTagVar('carrier', 'carrier')
    .whereTagVar('target_id', 'endpoint') as Q;
}

/** Tags a WAN panel's rows carry: the endpoint, its office name and what it is grouped by. */
export const endpointTags = ['target_id', 'name', 'level', 'former_district', 'carrier'] as const;

/** Every cycle's status code (see statusCode), grouped by every tag so outer queries can group. */
export function pingStatus(filter: PingFilter = 'dashboard') {
  return fromSubqueries(
    pingBase(filter)
      .selectField('loss_percent', 'status')
      .whereField('cause', '!=', 'parent_down')
      .groupBy('*'),
    pingBase(filter)
      .selectExpr('status', (f) => `${f('loss_percent')} + ${statusCode.parentDownFrom}`)
      .whereField('cause', '=', 'parent_down')
      .groupBy('*'),
  );
}

/** The latest status code of each endpoint in the range. */
export function latestStatus(filter: PingFilter = 'dashboard') {
  return pingStatus(filter)
    .select('last', 'status', 'status')
    .groupBy(...endpointTags);
}

/**
 * `up` as a number (1 up, 0 down) per cycle, so `100 * mean("u")` is availability %. With
 * `parentDownCountsAsUp`, cycles down only because of a parent count as up (the link's own availability).
 */
export function upAsNumber(parentDownCountsAsUp = false, filter: PingFilter = 'dashboard') {
  const up = pingBase(filter).selectExpr('u', (f) => `${f('loss_percent')} * 0 + 1`);
  const down = pingBase(filter).selectExpr('u', (f) => `${f('loss_percent')} * 0`);
  return parentDownCountsAsUp
    ? fromSubqueries(
        up.whereExpr((f) => `${f('up')} = true OR ${f('cause')} = 'parent_down'`).groupBy('*'),
        down.whereField('up', '=', false).whereField('cause', '!=', 'parent_down').groupBy('*'),
      )
    : fromSubqueries(
        up.whereField('up', '=', true).groupBy('*'),
        down.whereField('up', '=', false).groupBy('*'),
      );
}

/**
 * Per machine (agent_id), the last `host_state` of the antivirus collector in the range and how many
 * points said so; `n` is only there to give outer queries a number to turn into a constant.
 */
export function machineAvState() {
  return from('antivirus')
    .whereTagVar('site_id', 'site')
    .select('last', 'host_state', 'state')
    .select('count', 'host_state', 'n')
    .groupBy('agent_id', 'hostname', 'site_id');
}

/** Machines per antivirus state in the range: `state` is protected | unprotected | unknown. */
export function machinesInAvState(state: 'protected' | 'unprotected' | 'unknown') {
  return fromSubqueries(machineAvState())
    .select('count', 'n', 'machines')
    .whereExpr((f) => `"state" = ${stringLiteral(state)} AND ${f('n')} > 0`);
}

/** Antivirus coverage %: machines whose last host_state is protected, over machines reporting one. */
export function avCoverage() {
  return fromSubqueries(
    fromSubqueries(machineAvState())
      .selectExpr('p', (f) => `${f('n')} * 0 + 1`)
      .whereExpr(() => `"state" = 'protected'`)
      .groupBy('*'),
    fromSubqueries(machineAvState())
      .selectExpr('p', (f) => `${f('n')} * 0`)
      .whereExpr(() => `"state" != 'protected'`)
      .groupBy('*'),
  ).selectExpr('coverage_percent', (f) => `100 * mean(${f('p')})`);
}

/**
 * One series per group (a poller, a site) heard from in the query's window, valued 1 when nothing came
 * from it in the last `silentFor` and 0 when something did. A silent group is a value, not a missing
 * series: a missing series would read as "no data", and a rule on it could not name who went quiet.
 * `seen` counts each group's points (`count(…) AS "n"` grouped by `tags`): over the window it says +1,
 * over the last `silentFor` −1, and the sum is 1 only for the silent. (Not "the latest point is older
 * than": InfluxDB pushes an outer time condition into the subquery, so a `last()` filtered from outside
 * would be the last point before that time, which every group has.)
 */
export function silence<S extends Shape>(
  seen: Query<S, 'n'>,
  /** `15m`, `72h`, or a dashboard variable's value with its unit (`${silent_hours}h`). */
  silentFor: string,
  tags: S['tags'][],
  /** The window of `seen` when it is not the dashboard's or rule's range (`$timeFilter`). */
  window?: `time ${string}`,
) {
  const within = <Q extends { window(w: `time ${string}`): Q }>(q: Q) => (window ? q.window(window) : q);
  const flag = (q: Query<S, 'n'>, value: '+ 1' | '- 1') =>
    within(
      fromSubqueries(q)
        .selectExpr('silent', (f) => `${f('n')} * 0 ${value}`)
        .groupBy('*'),
    );
  return within(
    fromSubqueries(flag(seen, '+ 1'), flag(seen.window(`time >= now() - ${silentFor}`), '- 1'))
      .select('sum', 'silent', 'silent')
      .groupBy(...tags),
  );
}

/** How long a poller or a site may stay quiet, and how far back they are looked for. */
export const silenceLimits = {
  /** A poller runs its ping and SNMP collectors every minute or few: a quarter hour without one is an outage. */
  pollerSilentFor: '15m',
  /** Pollers heard from within this window are watched (and named when they fall silent). */
  pollerWindow: 'time > now() - 7d',
  /**
   * Agency PCs are switched off at night and over the weekend, so a site is silent only when none of its
   * agents has reported for three days: longer than a weekend (Friday evening to Monday evening), short
   * enough to notice a site cut off before the week is out.
   */
  siteSilentFor: '72h',
  siteWindow: 'time > now() - 30d',
} as const;

/**
 * Per poller (whoever runs the ping or SNMP collector: its own collector_run points, one per run
 * whatever the targets answer, so a poller with every endpoint down is not silent): 1 when it ran
 * neither in the last 15 minutes, else 0. `window`: the dashboard's, else the rule's range.
 */
export function pollerSilence(window?: `time ${string}`) {
  const runs = from('collector_run')
    .select('count', 'duration_ms', 'n')
    .whereExpr(() => `"collector" =~ /^(ping|snmp)$/`)
    .groupBy('agent_id', 'hostname', 'site_id');
  return silence(
    window ? runs.window(window) : runs,
    silenceLimits.pollerSilentFor,
    ['agent_id', 'hostname', 'site_id'],
    window,
  );
}

/** Per site: 1 when none of its machines (agents and pollers alike) sent its own health for 72 hours. */
export function siteSilence(window?: `time ${string}`) {
  const health = from('agent_health').select('count', 'queue_points', 'n').groupBy('site_id');
  return silence(window ? health.window(window) : health, silenceLimits.siteSilentFor, ['site_id'], window);
}
