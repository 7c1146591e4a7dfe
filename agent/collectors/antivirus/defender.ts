import type { Finding } from './finding.js';
import { asBoolean, asNumber, asString, type WmiRecord } from './wmi-output.js';

/** The name SecurityCenter2 gives Defender on clients, so both channels land in one series per product. */
export const DEFENDER_PRODUCT = 'Windows Defender';

/** AntivirusSignatureAge uses these when signatures were never loaded or the age is not known. */
const AGE_NOT_KNOWN = 65_535;

const DAY_MS = 86_400_000;

/** AMRunningMode values, normalised; only `normal` is protection. */
function runningMode(raw: string): 'normal' | 'passive' | 'edr_block' | 'not_running' | 'unrecognised' {
  const m = raw
    .toLowerCase()
    .replace(/\s+mode$/, '')
    .trim();
  if (m === 'normal') return 'normal';
  if (m === 'passive' || m === 'sxs passive') return 'passive';
  if (m === 'edr block') return 'edr_block';
  if (m === 'not running') return 'not_running';
  return 'unrecognised';
}

/**
 * Interprets MSFT_MpComputerStatus (Windows Server, where SecurityCenter2 does not exist).
 *
 * Protected only when AMRunningMode is "Normal", AntivirusEnabled and RealTimeProtectionEnabled are
 * true and the signatures are younger than `maxAgeMs` and not flagged out of date. "Passive Mode",
 * "SxS Passive Mode" and "EDR Block Mode" mean another product is meant to protect (Defender only
 * scans on demand or blocks after the fact), so they are not protection. A missing RealTimeProtectionEnabled
 * / AntivirusEnabled / AntivirusSignatureAge (e.g. a truncated output) makes the state unknown, and so does
 * a missing AMRunningMode: platforms too old to report it cannot tell passive from active.
 */
export function interpretMpComputerStatus(records: readonly WmiRecord[], maxAgeMs: number): Finding {
  const base = { product: DEFENDER_PRODUCT, source: 'defender' as const };
  if (records.length !== 1) {
    return {
      ...base,
      state: 'unknown',
      reason: records.length === 0 ? 'parse_error:no_records' : 'parse_error:several_records',
    };
  }
  const r = records[0] as WmiRecord;
  const productVersion = asString(r.AMProductVersion);
  const signatureVersion = asString(r.AntivirusSignatureVersion);
  const modeRaw = asString(r.AMRunningMode);
  const facts: Finding = {
    ...base,
    state: 'unknown',
    reason: '',
    ...(productVersion ? { productVersion } : {}),
    ...(signatureVersion ? { signatureVersion } : {}),
    ...(modeRaw ? { runningMode: modeRaw } : {}),
  };
  const av = readBool(r, 'AntivirusEnabled');
  const rtp = readBool(r, 'RealTimeProtectionEnabled');
  const service = asBoolean(r.AMServiceEnabled);
  const age = asNumber(r.AntivirusSignatureAge);
  const flaggedOld = asBoolean(r.DefenderSignaturesOutOfDate);
  for (const [field, value] of [
    ['AntivirusEnabled', av],
    ['RealTimeProtectionEnabled', rtp],
  ] as const) {
    if (value === 'missing' || value === 'bad') return { ...facts, reason: `parse_error:${value}_${field}` };
  }
  if (age === undefined) {
    const what =
      r.AntivirusSignatureAge === undefined || r.AntivirusSignatureAge === null ? 'missing' : 'bad';
    return { ...facts, reason: `parse_error:${what}_AntivirusSignatureAge` };
  }
  const mode = modeRaw ? runningMode(modeRaw) : undefined;
  const ageKnown = age < AGE_NOT_KNOWN;
  const upToDate = ageKnown && age * DAY_MS <= maxAgeMs && flaggedOld !== true;
  const enabled =
    av === true && rtp === true && service !== false && (mode === undefined || mode === 'normal');
  const known: Finding = {
    ...facts,
    enabled,
    upToDate,
    ...(ageKnown ? { signatureAgeDays: age } : {}),
  };
  if (mode === 'not_running' || service === false)
    return { ...known, state: 'unprotected', reason: 'not_running' };
  if (mode === 'passive') return { ...known, state: 'unprotected', reason: 'passive_mode' };
  if (mode === 'edr_block') return { ...known, state: 'unprotected', reason: 'edr_block_mode' };
  if (!av || !rtp) return { ...known, state: 'unprotected', reason: 'disabled' };
  if (mode === undefined) return { ...known, state: 'unknown', reason: 'running_mode_unknown' };
  if (mode === 'unrecognised') return { ...known, state: 'unknown', reason: 'running_mode_unrecognised' };
  if (!ageKnown) return { ...known, state: 'unknown', reason: 'signature_age_unknown' };
  if (!upToDate) return { ...known, state: 'unprotected', reason: 'signatures_out_of_date' };
  return { ...known, state: 'protected', reason: 'ok' };
}

function readBool(r: WmiRecord, key: string): boolean | 'missing' | 'bad' {
  const v = r[key];
  if (v === undefined || v === null) return 'missing';
  return asBoolean(v) ?? 'bad';
}
