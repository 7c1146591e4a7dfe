/** Interface counters as read from the OS (bytes and packets since boot). */
export interface NicCounters {
  iface: string;
  rx_bytes: number;
  tx_bytes: number;
  rx_errors: number;
  tx_errors: number;
  rx_dropped: number;
  tx_dropped: number;
}

export interface NicSample {
  at: number;
  rx_bytes: number;
  tx_bytes: number;
}

/**
 * Bits per second between two samples of one interface; undefined on the first sample, when time did
 * not move, or when a counter went backwards (interface reset, driver reload, reboot): no rate beats
 * a spike of nonsense.
 *
 * @example rates({ at: 0, rx_bytes: 0, tx_bytes: 0 }, { at: 1000, rx_bytes: 125, tx_bytes: 0 }) → { rx_bps: 1000, tx_bps: 0 }
 */
export function rates(
  prev: NicSample | undefined,
  now: NicSample,
): { rx_bps: number; tx_bps: number } | undefined {
  if (!prev) return undefined;
  const seconds = (now.at - prev.at) / 1000;
  if (seconds <= 0 || now.rx_bytes < prev.rx_bytes || now.tx_bytes < prev.tx_bytes) return undefined;
  return {
    rx_bps: Math.round(((now.rx_bytes - prev.rx_bytes) * 8) / seconds),
    tx_bps: Math.round(((now.tx_bytes - prev.tx_bytes) * 8) / seconds),
  };
}

/** Whether an interface is left out: exact names, or prefixes written with a trailing `*`. */
export function ignored(iface: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith('*') ? iface.startsWith(p.slice(0, -1)) : iface === p));
}
