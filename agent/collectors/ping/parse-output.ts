/**
 * A locale-independent reader of the OS `ping` command's output (Windows in any language, Linux
 * iputils and BusyBox, macOS/BSD, FreeBSD ping6).
 *
 * It reads structure and numbers, never words: ping.exe is translated into dozens of languages (and
 * the words arrive in the console's OEM code page), so matching "Reply from" or "Received" breaks on
 * the first machine set up in a language nobody tested. What survives every translation:
 * - a reply line carries exactly one number with a unit after `=` or `<` (`time=33ms`, `Zeit<1ms`,
 *   `время=37мс`, `time=0.359 ms`); the other `=` numbers (`bytes=32`, `TTL=114`, `icmp_seq=1`) have
 *   no unit, because a label (`TTL`, `time`) follows them instead;
 * - Windows' statistics line holds sent/received/lost as three unitless `= n` integers with
 *   sent = received + lost; the Unix one starts with sent and received and then a `n%` loss;
 * - Windows' round-trip summary has three `= n<unit>` values (min, max, avg in every translation,
 *   but only their order by size is relied on); the Unix one is `= a/b/c[/d] ms`.
 */

/** What the output says, before deciding what it means. */
export interface PingOutputFacts {
  /** Echo requests sent, from the statistics line. */
  statsSent?: number | undefined;
  /** Replies according to the statistics line (Windows also counts ICMP errors here). */
  statsReceived?: number | undefined;
  /** Round trip of every echo reply line, in order; `<1ms` is read as 0.5 ms. */
  rttsMs: number[];
  /** Round-trip summary printed by ping itself, when present. */
  reported?: ReportedRtt | undefined;
}

export interface ReportedRtt {
  minMs: number;
  avgMs: number;
  maxMs: number;
  stddevMs?: number | undefined;
}

/** A probe of one target: what was sent and what came back. */
export interface Probe {
  sent: number;
  received: number;
  /** Per-reply round trips (may be empty while `received` > 0 when only a summary was printed). */
  rttsMs: number[];
  reported?: ReportedRtt | undefined;
}

export type ProbeParse = { ok: true; probe: Probe } | { ok: false; reason: string };

export interface ParseOptions {
  /** Windows console code page (chcp) the bytes are in; guessed when absent. */
  codepage?: number | undefined;
  /** How many echoes the caller asked for; used when the output has no statistics line. */
  expectedSent?: number | undefined;
}

/** WHATWG labels of the code pages ping.exe writes in; single-byte Western pages have no decoder. */
const codepageLabels: Record<number, string> = {
  65001: 'utf-8',
  866: 'ibm866',
  874: 'windows-874',
  932: 'shift_jis',
  936: 'gbk',
  949: 'euc-kr',
  950: 'big5',
  1250: 'windows-1250',
  1251: 'windows-1251',
  1252: 'windows-1252',
  1258: 'windows-1258',
  20866: 'koi8-r',
  54936: 'gb18030',
};

/**
 * Multi-byte pages tried, in order, when the code page is unknown and the bytes are not UTF-8. The
 * choice only affects the words: in all of them digits, `=`, `<`, `.`, `%` and spaces are never the
 * second byte of a character, so numbers and their separators decode identically.
 */
const guessOrder = ['shift_jis', 'euc-kr', 'big5', 'gbk'] as const;

/**
 * Turns ping's raw bytes into text. UTF-8 first (a UTF-8 console, or output already transcoded),
 * then the given code page, then a guess; as a last resort windows-1252, which decodes any byte.
 * Western OEM pages (437, 850, 852, 857) have no decoder in Node: their non-ASCII bytes only ever
 * occur inside words, which this parser does not read.
 */
export function decodeOutput(bytes: Buffer | string, codepage?: number): string {
  if (typeof bytes === 'string') return bytes;
  const tryDecode = (label: string): string | undefined => {
    try {
      return new TextDecoder(label, { fatal: true }).decode(bytes);
    } catch {
      return undefined;
    }
  };
  const utf8 = tryDecode('utf-8');
  if (utf8 !== undefined) return utf8;
  const label = codepage === undefined ? undefined : codepageLabels[codepage];
  if (label) {
    const text = tryDecode(label);
    if (text !== undefined) return text;
  }
  for (const guess of guessOrder) {
    const text = tryDecode(guess);
    if (text !== undefined) return text;
  }
  return new TextDecoder('windows-1252').decode(bytes);
}

/** A character that can be part of a unit: ASCII letters or any non-ASCII letter/symbol, not punctuation. */
const unitRun = /^(\s?)((?:[A-Za-z]|[^\p{ASCII}\p{P}\p{Z}\p{N}])+)/u;
/** Longest unit accepted ("мсек"); longer words after a number are prose ("Destination"). */
const maxUnitLength = 6;

interface ValueToken {
  op: '=' | '<';
  value: number;
  integer: boolean;
  unit: string | undefined;
  label: string;
}

function valueTokens(line: string): ValueToken[] {
  const tokens: ValueToken[] = [];
  for (const m of line.matchAll(/([=<])\s*(\d+(?:\.\d+)?)(?![\d.])/g)) {
    const end = (m.index ?? 0) + m[0].length;
    const rest = line.slice(end);
    const u = unitRun.exec(rest);
    let unit: string | undefined;
    if (u?.[2] && u[2].length <= maxUnitLength) {
      // A word followed by `=`/`<`/`:` is the next value's label (`=32 TTL=…`, `=32 時間 =7ms`).
      const after = rest.slice(u[0].length);
      if (!/^\s*[=<:]/.test(after)) unit = u[2];
    }
    const before = line.slice(0, m.index).trimEnd();
    const label = /(\S*)$/.exec(before)?.[1] ?? '';
    tokens.push({ op: m[1] as '=' | '<', value: Number(m[2]), integer: !m[2]!.includes('.'), unit, label });
  }
  return tokens;
}

