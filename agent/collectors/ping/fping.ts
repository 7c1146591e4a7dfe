import type { PingEngine, ProbeOptions, ProbeOutcome } from './engine.js';
import { runProcess } from './run-process.js';

/** `127.0.0.1 : 0.03 0.04 -` — fping -C's per-target line on stderr, the same in every locale. */
const resultLine = /^(\S+)\s+:\s+((?:-|\d+(?:\.\d+)?)(?:\s+(?:-|\d+(?:\.\d+)?))*)\s*$/;

/** Parses fping -C -q's stderr into per-address outcomes (lines that are not results are skipped). */
export function parseFpingOutput(stderr: string, count: number): Map<string, ProbeOutcome> {
  const results = new Map<string, ProbeOutcome>();
  for (const line of stderr.split('\n')) {
    const m = resultLine.exec(line.trim());
    if (!m) continue;
    const values = m[2]!.split(/\s+/);
    const rttsMs = values.filter((v) => v !== '-').map(Number);
    results.set(m[1]!, { sent: Math.max(count, values.length), received: rttsMs.length, rttsMs });
  }
  return results;
}

/** How long fping needs: every target's echoes are `period` apart, all echoes `interval` apart. */
export function fpingDurationMs(targets: number, o: ProbeOptions): number {
  return Math.max(o.count * o.periodMs, targets * o.count * o.packetIntervalMs) + o.timeoutMs;
}

/**
 * One fping process per call for all the addresses (read from stdin, so thousands fit).
 * `-C n -q` prints each target's round trips or `-` per lost echo; exit code 1 (some unreachable)
 * and 2 (some name unresolvable) are data, anything else means fping could not run.
 */
export function fpingEngine(path: string): PingEngine {
  return {
    name: 'fping',
    async probe(addresses, options, signal) {
      const unique = [...new Set(addresses)];
      const out = new Map<string, ProbeOutcome>();
      if (unique.length === 0) return out;
      const args = [
        '-C',
        String(options.count),
        '-q',
        '-p',
        String(Math.max(1, Math.round(options.periodMs))),
        '-i',
        String(Math.max(1, Math.round(options.packetIntervalMs))),
        '-t',
        String(Math.max(1, Math.round(options.timeoutMs))),
      ];
      const expected = fpingDurationMs(unique.length, options);
      const result = await runProcess(path, args, {
        input: `${unique.join('\n')}\n`,
        timeoutMs: Math.round(expected * 1.5) + 5_000,
        signal,
        env: { ...process.env, LC_ALL: 'C' },
      });
      const stderr = result.stderr.toString('utf8');
      if (result.code !== 0 && result.code !== 1 && result.code !== 2) {
        const first = stderr.trim().split('\n')[0] ?? '';
        throw new Error(`fping: exited with code ${result.code}: ${first || 'no message'}`);
      }
      const parsed = parseFpingOutput(stderr, options.count);
      // Not one result line (a usage text, a socket error) is fping failing, not every target down;
      // only unresolvable names (exit 2) legitimately leave no result line.
      if (parsed.size === 0 && result.code !== 2) {
        const first = stderr.trim().split('\n')[0] ?? '';
        throw new Error(`fping: no per-target results (exit code ${result.code}): ${first || 'no message'}`);
      }
      for (const address of unique) {
        const got = parsed.get(address);
        if (got) {
          out.set(address, got);
          continue;
        }
        // fping skips targets it cannot resolve and says why on a line of their own.
        const why = stderr
          .split('\n')
          .find((l) => l.startsWith(`${address}:`) || l.startsWith(`${address} `));
        out.set(address, {
          sent: options.count,
          received: 0,
          rttsMs: [],
          error: why ? why.trim().slice(0, 200) : 'fping reported no result for this target',
        });
      }
      return out;
    },
  };
}
