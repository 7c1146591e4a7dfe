import snmp, { type Varbind } from 'net-snmp';
import { wireLimits } from '../../../protocol/index.js';

const T = snmp.ObjectType;

/** An integer-valued varbind (Integer, Counter32, Gauge32, TimeTicks, Counter64) as a bigint. */
export function asBigInt(vb: Varbind | undefined): bigint | undefined {
  if (!vb) return undefined;
  if (typeof vb.value === 'number' && Number.isInteger(vb.value)) return BigInt(vb.value);
  // Counter64 arrives as a big-endian Buffer, sometimes 9 bytes with a leading 0x00.
  if (vb.type === T.Counter64 && Buffer.isBuffer(vb.value)) {
    return vb.value.length === 0 ? 0n : BigInt(`0x${vb.value.toString('hex')}`);
  }
  return undefined;
}

/** An integer-valued varbind as a number, when it fits exactly. */
export function asInt(vb: Varbind | undefined): number | undefined {
  const n = asBigInt(vb);
  if (n === undefined || n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER))
    return undefined;
  return Number(n);
}

/** Control characters InfluxDB string fields must not carry (tab, CR and LF are kept). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const fieldControl = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** OctetString (or OID, IpAddress) as text: UTF-8 when valid, else Latin-1; NUL padding and stray control characters removed. */
export function asText(vb: Varbind | undefined): string | undefined {
  if (!vb) return undefined;
  let text: string;
  if (Buffer.isBuffer(vb.value)) {
    const utf8 = vb.value.toString('utf8');
    text = utf8.includes('\ufffd') ? vb.value.toString('latin1') : utf8;
  } else if (typeof vb.value === 'string' || typeof vb.value === 'number') {
    text = String(vb.value);
  } else {
    return undefined;
  }
  return text.replace(fieldControl, '').trim().slice(0, wireLimits.stringFieldMaxLength);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const tagControl = /[\u0000-\u001f\u007f]+/g;

/**
 * Makes `text` a valid tag value: control characters become spaces, at most 256 characters, no trailing
 * backslash; `fallback` when nothing is left.
 */
export function tagValue(text: string | undefined, fallback: string): string {
  let t = (text ?? '').replace(tagControl, ' ').trim().slice(0, wireLimits.tagValueMaxLength);
  t = t.replace(/\\+$/, '').trim();
  return t || fallback;
}
