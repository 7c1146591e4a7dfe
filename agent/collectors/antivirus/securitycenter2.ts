import type { Finding } from './finding.js';
import { asNumber, asString, type WmiRecord } from './wmi-output.js';

export type ProductSwitch = 'off' | 'on' | 'snoozed' | 'expired' | 'unknown';

export interface DecodedProductState {
  switch: ProductSwitch;
  vendor: 'microsoft' | 'third_party';
  signatures: 'up_to_date' | 'out_of_date' | 'unknown';
}

/**
 * Decodes SecurityCenter2 `productState` (community decoding; Microsoft does not document it):
 * bits 12–15 on/off (0 off, 1 on, 2 snoozed, 3 expired), bits 8–11 0x1 = Microsoft, bits 4–7 signatures
 * (0x0 up to date, 0x1 out of date). Values outside those are `unknown`, never guessed.
 *
 * @example
 * decodeProductState(397568); // 0x061100 → { switch: 'on', vendor: 'microsoft', signatures: 'up_to_date' }
 */
export function decodeProductState(s: number): DecodedProductState {
  const sw = (s >> 12) & 0xf;
  const sig = (s >> 4) & 0xf;
  return {
    switch: sw === 0 ? 'off' : sw === 1 ? 'on' : sw === 2 ? 'snoozed' : sw === 3 ? 'expired' : 'unknown',
    vendor: ((s >> 8) & 0xf) === 0x1 ? 'microsoft' : 'third_party',
    signatures: sig === 0 ? 'up_to_date' : sig === 1 ? 'out_of_date' : 'unknown',
  };
}

interface Entry {
  name: string;
  finding: Finding;
  timestamp?: number;
}

const stateRank = { unprotected: 0, unknown: 1, protected: 2 } as const;

/**
 * Interprets the AntiVirusProduct instances of one machine, one finding per product name.
 *
 * - Same displayName several times (reinstalls leave old registrations): the entry with the newest
 *   `timestamp` wins; without usable timestamps the least protected one wins, so a duplicate can never
 *   turn a machine protected. `registrations` says how many entries there were.
 * - An entry whose timestamp is more than `staleAfterMs` older than the newest entry's is a leftover
 *   of an uninstalled product whose last state froze in WMI: it is reported `unknown`,
 *   `stale_registration`, whatever its productState says.
 * - No instance at all: no finding; the caller reports product "none".
 */
export function interpretSecurityCenter2(records: readonly WmiRecord[], staleAfterMs: number): Finding[] {
  const entries = records.map(toEntry);
  const stamps = entries.flatMap((e) => (e.timestamp === undefined ? [] : [e.timestamp]));
  const newest = stamps.length > 0 ? Math.max(...stamps) : undefined;
  for (const e of entries) {
    if (newest !== undefined && e.timestamp !== undefined && newest - e.timestamp > staleAfterMs) {
      e.finding = { ...e.finding, state: 'unknown', reason: 'stale_registration' };
    }
  }
  const byName = new Map<string, Entry[]>();
  for (const e of entries) byName.set(e.name, [...(byName.get(e.name) ?? []), e]);
  return [...byName.values()].map((group) => {
    const winner = group.reduce((a, b) => {
      if (a.timestamp !== undefined && b.timestamp !== undefined && a.timestamp !== b.timestamp) {
        return b.timestamp > a.timestamp ? b : a;
      }
      return stateRank[b.finding.state] < stateRank[a.finding.state] ? b : a;
    });
    return { ...winner.finding, registrations: group.length };
  });
}

function toEntry(r: WmiRecord): Entry {
  const name = asString(r.displayName);
  const timestamp = parseTimestamp(r.timestamp);
  const base = { product: name ?? 'unknown', source: 'securitycenter2' as const };
  if (!name) {
    return {
      name: base.product,
      timestamp,
      finding: { ...base, state: 'unknown', reason: 'parse_error:missing_displayName' },
    };
  }
  const raw = r.productState;
  const state = asNumber(raw);
  if (state === undefined || state > 0xffffffff) {
    const reason =
      raw === undefined || raw === null ? 'parse_error:missing_productState' : 'parse_error:bad_productState';
    return { name, timestamp, finding: { ...base, state: 'unknown', reason } };
  }
  const d = decodeProductState(state);
  const facts = {
    ...base,
    productState: state,
    vendor: d.vendor,
    ...(d.switch === 'unknown' ? {} : { enabled: d.switch === 'on' }),
    ...(d.signatures === 'unknown' ? {} : { upToDate: d.signatures === 'up_to_date' }),
  };
  const verdict: Pick<Finding, 'state' | 'reason'> =
    d.switch === 'unknown'
      ? { state: 'unknown', reason: 'product_state_unknown' }
      : d.switch === 'off'
        ? { state: 'unprotected', reason: 'disabled' }
        : d.switch === 'snoozed'
          ? { state: 'unprotected', reason: 'snoozed' }
          : d.switch === 'expired'
            ? { state: 'unprotected', reason: 'expired' }
            : d.signatures === 'out_of_date'
              ? { state: 'unprotected', reason: 'signatures_out_of_date' }
              : d.signatures === 'unknown'
                ? { state: 'unknown', reason: 'product_state_unknown' }
                : { state: 'protected', reason: 'ok' };
  return { name, timestamp, finding: { ...facts, ...verdict } };
}

/** `timestamp` is an RFC 1123 string ("Tue, 30 Jul 2024 15:06:30 GMT"); anything else is ignored. */
function parseTimestamp(v: unknown): number | undefined {
  const s = asString(v);
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : undefined;
}
