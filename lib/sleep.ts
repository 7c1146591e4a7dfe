/** Waits `ms`, or less if `signal` aborts first; never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs `run` once after `firstDelayMs`, then every `intervalMs`, without keeping the process alive for
 * it; `stop()` ends both timers. What `run` throws or rejects with is its own to handle.
 */
export function repeatEvery(
  run: () => unknown,
  o: { firstDelayMs: number; intervalMs: number },
): { stop(): void } {
  const first = setTimeout(run, o.firstDelayMs);
  const timer = setInterval(run, o.intervalMs);
  first.unref();
  timer.unref();
  return {
    stop() {
      clearTimeout(first);
      clearInterval(timer);
    },
  };
}
