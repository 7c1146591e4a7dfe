import { z } from 'zod';

const durationUnits = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const byteUnits = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 } as const;

/** Parses "250ms", "30s", "5m", "1.5h", "7d" into milliseconds; throws naming the text otherwise. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a duration (examples: 500ms, 30s, 5m, 1h, 7d)`);
  return Number(m[1]) * durationUnits[m[2] as keyof typeof durationUnits];
}

/** Parses "64MiB", "1GB", "512KiB", "1000B" into bytes. */
export function parseBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a size (examples: 512KiB, 64MiB, 1GiB)`);
  return Math.round(Number(m[1]) * byteUnits[m[2] as keyof typeof byteUnits]);
}

function fromText(parse: (t: string) => number) {
  return z.string().transform((text, ctx) => {
    try {
      return parse(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });
}

/** A duration written as text in config ("30s"), parsed to milliseconds. */
export const duration = () => fromText(parseDuration);
/** A size written as text in config ("64MiB"), parsed to bytes. */
export const byteSize = () => fromText(parseBytes);
