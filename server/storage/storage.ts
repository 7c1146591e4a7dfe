import type { Point } from '../../protocol/index.js';

/** Where accepted points end up. Implementations must be safe to call concurrently. */
export interface Storage {
  /** Human description for logs and /healthz, without credentials. */
  readonly describe: string;
  /**
   * Writes points; rejects with StorageError when they may not all be stored. Implementations split
   * the points into bodies of at most their configured body size.
   */
  write(points: readonly Point[], signal?: AbortSignal): Promise<void>;
  /**
   * Writes `points` points already serialised by `toLineProtocol` (one line each, a trailing newline
   * allowed) as they are, split like `write` when the body is too large. The spool's replay path:
   * no parsing, no serialising.
   */
  writeLineProtocol(lines: Buffer, points: number): Promise<void>;
  /** Resolves true when the database answers within the timeout. */
  ping(timeoutMs: number): Promise<boolean>;
  /** Makes sure the target database exists (no-op when not applicable). */
  prepare(): Promise<void>;
  /** Runs one InfluxQL statement (times as epoch ms) and returns its series. */
  query(influxql: string, signal?: AbortSignal): Promise<QuerySeries[]>;
  /**
   * Runs several InfluxQL statements in one request (InfluxDB answers each in turn) and returns each
   * one's series, in order: many small look-ups cost one round trip instead of one each. Optional:
   * callers fall back to `query` one statement at a time.
   */
  queryMany?(statements: readonly string[], signal?: AbortSignal): Promise<QuerySeries[][]>;
}

/**
 * The same storage with every query (`query`, and `queryMany` when it has one) run through `around`,
 * which gets the statements and must call `run` once: to record or to time them. Writes pass as they are.
 */
export function aroundQueries(
  storage: Storage,
  around: <T>(statements: readonly string[], run: () => Promise<T>) => Promise<T>,
): Storage {
  const { queryMany } = storage;
  return {
    describe: storage.describe,
    write: (points, signal) => storage.write(points, signal),
    writeLineProtocol: (lines, points) => storage.writeLineProtocol(lines, points),
    ping: (timeoutMs) => storage.ping(timeoutMs),
    prepare: () => storage.prepare(),
    query: (influxql, signal) => around([influxql], () => storage.query(influxql, signal)),
    ...(queryMany
      ? {
          queryMany: (statements: readonly string[], signal?: AbortSignal) =>
            around(statements, () => queryMany.call(storage, statements, signal)),
        }
      : {}),
  };
}

export interface QuerySeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

/**
 * InfluxQL over the v1 `/query` API, which InfluxDB 1.x answers and 2.x/3.x answer through their v1
 * compatibility layer (a DBRP mapping in 2.x). Only server-built statements reach it: user input is
 * validated and turned into numbers or catalogue names first.
 */
export async function influxQuery(
  baseUrl: string,
  database: string,
  headers: Record<string, string>,
  influxql: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<QuerySeries[]> {
  const [first] = await influxQueries(baseUrl, database, headers, [influxql], timeoutMs, signal);
  return first ?? [];
}

/** Several statements in one `/query` request (`;`-separated); each statement's series, in order. */
export async function influxQueries(
  baseUrl: string,
  database: string,
  headers: Record<string, string>,
  statements: readonly string[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<QuerySeries[][]> {
  if (statements.length === 0) return [];
  const url = new URL('/query', baseUrl);
  url.searchParams.set('db', database);
  url.searchParams.set('epoch', 'ms');
  // One statement goes in the URL, as it always has; a batch would not fit there and is POSTed as a form.
  const batch = statements.length > 1;
  if (!batch) url.searchParams.set('q', statements[0] as string);
  const res = await fetch(url, {
    ...(batch
      ? {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ q: statements.join(';\n') }),
        }
      : { headers }),
    signal: signal
      ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)])
      : AbortSignal.timeout(timeoutMs),
  });
  const answer = (await res.json().catch(() => ({}))) as {
    results?: { statement_id?: number; series?: QuerySeries[]; error?: string }[];
    error?: string;
  };
  const failed = answer.results?.find((r) => r.error);
  if (!res.ok || answer.error || failed) {
    throw new StorageError(`influxql: ${answer.error ?? failed?.error ?? res.status}`, res.status === 400);
  }
  const out: QuerySeries[][] = statements.map(() => []);
  (answer.results ?? []).forEach((r, i) => {
    out[r.statement_id ?? i] = r.series ?? [];
  });
  return out;
}

/**
 * Why a write failed, which decides what the caller does with the points:
 * - `unavailable`: the database was unreachable, overloaded or timed out; the same write may pass later.
 * - `refused`: the database refused (some of) the data itself (a 400: field type conflict, points
 *   beyond the retention policy, a line it cannot parse). InfluxDB 1.x stores the other points of the
 *   write and says how many it dropped (`dropped`); retrying the refused ones cannot help.
 * - `too_large`: the body passed the database's size limit (413); smaller writes may pass.
 */
export type StorageErrorKind = 'unavailable' | 'refused' | 'too_large';

/** A failed write; see StorageErrorKind. */
export class StorageError extends Error {
  readonly kind: StorageErrorKind;
  /** For `refused`: how many points the database said it dropped, when it said so. */
  readonly dropped: number | undefined;
  constructor(
    message: string,
    kind: StorageErrorKind | boolean,
    options?: { cause?: unknown; dropped?: number },
  ) {
    super(message, options);
    this.name = 'StorageError';
    this.kind = typeof kind === 'boolean' ? (kind ? 'refused' : 'unavailable') : kind;
    this.dropped = options?.dropped;
  }

  /** The database refused the data itself: retrying the same points as they are cannot help. */
  get permanent(): boolean {
    return this.kind !== 'unavailable';
  }
}

/** Reads InfluxDB 1.x's `partial write: … dropped=N` answer; undefined when it does not say. */
export function droppedCount(answer: string): number | undefined {
  const m = /dropped=(\d+)/.exec(answer);
  return m ? Number(m[1]) : undefined;
}
