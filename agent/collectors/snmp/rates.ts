/** One octet counter as read, with its width so a wrap can be told from a reset. */
export interface CounterSample {
  value: bigint;
  bits: 32 | 64;
}

const wrapAt = { 32: 2n ** 32n, 64: 2n ** 64n } as const;
const TICKS_WRAP = 2 ** 32;

/**
 * bits/s between two readings of one octet counter, or undefined when no honest rate exists:
 * first reading, counter width changed, no time passed, a 64-bit counter went backwards (a reset:
 * 64-bit counters do not wrap in practice), or a 32-bit "wrap" that would mean more than the
 * interface's speed (a reset that looks like a wrap).
 */
export function counterRate(
  prev: CounterSample | undefined,
  cur: CounterSample | undefined,
  seconds: number,
  speedBps?: number,
): number | undefined {
  if (!prev || !cur || prev.bits !== cur.bits || !(seconds > 0)) return undefined;
  let delta = cur.value - prev.value;
  let wrapped = false;
  if (delta < 0n) {
    if (cur.bits === 64) return undefined;
    delta += wrapAt[32];
    wrapped = true;
  }
  const bps = (Number(delta) * 8) / seconds;
  if (wrapped && speedBps !== undefined && speedBps > 0 && bps > speedBps * 1.05) return undefined;
  return bps;
}

/**
 * True when sysUpTime (TimeTicks, 1/100 s) went backwards between polls `elapsedMs` apart: the agent
 * restarted. A decrease explained by the 32-bit wrap (after ~497 days) is not a reboot.
 */
export function uptimeWentBack(
  prevTicks: number | undefined,
  curTicks: number | undefined,
  elapsedMs: number,
): boolean {
  if (prevTicks === undefined || curTicks === undefined || curTicks >= prevTicks) return false;
  const expected = prevTicks + Math.max(0, elapsedMs) / 10;
  if (expected >= TICKS_WRAP) {
    // Wrapped: the new reading should be near expected − 2³²; allow generous clock slack.
    const afterWrap = expected - TICKS_WRAP;
    return Math.abs(curTicks - afterWrap) > Math.max(6_000, (elapsedMs / 10) * 0.5);
  }
  return true;
}
