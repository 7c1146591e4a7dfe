import { describe, expect, it } from 'vitest';
import { previousMonth, vietnamDate, vietnamIso, vietnamMidnight } from './period.js';

describe('Vietnam calendar periods', () => {
  it('previousMonth() on 1 December 00:30 in Hanoi (still 30 November in UTC) is November', () => {
    const now = Date.parse('2026-11-30T17:30:00Z');
    expect(previousMonth(now)).toEqual({
      from: Date.parse('2026-10-31T17:00:00Z'),
      to: Date.parse('2026-11-30T17:00:00Z'),
    });
  });

  it('previousMonth() in January is December of the year before', () => {
    const { from, to } = previousMonth(Date.parse('2027-01-15T00:00:00Z'));
    expect(vietnamIso(from)).toBe('2026-12-01T00:00:00+07:00');
    expect(vietnamIso(to)).toBe('2027-01-01T00:00:00+07:00');
  });

  it('vietnamMidnight() reads a date at UTC+7 and refuses impossible dates', () => {
    expect(vietnamMidnight('2026-11-01')).toBe(Date.parse('2026-10-31T17:00:00Z'));
    expect(vietnamMidnight('2026-02-30')).toBeNaN();
    expect(vietnamMidnight('1/11/2026')).toBeNaN();
    expect(vietnamDate(Date.parse('2026-10-31T17:00:00Z'))).toBe('2026-11-01');
  });
});
