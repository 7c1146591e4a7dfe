import { describe, expect, it } from 'vitest';
import {
  escapeRegex,
  from,
  fromSubqueries,
  ident,
  regexLiteral,
  showTagValues,
  stringLiteral,
} from './influxql.js';

describe('influxql builder', () => {
  it('renders an aggregate over time with template variables, tags and fill', () => {
    const q = from('ping')
      .select('mean', 'loss_percent', 'loss')
      .whereTagVar('district', 'district')
      .groupByTime()
      .groupBy('target_id')
      .fill('null');
    expect(q.toString()).toBe(
      'SELECT mean("loss_percent") AS "loss" FROM "ping" WHERE $timeFilter AND "district" =~ /^$district$/ GROUP BY time($__interval), "target_id" fill(null)',
    );
    expect(q.columns()).toEqual(['time', 'loss']);
    expect(q.groupedTags()).toEqual(['target_id']);
  });

  it('types field comparisons by the catalogue and quotes string literals', () => {
    const q = from('ping')
      .selectField('cause', 'cause')
      .whereField('up', '=', false)
      .whereField('cause', '!=', "it's")
      .window('time > now() - 1d');
    expect(q.toString()).toBe(
      `SELECT "cause" AS "cause" FROM "ping" WHERE time > now() - 1d AND "up" = false AND "cause" != 'it\\'s'`,
    );
  });

  it('escapes identifiers, strings and regexes so a value cannot end the query', () => {
    expect(ident('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(stringLiteral("x' OR 1=1 --\\")).toBe("'x\\' OR 1=1 --\\\\'");
    expect(() => stringLiteral('a\nb')).toThrow('control character');
    expect(escapeRegex('TP Hưng Yên (cũ) a.b/c|d')).toBe('TP Hưng Yên \\(cũ\\) a\\.b\\/c\\|d');
    expect(regexLiteral('^a/b$')).toBe('/^a\\/b$/');
    expect(from('ping').selectField('up', 'up').whereTag('district', "Kim Động'; DROP").toString()).toContain(
      `"district" = 'Kim Động\\'; DROP'`,
    );
  });

  it('refuses names the catalogue does not have, even past the types', () => {
    // biome-ignore lint/suspicious/noExplicitAny: deliberately past the types
    const q = from('ping') as any;
    expect(() => q.select('mean', 'rtt_ms', 'x')).toThrow('influxql ping: no field "rtt_ms"');
    expect(() => q.whereTagVar('hostname', 'h')).toThrow('influxql ping: no tag "hostname"');
    expect(() => q.whereField('up', '=', 'yes')).toThrow('field "up" is boolean');
    expect(() => q.whereTagVar('district', 'bad name')).toThrow('not a variable name');
    // @ts-expect-error: not a catalogue measurement
    expect(() => from('pings')).toThrow('"pings" is not in the catalogue');
    expect(() => from('ping').toString()).toThrow('nothing selected');
  });

  it('rejects at compile time what InfluxDB would reject at query time', () => {
    const q = from('antivirus');
    // @ts-expect-error: mean() needs a numeric field; state is a string
    expect(() => q.select('mean', 'state', 's')).not.toThrow();
    // @ts-expect-error: up_to_date is boolean
    expect(() => q.whereField('up_to_date', '=', 'yes')).toThrow('is boolean');
    // @ts-expect-error: no such tag on antivirus
    expect(() => q.groupBy('district')).toThrow();
    expect(q.select('last', 'state', 's').groupBy('site_id').toString()).toContain('GROUP BY "site_id"');
  });

  it('merges subqueries that alias the same column, and lists top() tag columns', () => {
    const up = from('ping')
      .selectExpr('u', (f) => `${f('loss_percent')} * 0 + 1`)
      .whereField('up', '=', true)
      .groupBy('*');
    const down = from('ping')
      .selectExpr('u', (f) => `${f('loss_percent')} * 0`)
      .whereField('up', '=', false)
      .groupBy('*');
    const q = fromSubqueries(up, down)
      .selectExpr('availability_percent', (f) => `100 * mean(${f('u')})`)
      .groupBy('district');
    expect(q.toString()).toBe(
      'SELECT 100 * mean("u") AS "availability_percent" FROM (SELECT "loss_percent" * 0 + 1 AS "u" FROM "ping" WHERE $timeFilter AND "up" = true GROUP BY *), (SELECT "loss_percent" * 0 AS "u" FROM "ping" WHERE $timeFilter AND "up" = false GROUP BY *) WHERE $timeFilter GROUP BY "district"',
    );
    const top = fromSubqueries(
      from('snmp_poll').select('max', 'duration_ms', 'd').groupBy('device'),
    ).selectTop('d', ['device'], '$top_n', 'd');
    expect(top.columns()).toEqual(['time', 'd', 'device']);
    expect(top.toString()).toMatch(/^SELECT top\("d", "device", \$top_n\) AS "d" FROM \(/);
  });

  it('builds SHOW TAG VALUES for variables, filtered by other variables', () => {
    expect(showTagValues('ping', 'target_id', { level: 'level', district: 'district' })).toBe(
      'SHOW TAG VALUES FROM "ping" WITH KEY = "target_id" WHERE "level" =~ /^$level$/ AND "district" =~ /^$district$/',
    );
    expect(showTagValues('host', 'site_id')).toBe('SHOW TAG VALUES FROM "host" WITH KEY = "site_id"');
  });
});
