import type { ReportedRtt } from './parse-output.js';

/** The `ping` measurement's numeric fields for one target over one cycle. */
export interface PingStats {
  sent: number;
  received: number;
  loss_percent: number;
  up: boolean;
  rtt_min_ms?: number;
  rtt_avg_ms?: number;
  rtt_max_ms?: number;
  rtt_stddev_ms?: number;
  jitter_ms?: number;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/**
 * Loss, latency and jitter from what one probe got back. RTT fields are absent when nothing came
 * back (a down target has no latency, not a latency of 0). With per-reply round trips the stats are
 * computed here; with only ping's own summary (trimmed output) that summary is used.
 * Jitter is the mean absolute difference of consecutive round trips (RFC 3550's idea without the
 * smoothing), so it needs two replies.
 *
 * @example
 * summarize(4, [52, 50, 50, 51]);
 * // → { sent: 4, received: 4, loss_percent: 0, up: true, rtt_min_ms: 50, rtt_avg_ms: 50.75,
 * //     rtt_max_ms: 52, rtt_stddev_ms: 0.829, jitter_ms: 1 }
 */
export function summarize(sent: number, rttsMs: readonly number[], options: SummaryOptions = {}): PingStats {
  const received = Math.min(sent, options.received ?? rttsMs.length);
  const stats: PingStats = {
    sent,
    received,
    loss_percent: sent > 0 ? round3(((sent - received) / sent) * 100) : 100,
    up: received > 0,
  };
  if (received === 0) return stats;
  const rtts = rttsMs.filter((r) => Number.isFinite(r) && r >= 0);
  if (rtts.length > 0) {
    const avg = rtts.reduce((a, b) => a + b, 0) / rtts.length;
    const variance = rtts.reduce((a, r) => a + (r - avg) ** 2, 0) / rtts.length;
    stats.rtt_min_ms = round3(Math.min(...rtts));
    stats.rtt_avg_ms = round3(avg);
    stats.rtt_max_ms = round3(Math.max(...rtts));
    stats.rtt_stddev_ms = round3(Math.sqrt(variance));
    if (rtts.length >= 2) {
      let diffs = 0;
      for (let i = 1; i < rtts.length; i++) diffs += Math.abs(rtts[i]! - rtts[i - 1]!);
      stats.jitter_ms = round3(diffs / (rtts.length - 1));
    }
  } else if (options.reported) {
    stats.rtt_min_ms = options.reported.minMs;
    stats.rtt_avg_ms = options.reported.avgMs;
    stats.rtt_max_ms = options.reported.maxMs;
    if (options.reported.stddevMs !== undefined) stats.rtt_stddev_ms = options.reported.stddevMs;
  }
  return stats;
}

export interface SummaryOptions {
  /** Replies counted, when it differs from the number of round trips known (summary-only output). */
  received?: number | undefined;
  /** ping's own summary, used only when no per-reply round trip is known. */
  reported?: ReportedRtt | undefined;
}
