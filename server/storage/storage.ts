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
