/**
 * Calendar periods in Vietnam's time (Asia/Ho_Chi_Minh, UTC+7 all year, no daylight saving since
 * 1975), so "last month" means the month an agency in Vietnam means: a fixed offset needs no tz data.
 */
export const vietnamOffsetMs = 7 * 3_600_000;

/** The calendar month before the one `now` falls in: [1st 00:00, next 1st 00:00) at UTC+7, ms. */
export function previousMonth(now: number): { from: number; to: number } {
  const local = new Date(now + vietnamOffsetMs);
  const y = local.getUTCFullYear();
  const m = local.getUTCMonth();
  return { from: Date.UTC(y, m - 1, 1) - vietnamOffsetMs, to: Date.UTC(y, m, 1) - vietnamOffsetMs };
}

/** `YYYY-MM-DD` of the day `t` falls in at UTC+7. */
export function vietnamDate(t: number): string {
  return new Date(t + vietnamOffsetMs).toISOString().slice(0, 10);
}

/** Midnight at UTC+7 starting the day `YYYY-MM-DD`, ms; NaN when it is not such a date. */
export function vietnamMidnight(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return Number.NaN;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // Refuse 2026-02-30 rather than rolling it into March.
  return new Date(t).toISOString().slice(0, 10) === date ? t - vietnamOffsetMs : Number.NaN;
}

/** An ISO 8601 time written at UTC+7, e.g. `2026-11-01T00:00:00+07:00`. */
export function vietnamIso(t: number): string {
  return `${new Date(t + vietnamOffsetMs).toISOString().slice(0, 19)}+07:00`;
}
