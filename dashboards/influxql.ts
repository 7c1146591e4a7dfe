import { catalogue, type FieldType, type MeasurementName, type StampedTag } from '../protocol/index.js';

/**
 * A small typed InfluxQL builder. Measurements, tags and fields come from the protocol catalogue, so a
 * renamed field stops the dashboards compiling instead of emptying a panel; identifiers and literals are
 * escaped here and nowhere else. Grafana template variables (`$district`, `$timeFilter`,
 * `$__interval`) are written verbatim: Grafana substitutes them before the query reaches InfluxDB.
 *
 * @example
 * from('ping')
 *   .select('mean', 'loss_percent', 'loss_percent')
 *   .whereTagVar('district', 'district')
 *   .groupByTime()
 *   .groupBy('target_id')
 *   .fill('null')
 *   .toString();
 * // SELECT mean("loss_percent") AS "loss_percent" FROM "ping" WHERE $timeFilter AND
 * //   "district" =~ /^$district$/ GROUP BY time($__interval), "target_id" fill(null)
 */

/** `"name"`: an InfluxQL identifier, quoted, with `\` and `"` escaped. */
export function ident(name: string): string {
  if (name.length === 0) throw new Error('influxql identifier: must not be empty');
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `'text'`: an InfluxQL string literal, with `\` and `'` escaped; control characters are refused. */
export function stringLiteral(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(text))
    throw new Error(`influxql string ${JSON.stringify(text)}: control character`);
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Escapes regular-expression metacharacters so `text` matches itself (what Grafana does to a variable's value). */
export function escapeRegex(text: string): string {
  return text.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');
}

/** `/pattern/`: an InfluxQL regex literal; a `/` inside the pattern is escaped. */
export function regexLiteral(pattern: string): string {
  if (/[\n\r]/.test(pattern)) throw new Error(`influxql regex ${JSON.stringify(pattern)}: line break`);
  return `/${pattern.replace(/(^|[^\\])\//g, '$1\\/')}/`;
}

/** A Grafana template variable name: what `$name` may hold. */
function variableName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    throw new Error(`template variable "${name}": not a variable name`);
  return name;
}

type Spec<N extends MeasurementName> = (typeof catalogue)[N];

/** What a query reads from: its fields with their InfluxDB types, and its tags. */
export interface Shape {
  fields: Record<string, FieldType>;
  tags: string;
}

type TypeOf<F> = F extends { type: infer T extends FieldType } ? T : FieldType;

/** The shape of a catalogue measurement, stamped tags (`agent_id`, `site_id`) included. */
export type MeasurementShape<N extends MeasurementName> = {
  fields: { [K in keyof Spec<N>['fields'] & string]: TypeOf<Spec<N>['fields'][K]> };
  tags: Spec<N>['tags'][number] | StampedTag;
};

type FieldOf<S extends Shape> = keyof S['fields'] & string;
type FieldsOfType<S extends Shape, T extends FieldType> = {
  [K in FieldOf<S>]: S['fields'][K] extends T ? K : never;
}[FieldOf<S>];
type TsValue<T extends FieldType> = T extends 'string' ? string : T extends 'boolean' ? boolean : number;

/** Aggregates InfluxDB 1.x answers for every field type, and those that need numbers. */
export type AnyAggregate = 'count' | 'first' | 'last' | 'distinct' | 'mode';
export type NumericAggregate = 'mean' | 'median' | 'min' | 'max' | 'sum' | 'spread' | 'stddev';
export type Aggregate = AnyAggregate | NumericAggregate;
type FieldsFor<S extends Shape, A extends Aggregate> = A extends NumericAggregate
  ? FieldsOfType<S, 'float' | 'integer'>
  : FieldOf<S>;

export type Fill = 'null' | 'none' | 'previous' | 'linear' | number;
export type Comparison = '=' | '!=' | '<' | '<=' | '>' | '>=';

interface QueryState {
  source: string;
  measurement: string;
  fieldTypes: Record<string, FieldType>;
  tags: readonly string[];
  /** Selected expressions; `tags` are the extra columns a `top()` with tag arguments adds. */
  items: { expr: string; as: string; tags?: string[] }[];
  where: string[];
  time: string | undefined;
  groupTime: string | undefined;
  groupTags: string[];
  fill: Fill | undefined;
  orderDesc: boolean;
  limit: number | undefined;
  slimit: number | undefined;
}

/**
 * One SELECT statement. `S` is the shape it reads, `O` the columns it outputs (the aliases), so a
 * subquery's aliases are the fields an outer query may use.
 */
export class Query<S extends Shape, O extends string = never> {
  /** @internal */
  constructor(private readonly s: QueryState) {}

  private next<O2 extends string = O>(patch: Partial<QueryState>): Query<S, O2> {
    return new Query<S, O2>({ ...this.s, ...patch });
  }

  private field(name: string): string {
    if (!Object.hasOwn(this.s.fieldTypes, name)) {
      throw new Error(`influxql ${this.s.measurement}: no field "${name}"`);
    }
    return ident(name);
  }

  private tag(name: string): string {
    if (!this.s.tags.includes(name)) throw new Error(`influxql ${this.s.measurement}: no tag "${name}"`);
    return ident(name);
  }

  /** `fn("field") AS "as"`; numeric aggregates only accept numeric fields. */
  select<A extends Aggregate, K extends FieldsFor<S, A>, const As extends string>(
    fn: A,
    field: K,
    as: As,
  ): Query<S, O | As> {
    return this.next<O | As>({ items: [...this.s.items, { expr: `${fn}(${this.field(field)})`, as }] });
  }

  /** `"field" AS "as"`: raw values (no GROUP BY time). */
  selectField<K extends FieldOf<S>, const As extends string>(field: K, as: As): Query<S, O | As> {
    return this.next<O | As>({ items: [...this.s.items, { expr: this.field(field), as }] });
  }

  /**
   * Escape hatch for arithmetic and functions the typed methods lack (`100 * mean(…)`,
   * `non_negative_derivative(max(…), 1m)`): `f(name)` gives a checked, quoted field reference.
   */
  selectExpr<const As extends string>(
    as: As,
    expr: (f: (field: FieldOf<S>) => string) => string,
  ): Query<S, O | As> {
    return this.next<O | As>({ items: [...this.s.items, { expr: expr((name) => this.field(name)), as }] });
  }

  /**
   * `top("field", "tag", …, n) AS "as"`: the `n` largest values in the range, one row each, the tags as
   * columns. `n` may be a template variable (`$top_n`).
   */
  selectTop<K extends FieldsOfType<S, 'float' | 'integer'>, const As extends string>(
    field: K,
    tags: S['tags'][],
    n: number | `$${string}`,
    as: As,
  ): Query<S, O | As> {
    const count = typeof n === 'number' ? String(Math.trunc(n)) : `$${variableName(n.slice(1))}`;
    const args = [this.field(field), ...tags.map((t) => this.tag(t)), count].join(', ');
    return this.next<O | As>({ items: [...this.s.items, { expr: `top(${args})`, as, tags: [...tags] }] });
  }

  /** `"tag" = 'value'`. */
  whereTag(tag: S['tags'], value: string, op: '=' | '!=' = '='): Query<S, O> {
    return this.next({ where: [...this.s.where, `${this.tag(tag)} ${op} ${stringLiteral(value)}`] });
  }

  /** `"tag" =~ /^$variable$/`: a multi-value template variable whose values Grafana regex-escapes. */
  whereTagVar(tag: S['tags'], variable: string): Query<S, O> {
    return this.next({ where: [...this.s.where, `${this.tag(tag)} =~ /^$${variableName(variable)}$/`] });
  }

  /** `"field" <op> <literal>`, the literal typed by the field's catalogue type. */
  whereField<K extends FieldOf<S>>(field: K, op: Comparison, value: TsValue<S['fields'][K]>): Query<S, O> {
    const type = this.s.fieldTypes[field];
    const literal = typeof value === 'string' ? stringLiteral(value) : String(value);
    if (
      (type === 'string') !== (typeof value === 'string') ||
      (type === 'boolean') !== (typeof value === 'boolean')
    ) {
      throw new Error(
        `influxql ${this.s.measurement}: field "${field}" is ${type}, compared with ${literal}`,
      );
    }
    return this.next({ where: [...this.s.where, `${this.field(field)} ${op} ${literal}`] });
  }

  /** Escape hatch for conditions the typed methods lack (ORs); `f(name)` quotes a checked field. */
  whereExpr(expr: (f: (field: FieldOf<S>) => string) => string): Query<S, O> {
    return this.next({ where: [...this.s.where, `(${expr((name) => this.field(name))})`] });
  }

  /**
   * Replaces the dashboard's `$timeFilter` with a fixed window, for panels whose answer does not depend
   * on the picked range ("last inventory within a day", "silent for N hours").
   */
  window(condition: `time ${string}`): Query<S, O> {
    return this.next({ time: condition });
  }

  groupByTime(interval = '$__interval'): Query<S, O> {
    return this.next({ groupTime: interval });
  }

  /** `GROUP BY "tag", …`; `'*'` groups by every tag (what a subquery needs so its outer query can group). */
  groupBy(...tags: (S['tags'] | '*')[]): Query<S, O> {
    return this.next({
      groupTags: [...this.s.groupTags, ...tags.map((t) => (t === '*' ? '*' : this.tag(t)))],
    });
  }

  fill(fill: Fill): Query<S, O> {
    return this.next({ fill });
  }

  orderByTimeDesc(): Query<S, O> {
    return this.next({ orderDesc: true });
  }

  limit(n: number): Query<S, O> {
    return this.next({ limit: Math.trunc(n) });
  }

  slimit(n: number): Query<S, O> {
    return this.next({ slimit: Math.trunc(n) });
  }

  /** The columns InfluxDB returns for each series: `time`, then the aliases in order. */
  columns(): string[] {
    return ['time', ...this.s.items.flatMap((i) => [i.as, ...(i.tags ?? [])])];
  }

  /** The tags the query groups by (its series carry these). */
  groupedTags(): string[] {
    return this.s.groupTags.map((t) => t.replace(/^"|"$/g, ''));
  }

  toString(): string {
    const s = this.s;
    if (s.items.length === 0) throw new Error(`influxql ${s.measurement}: nothing selected`);
    const select = s.items.map((i) => `${i.expr} AS ${ident(i.as)}`).join(', ');
    const where = [s.time ?? '$timeFilter', ...s.where].join(' AND ');
    const group = [...(s.groupTime ? [`time(${s.groupTime})`] : []), ...s.groupTags];
    return [
      `SELECT ${select} FROM ${s.source} WHERE ${where}`,
      group.length > 0 ? `GROUP BY ${group.join(', ')}` : '',
      s.fill !== undefined ? `fill(${s.fill})` : '',
      s.orderDesc ? 'ORDER BY time DESC' : '',
      s.limit !== undefined ? `LIMIT ${s.limit}` : '',
      s.slimit !== undefined ? `SLIMIT ${s.slimit}` : '',
    ]
      .filter(Boolean)
      .join(' ');
  }
}

function emptyState(
  source: string,
  measurement: string,
  fieldTypes: Record<string, FieldType>,
  tags: readonly string[],
) {
  return {
    source,
    measurement,
    fieldTypes,
    tags,
    items: [],
    where: [],
    time: undefined,
    groupTime: undefined,
    groupTags: [],
    fill: undefined,
    orderDesc: false,
    limit: undefined,
    slimit: undefined,
  } satisfies QueryState;
}

/** A query over one catalogue measurement. */
export function from<N extends MeasurementName>(measurement: N): Query<MeasurementShape<N>> {
  const spec = catalogue[measurement];
  if (!spec) throw new Error(`influxql: "${measurement}" is not in the catalogue`);
  const fieldTypes = Object.fromEntries(Object.entries(spec.fields).map(([k, v]) => [k, v.type]));
  const state = emptyState(ident(spec.name), spec.name, fieldTypes, [...spec.tags, 'agent_id', 'site_id']);
  return new Query(state) as unknown as Query<MeasurementShape<N>>;
}

/**
 * A query over subqueries (`FROM (…), (…)`): their aliases are its fields (numbers: InfluxQL gives
 * subquery columns no catalogue type, so they are assumed numeric), their tags its tags. Several
 * subqueries that alias the same name merge into one column — the way to turn a boolean or a string
 * into a number InfluxQL can average (one subquery per value, each selecting a constant).
 */
export function fromSubqueries<S extends Shape, O extends string>(
  first: Query<S, O>,
  ...rest: Query<Shape, O>[]
): Query<{ fields: Record<O, 'float'>; tags: S['tags'] }> {
  const all = [first as unknown as Query<Shape, O>, ...rest];
  const fieldTypes: Record<string, FieldType> = {};
  for (const q of all) for (const c of q.columns().slice(1)) fieldTypes[c] = 'float';
  const inner = (first as unknown as { s: QueryState }).s;
  const source = all.map((q) => `(${q.toString()})`).join(', ');
  return new Query(emptyState(source, `subquery of ${inner.measurement}`, fieldTypes, inner.tags));
}

/** `SHOW TAG VALUES FROM "m" WITH KEY = "tag" [WHERE "other" =~ /^$var$/ AND …]`: a variable's options. */
export function showTagValues<N extends MeasurementName>(
  measurement: N,
  key: MeasurementShape<N>['tags'],
  filters: Partial<Record<MeasurementShape<N>['tags'], string>> = {},
): string {
  const spec = catalogue[measurement];
  const tags: readonly string[] = [...spec.tags, 'agent_id', 'site_id'];
  const check = (t: string) => {
    if (!tags.includes(t)) throw new Error(`influxql ${measurement}: no tag "${t}"`);
    return ident(t);
  };
  const where = Object.entries(filters as Record<string, string>).map(
    ([tag, variable]) => `${check(tag)} =~ /^$${variableName(variable)}$/`,
  );
  return `SHOW TAG VALUES FROM ${ident(spec.name)} WITH KEY = ${check(key)}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
}
