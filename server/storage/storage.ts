import type { Point } from '../../protocol/index.js';

/** Where accepted points end up. Implementations must be safe to call concurrently. */
export interface Storage {
  /** Human description for logs and /healthz, without credentials. */
  readonly describe: string;
  /** Writes points; rejects with StorageError when they may not all be stored. */
  write(points: readonly Point[], signal?: AbortSignal): Promise<void>;
  /** Resolves true when the database answers within the timeout. */
  ping(timeoutMs: number): Promise<boolean>;
  /** Makes sure the target database exists (no-op when not applicable). */
  prepare(): Promise<void>;
  /** Runs one InfluxQL statement (times as epoch ms) and returns its series. */
  query(influxql: string, signal?: AbortSignal): Promise<QuerySeries[]>;
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
  const url = new URL('/query', baseUrl);
  url.searchParams.set('db', database);
  url.searchParams.set('epoch', 'ms');
  url.searchParams.set('q', influxql);
  const res = await fetch(url, {
    headers,
    signal: signal
      ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)])
      : AbortSignal.timeout(timeoutMs),
  });
  const body = (await res.json().catch(() => ({}))) as {
    results?: { series?: QuerySeries[]; error?: string }[];
    error?: string;
  };
  const first = body.results?.[0];
  if (!res.ok || body.error || first?.error) {
    throw new StorageError(`influxql: ${body.error ?? first?.error ?? res.status}`, res.status === 400);
  }
  return first?.series ?? [];
}

/**
 * A failed write. `permanent` means the database refused the data itself (retrying the same
 * points cannot help); otherwise the database was unreachable or overloaded and a retry may succeed.
 */
export class StorageError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StorageError';
  }
}