const slashSummary = /=\s*(\d+(?:\.\d+)?)\/(\d+(?:\.\d+)?)\/(\d+(?:\.\d+)?)(?:\/(\d+(?:\.\d+)?|nan))?/;

/** Reads the facts out of ping's output; never throws. */
export function parsePingOutput(output: Buffer | string, codepage?: number): PingOutputFacts {
  const text = decodeOutput(output, codepage);
  const facts: PingOutputFacts = { rttsMs: [] };
  const lines = text.split(/\r\n|\r|\n/);
  for (const [i, rawLine] of lines.entries()) {
    const line = rawLine.trim();
    if (!line) continue;
    // ping ends every line it prints; a last line without an end was cut mid-write (process killed,
    // output truncated), and `bytes=32 ti` must not pass for a reply with a unit.
    const cut = i === lines.length - 1;

    const slash = slashSummary.exec(line);
    if (slash) {
      const [min, avg, max] = [Number(slash[1]), Number(slash[2]), Number(slash[3])];
      if (min <= avg && avg <= max) {
        const sd = slash[4] !== undefined && slash[4] !== 'nan' ? Number(slash[4]) : undefined;
        facts.reported = { minMs: min, avgMs: avg, maxMs: max, stddevMs: sd };
      }
      continue;
    }

    const tokens = valueTokens(line);
    // icmp_seq/seq numbers are never round trips, whatever follows them.
    const withUnit = tokens.filter((t) => t.unit !== undefined && !/seq$/i.test(t.label));
    if (withUnit.length === 1 && !cut) {
      const t = withUnit[0]!;
      // `<1ms`: below the resolution; the midpoint of [0, 1) is the least wrong single number.
      facts.rttsMs.push(t.op === '<' ? t.value / 2 : t.value);
      continue;
    }
    if (withUnit.length === 3) {
      const [min, avg, max] = withUnit
        .map((t) => (t.op === '<' ? t.value / 2 : t.value))
        .sort((a, b) => a - b);
      facts.reported = { minMs: min!, avgMs: avg!, maxMs: max! };
      continue;
    }

    const counts = tokens
      .filter((t) => t.op === '=' && t.unit === undefined && t.integer)
      .map((t) => t.value);
    if (counts.length === 3) {
      const [sent, received, lost] = counts as [number, number, number];
      if (sent >= 1 && sent === received + lost) {
        facts.statsSent = sent;
        facts.statsReceived = received;
        continue;
      }
    }

    const unix = unixStats(line);
    if (unix) {
      facts.statsSent = unix.sent;
      facts.statsReceived = unix.received;
    }
  }
  return facts;
}

/**
 * `5 packets transmitted, 3 received, +2 errors, 40% packet loss, time 4010ms`: the first two
 * unsigned integers, then a percentage consistent with them (ping truncates or rounds it).
 */
function unixStats(line: string): { sent: number; received: number } | undefined {
  const pct = /(\d+(?:\.\d+)?)%/.exec(line);
  if (!pct) return undefined;
  const head = line.slice(0, pct.index);
  const ints = [...head.matchAll(/(?<![\d.+])(\d+)(?![\d.])/g)].map((m) => Number(m[1]));
  if (ints.length < 2) return undefined;
  const [sent, received] = ints as [number, number];
  if (sent < 1 || received > sent) return undefined;
  const expected = ((sent - received) / sent) * 100;
  if (Math.abs(expected - Number(pct[1])) > 1) return undefined;
  return { sent, received };
}

/**
 * Decides what a probe's output means. Replies are counted from reply lines carrying a round trip,
 * so Windows' "Destination net unreachable" answers (which it counts as received) are not "up".
 * Without reply lines, a printed round-trip summary proves replies came back (output was trimmed).
 *
 * @example
 * interpretPingOutput(readFileSync('ping.txt'), { expectedSent: 3 });
 * // → { ok: true, probe: { sent: 3, received: 3, rttsMs: [33, 32, 33], reported: {...} } }
 */
export function interpretPingOutput(output: Buffer | string, options: ParseOptions = {}): ProbeParse {
  if (output.length === 0 || decodeOutput(output, options.codepage).trim() === '') {
    return { ok: false, reason: 'empty output' };
  }
  const facts = parsePingOutput(output, options.codepage);
  const sent = facts.statsSent ?? options.expectedSent;
  if (sent === undefined) {
    return { ok: false, reason: 'no statistics line: cannot tell how many echoes were sent' };
  }
  let received: number;
  if (facts.rttsMs.length > 0) {
    received = Math.min(facts.rttsMs.length, facts.statsReceived ?? Number.POSITIVE_INFINITY, sent);
  } else if (facts.reported && (facts.statsReceived ?? 0) > 0) {
    received = Math.min(facts.statsReceived ?? 0, sent);
  } else {
    received = 0;
  }
  return { ok: true, probe: { sent, received, rttsMs: facts.rttsMs, reported: facts.reported } };
}
