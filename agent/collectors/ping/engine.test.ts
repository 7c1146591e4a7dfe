import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chooseEngine, type ProbeOptions } from './engine.js';
import { fpingEngine, parseFpingOutput } from './fping.js';
import { runProcess } from './run-process.js';
import { systemPingEngine } from './system-ping.js';
import { unixPingCommand } from './system-ping.unix.js';

const fast: ProbeOptions = { count: 3, periodMs: 20, packetIntervalMs: 1, timeoutMs: 500 };
const never = new AbortController().signal;

/** Pids of the live children of this process (read from /proc; nothing is killed). */
function childPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === process.pid && fields[0] !== 'Z') pids.push(Number(entry));
    } catch {
      // exited while reading
    }
  }
  return pids;
}

describe('fping engine on loopback', () => {
  const engine = fpingEngine('/usr/bin/fping');

  it('reports every echo answered for 127.0.0.1 and other 127.x addresses', async () => {
    const addresses = ['127.0.0.1', '127.0.0.2', '127.3.4.5'];
    const results = await engine.probe(addresses, fast, never);
    for (const a of addresses) {
      const r = results.get(a);
      expect(r, a).toMatchObject({ sent: 3, received: 3 });
      expect(r?.rttsMs).toHaveLength(3);
      for (const rtt of r?.rttsMs ?? []) expect(rtt).toBeLessThan(50);
      expect(r?.error).toBeUndefined();
    }
  });

  it('probes a duplicated address once and reports it once', async () => {
    const results = await engine.probe(['127.0.0.1', '127.0.0.1'], { ...fast, count: 2 }, never);
    expect([...results.keys()]).toEqual(['127.0.0.1']);
    expect(results.get('127.0.0.1')).toMatchObject({ sent: 2, received: 2 });
  });

  it('kills fping and rejects soon after the signal aborts a long sweep', async () => {
    const ac = new AbortController();
    const before = childPids();
    const started = performance.now();
    const run = engine.probe(
      ['127.0.0.1'],
      { count: 100, periodMs: 200, packetIntervalMs: 1, timeoutMs: 500 },
      ac.signal,
    );
    setTimeout(() => ac.abort(new Error('cycle timeout')), 100);
    await expect(run).rejects.toThrow('fping: aborted');
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(childPids().filter((p) => !before.includes(p))).toEqual([]);
  });

  it('fails with a clear error when fping is not where the config says', async () => {
    await expect(fpingEngine('/nonexistent/fping').probe(['127.0.0.1'], fast, never)).rejects.toThrow(
      'fping: cannot run /nonexistent/fping',
    );
  });

  it('fails instead of reporting targets down when fping prints no result at all', async () => {
    // -C 0 (the config forbids it) makes fping print its usage text and exit 1.
    await expect(engine.probe(['127.0.0.1'], { ...fast, count: 0 }, never)).rejects.toThrow(
      'fping: no per-target results (exit code 1): Usage: /usr/bin/fping',
    );
  });
});

describe('parseFpingOutput', () => {
  it('reads round trips and "-" for lost echoes, skipping other lines', () => {
    // Lines as fping 5.1 printed them here (127.x) and for a namespace with its link down.
    const stderr = [
      '127.0.0.1    : 0.067 0.051 0.049',
      '10.231.7.2 : - - -',
      '10.231.7.6 : 0.110 - 0.043',
      'ICMP Host Unreachable from 10.231.7.1 for ICMP Echo sent to 10.231.7.2',
    ].join('\n');
    const r = parseFpingOutput(stderr, 3);
    expect(r.get('127.0.0.1')).toEqual({ sent: 3, received: 3, rttsMs: [0.067, 0.051, 0.049] });
    expect(r.get('10.231.7.2')).toEqual({ sent: 3, received: 0, rttsMs: [] });
    expect(r.get('10.231.7.6')).toEqual({ sent: 3, received: 2, rttsMs: [0.11, 0.043] });
    expect(r.size).toBe(3);
  });
});

describe('system ping engine on loopback (Linux iputils)', () => {
  const engine = systemPingEngine(unixPingCommand, { concurrency: 4 });

  it('reports every echo answered for 127.0.0.1 and 127.0.0.5, read by the locale-free parser', async () => {
    const results = await engine.probe(['127.0.0.1', '127.0.0.5'], { ...fast, periodMs: 200 }, never);
    for (const a of ['127.0.0.1', '127.0.0.5']) {
      const r = results.get(a);
      expect(r, a).toMatchObject({ sent: 3, received: 3 });
      expect(r?.rttsMs).toHaveLength(3);
      expect(r?.reported?.maxMs).toBeLessThan(50);
    }
  });

  it('reports a ping that outlives its time as that target down with the reason, others unaffected', async () => {
    // `sleep` stands in for a ping stuck resolving a name: it prints nothing and never ends in time.
    // The engine allows durationMs + 5 s per process, so -4,800 gives it 200 ms.
    const stuck = systemPingEngine(
      { command: 'sleep', args: (a) => (a === 'stuck' ? ['30'] : ['0']), durationMs: () => -4_800 },
      { concurrency: 2 },
    );
    const results = await stuck.probe(['stuck', 'quick'], fast, never);
    expect(results.get('stuck')).toEqual({
      sent: 3,
      received: 0,
      rttsMs: [],
      error: 'sleep: no result within 200 ms',
    });
    expect(results.get('quick')).toMatchObject({
      sent: 3,
      received: 0,
      error: expect.stringContaining('empty output'),
    });
  });

  it('fails with a clear error when no ping binary can be started', async () => {
    const missing = systemPingEngine(
      { ...unixPingCommand, command: '/nonexistent/ping' },
      { concurrency: 2 },
    );
    await expect(missing.probe(['127.0.0.1'], fast, never)).rejects.toThrow(
      'ping: cannot run /nonexistent/ping',
    );
  });
});

describe('runProcess', () => {
  it('kills a child that outlives its timeout and says so', async () => {
    const started = performance.now();
    await expect(runProcess('sleep', ['10'], { timeoutMs: 100, signal: never })).rejects.toThrow(
      'sleep: no result within 100 ms',
    );
    expect(performance.now() - started).toBeLessThan(3_000);
  });
});

describe('chooseEngine', () => {
  const base = { fping_path: '/usr/bin/fping', concurrency: 4 };
  it('picks fping when it is installed and the platform is not Windows', () => {
    expect(chooseEngine({ ...base, engine: 'auto' }, 'linux').name).toBe('fping');
  });
  it('falls back to the system ping when fping is missing', () => {
    expect(chooseEngine({ ...base, fping_path: '/nonexistent/fping', engine: 'auto' }, 'linux').name).toBe(
      'system',
    );
  });
  it('always uses ping.exe on Windows in auto mode', () => {
    expect(chooseEngine({ ...base, engine: 'auto' }, 'win32').name).toBe('system');
  });
  it('honours an explicit choice', () => {
    expect(chooseEngine({ ...base, engine: 'system' }, 'linux').name).toBe('system');
    expect(chooseEngine({ ...base, engine: 'fping' }, 'linux').name).toBe('fping');
  });
});
