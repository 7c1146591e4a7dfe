/**
 * ASHRAE TC 9.9 thermal envelope, class A1, at the IT equipment inlet (../shared/reference/tia942.md,
 * "Thermal envelope"): the readiness evaluator (server) and the readiness dashboard both draw on it.
 * Recommended dew point lower bound −9 °C is the later editions' (the 2011 edition had 5.5 °C);
 * recommended RH ≤ 60 % (configurable to 70 % in the guidance, fixed here).
 */
export const ashraeA1 = {
  recommended: { tempMin: 18, tempMax: 27, dewMin: -9, dewMax: 15, rhMin: 0, rhMax: 60 },
  allowable: { tempMin: 15, tempMax: 32, dewMin: -12, dewMax: 17, rhMin: 8, rhMax: 80 },
} as const;
export type Band = keyof typeof ashraeA1;
