import { describe, expect, it } from 'vitest';
import { counterRate, uptimeWentBack } from './rates.js';
import { dewPoint } from './sensors.js';

const c32 = (value: number) => ({ value: BigInt(value), bits: 32 as const });
const c64 = (value: bigint) => ({ value, bits: 64 as const });

describe('counterRate()', () => {
  it('gives bits/s from the octet delta', () => {
    expect(counterRate(c32(1_000), c32(76_000), 60)).toBe(10_000);
  });
  it('gives no rate on the first reading or when no time passed', () => {
    expect(counterRate(undefined, c32(5), 60)).toBeUndefined();
    expect(counterRate(c32(1), c32(5), 0)).toBeUndefined();
  });
  it('handles a 32-bit wrap when the rate fits the interface', () => {
    expect(counterRate(c32(2 ** 32 - 1_000), c32(500), 10, 1e9)).toBe((1_500 * 8) / 10);
  });
  it('gives no rate when a 32-bit "wrap" would exceed the interface speed (a reset)', () => {
    expect(counterRate(c32(4_000_000_000), c32(3_000_000_000), 60, 10_000_000)).toBeUndefined();
  });
  it('gives no rate when a 64-bit counter goes backwards (a reset: 64-bit counters do not wrap)', () => {
    expect(counterRate(c64(2n ** 63n), c64(10n), 60)).toBeUndefined();
  });
  it('reads 64-bit counters beyond 2^53 exactly enough for a rate', () => {
    expect(counterRate(c64(2n ** 60n), c64(2n ** 60n + 750_000n), 60)).toBe(100_000);
  });
  it('gives no rate when the counter width changed between polls', () => {
    expect(counterRate(c32(10), c64(20n), 60)).toBeUndefined();
  });
});

describe('uptimeWentBack()', () => {
  it('is true when sysUpTime decreased (agent restart)', () => {
    expect(uptimeWentBack(500_000, 1_500, 60_000)).toBe(true);
  });
  it('is false when sysUpTime advanced or is unknown', () => {
    expect(uptimeWentBack(500_000, 506_000, 60_000)).toBe(false);
    expect(uptimeWentBack(undefined, 5, 60_000)).toBe(false);
  });
  it('is false when sysUpTime wrapped at 2^32 ticks (497 days) as expected', () => {
    expect(uptimeWentBack(2 ** 32 - 1_000, 5_000, 60_000)).toBe(false);
  });
});

describe('dewPoint()', () => {
  it('matches psychrometric values (Magnus formula)', () => {
    expect(dewPoint(25, 50)).toBeCloseTo(13.86, 1);
    expect(dewPoint(20, 100)).toBeCloseTo(20, 1);
    expect(dewPoint(30, 30)).toBeCloseTo(10.5, 1);
  });
});
