/**
 * Reading what a WMI query printed. The agent always asks PowerShell for JSON (`ConvertTo-Json`);
 * the list reader (`Key : Value` from Format-List, `Key=Value` from `wmic /format:list`) exists because
 * the only genuine captures of MSFT_MpComputerStatus and of SecurityCenter2 errors are in list form,
 * and sharing the interpretation code lets those captures test the same decisions the agent takes.
 */

export type WmiRecord = Record<string, unknown>;

export type ReadResult =
  | { ok: true; records: WmiRecord[]; format: 'json' | 'list' }
  | { ok: false; error: string };

/**
 * Turns command output into records. JSON may be one object or an array of objects (PowerShell unrolls
 * one-element arrays unless told otherwise). Errors are `parse_error:<what>` reason codes.
 */
export function readRecords(output: string): ReadResult {
  const text = output.replace(/^\uFEFF/, '').trim();
  if (text === '') return { ok: false, error: 'parse_error:empty_output' };
  if (text.startsWith('{') || text.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { ok: false, error: 'parse_error:not_json' };
    }
    const list = Array.isArray(parsed) ? parsed : [parsed];
    if (!list.every((r) => typeof r === 'object' && r !== null && !Array.isArray(r))) {
      return { ok: false, error: 'parse_error:unexpected_shape' };
    }
    return { ok: true, records: list as WmiRecord[], format: 'json' };
  }
  const records = readList(text);
  if (records.length === 0) {
    return isNoInstances(text)
      ? { ok: true, records: [], format: 'list' }
      : { ok: false, error: 'parse_error:no_records' };
  }
  return { ok: true, records, format: 'list' };
}

// A key is an identifier of 2+ characters so that a prompt such as `C:\>wmic …` is not read as key "C".
const wmicLine = /^\s*([A-Za-z_][A-Za-z0-9_]+)=(.*)$/;
const formatListLine = /^\s*([A-Za-z_][A-Za-z0-9_]+)\s*:(?: (.*)|)$/;

/**
 * Format-List separates objects with a blank line, but captures pasted into tickets often have blank
 * lines between every entry; a record therefore ends when a key repeats, which holds for both.
 */
function readList(text: string): WmiRecord[] {
  const records: WmiRecord[] = [];
  let current: WmiRecord = {};
  for (const raw of text.split(/\r?\n/)) {
    const m = wmicLine.exec(raw) ?? formatListLine.exec(raw);
    if (!m) continue;
    const key = m[1] as string;
    const value = (m[2] ?? '').trim();
    if (Object.hasOwn(current, key)) {
      records.push(current);
      current = {};
    }
    current[key] = value === '' ? null : value;
  }
  if (Object.keys(current).length > 0) records.push(current);
  return records;
}

/** `wmic` prints this instead of records when a class has no instances (English and French seen). */
function isNoInstances(text: string): boolean {
  return /No Instance\(s\) Available|Aucune instance disponible/i.test(text);
}

/**
 * WBEM_E_INVALID_NAMESPACE (0x8004100E): the namespace does not exist on this machine. PowerShell prints
 * the HRESULT in FullyQualifiedErrorId whatever the display language; wmic prints only the localized
 * description, so the English and French texts are matched too.
 */
export function isInvalidNamespace(text: string): boolean {
  return /0x8004100e|invalid namespace|espace de noms non valide/i.test(text);
}

export function asString(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim() === '' ? undefined : v.trim();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** JSON gives numbers; list output gives decimal text. Anything else is not a number. */
export function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\s*\d+\s*$/.test(v)) return Number(v);
  return undefined;
}

/** JSON gives booleans; Format-List prints True/False, wmic TRUE/FALSE. */
export function asBoolean(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (t === 'true') return true;
    if (t === 'false') return false;
  }
  return undefined;
}
