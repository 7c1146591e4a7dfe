import { antivirus, wireLimits } from '../../../protocol/index.js';
import type { CollectedPoint } from '../../collector.js';

export type AvState = 'protected' | 'unprotected' | 'unknown';
export type AvSource = 'securitycenter2' | 'defender' | 'clamav' | 'process' | 'none';

/**
 * What the collector concluded about one product. Optional facts are omitted rather than guessed:
 * a point without `signature_age_days` means the age is not known, never that it is zero.
 */
export interface Finding {
  product: string;
  source: AvSource;
  state: AvState;
  /** A code from the README's table, e.g. `ok`, `disabled`, `parse_error:not_json`. */
  reason: string;
  enabled?: boolean;
  upToDate?: boolean;
  signatureAgeDays?: number;
  signatureTimeS?: number;
  signatureVersion?: string;
  productVersion?: string;
  productState?: number;
  vendor?: 'microsoft' | 'third_party';
  runningMode?: string;
  registrations?: number;
  updaterRunning?: boolean;
}

/** Product tag of the point saying "no antivirus at all". */
export const NO_PRODUCT = 'none';
/** Product tag of the point saying "detection itself failed". */
export const UNKNOWN_PRODUCT = 'unknown';

export function noProduct(source: AvSource): Finding {
  return { product: NO_PRODUCT, source, state: 'unprotected', reason: 'no_product' };
}

export function detectionFailed(source: AvSource, reason: string): Finding {
  return { product: UNKNOWN_PRODUCT, source, state: 'unknown', reason };
}

/** One protected product protects the machine; otherwise any doubt makes the machine unknown. */
export function hostState(findings: readonly Finding[]): AvState {
  if (findings.some((f) => f.state === 'protected')) return 'protected';
  if (findings.length === 0 || findings.some((f) => f.state === 'unknown')) return 'unknown';
  return 'unprotected';
}

/**
 * Product names come from the machine (SecurityCenter2 displayName) and become a tag: strip what line
 * protocol cannot carry (control characters, a trailing backslash) and bound the length.
 */
export function productTag(name: string): string {
  const cleaned = name
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .trim()
    .slice(0, wireLimits.tagValueMaxLength)
    .replace(/\\+$/, '')
    .trim();
  return cleaned || 'unnamed';
}

function boundString(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').slice(0, 256);
}

export function toPoints(findings: readonly Finding[], hostname: string): CollectedPoint[] {
  const host = hostState(findings);
  return findings.map((f) => {
    const fields: CollectedPoint['fields'] = {
      state: f.state,
      reason: boundString(f.reason),
      host_state: host,
      source: f.source,
    };
    if (f.enabled !== undefined) fields.enabled = f.enabled;
    if (f.upToDate !== undefined) fields.up_to_date = f.upToDate;
    if (f.signatureAgeDays !== undefined && Number.isFinite(f.signatureAgeDays)) {
      fields.signature_age_days = Math.round(f.signatureAgeDays * 100) / 100;
    }
    if (f.signatureTimeS !== undefined) fields.signature_time_s = f.signatureTimeS;
    if (f.signatureVersion) fields.signature_version = boundString(f.signatureVersion);
    if (f.productVersion) fields.product_version = boundString(f.productVersion);
    if (f.productState !== undefined) fields.product_state = f.productState;
    if (f.vendor) fields.vendor = f.vendor;
    if (f.runningMode) fields.running_mode = boundString(f.runningMode);
    if (f.registrations !== undefined) fields.registrations = f.registrations;
    if (f.updaterRunning !== undefined) fields.updater_running = f.updaterRunning;
    return { measurement: antivirus.name, tags: { hostname, product: productTag(f.product) }, fields };
  });
}
