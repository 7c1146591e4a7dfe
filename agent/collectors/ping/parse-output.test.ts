import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeOutput, interpretPingOutput, parsePingOutput } from './parse-output.js';
import { summarize } from './stats.js';

const fixtureDir = fileURLToPath(new URL('../../../../shared/fixtures/ping/', import.meta.url));
const fixture = (name: string) => readFileSync(fixtureDir + name);

interface Expected {
  sent: number;
  received: number;
  rtts: number[];
  /** ping's own summary as printed: [min, avg, max] (+ stddev on Unix). */
  reported?: [number, number, number, number?];
}

/**
 * Read by eye from each capture (see ../shared/fixtures/SOURCES.md). `<1ms` replies are 0.5 ms.
 * Windows prints Minimum, Maximum, Average: listed here as [min, avg, max].
 */
const expected: Record<string, Expected | 'unparseable'> = {
  'freebsd-ping6-replies-telegraf.txt': {
    sent: 5,
    received: 5,
    rtts: [93.87, 40.278, 59.077, 37.102, 35.727],
    reported: [35.727, 53.211, 93.87, 22.0],
  },
  'linux-busybox-alpine-ipv6-replies-snclient.txt': {
    sent: 2,
    received: 2,
    rtts: [0.067, 0.1],
    reported: [0.067, 0.083, 0.1],
  },
  'linux-busybox-alpine-timeout-all-snclient.txt': { sent: 2, received: 0, rtts: [] },
  'linux-busybox-replies-telegraf.txt': {
    sent: 4,
    received: 4,
    rtts: [22.559, 15.81, 16.262, 15.815],
    reported: [15.81, 17.611, 22.559],
  },
  'linux-iputils-debian12-dest-host-unreachable-snclient.txt': { sent: 2, received: 0, rtts: [] },
  'linux-iputils-debian12-replies-snclient.txt': {
    sent: 2,
    received: 2,
    rtts: [0.359, 0.393],
    reported: [0.359, 0.376, 0.393, 0.017],
  },
  'linux-iputils-dest-host-unreachable.txt': { sent: 5, received: 0, rtts: [] },
  'linux-iputils-ipv6-hostname-replies.txt': {
    sent: 2,
    received: 2,
    rtts: [1.66, 1.42],
    reported: [1.429, 1.546, 1.663, 0.117],
  },
  'linux-iputils-ipv6-replies.txt': {
    sent: 2,
    received: 2,
    rtts: [0.672, 1.0],
    reported: [0.672, 0.84, 1.009, 0.17],
  },
  'linux-iputils-localhost-replies.txt': {
    sent: 4,
    received: 4,
    rtts: [0.022, 0.027, 0.029, 0.03],
    reported: [0.022, 0.027, 0.03, 0.003],
  },
  'linux-iputils-partial-loss-telegraf.txt': {
    sent: 5,
    received: 3,
    rtts: [35.2, 45.1, 51.8],
    reported: [35.225, 44.033, 51.806, 5.325],
  },
  'linux-iputils-partial-loss-unreachable.txt': {
    sent: 19,
    received: 11,
    rtts: [2.98, 0.89, 0.711, 0.863, 1.2, 797, 3.86, 1.62, 0.702, 0.783, 0.646],
    reported: [0.646, 73.819, 797.744, 228.927],
  },
  'linux-iputils-replies-telegraf.txt': {
    sent: 5,
    received: 5,
    rtts: [35.2, 42.3, 45.1, 43.5, 51.8],
    reported: [35.225, 43.628, 51.806, 5.325],
  },
  'linux-iputils-single-reply.txt': {
    sent: 1,
    received: 1,
    rtts: [9.16],
    reported: [9.162, 9.162, 9.162, 0],
  },
  'macos-14-replies-snclient.txt': {
    sent: 5,
    received: 5,
    rtts: [0.04, 0.095, 0.086, 0.06, 0.051],
    reported: [0.04, 0.066, 0.095, 0.021],
  },
  'macos-14-timeout-all-snclient.txt': { sent: 5, received: 0, rtts: [] },
  'macos-bsd-replies-telegraf.txt': {
    sent: 5,
    received: 5,
    rtts: [15.087, 21.564, 27.263, 18.828, 18.378],
    reported: [15.087, 20.224, 27.263, 4.076],
  },
  'macos-bsd-timeout-all-telegraf.txt': { sent: 2, received: 0, rtts: [] },
  'macos-replies.txt': {
    sent: 4,
    received: 4,
    rtts: [5.371, 4.269, 4.97, 5.228],
    reported: [4.269, 4.96, 5.371, 0.424],
  },
  // stddev printed as "nan": no stddev.
  'macos-zh-locale-kj-single.txt': { sent: 1, received: 1, rtts: [4.628], reported: [4.628, 4.628, 4.628] },
  // HAND-EDITED: replies say <1ms, the summary says 3/9/6; per-reply round trips win.
  'windows-de-ipv6-lt1ms-snclient.txt': {
    sent: 5,
    received: 5,
    rtts: [0.5, 0.5, 0.5, 0.5, 0.5],
    reported: [3, 6, 9],
  },
  'windows-de-ipv6-replies-nodeping.txt': {
    sent: 4,
    received: 4,
    rtts: [11, 11, 18, 11],
    reported: [11, 12, 18],
  },
  'windows-en-bad-option-usage-telegraf.txt': 'unparseable',
  // Windows says Received = 4, but every answer was an ICMP error from a router: nothing is up.
  'windows-en-dest-net-unreachable-all-snclient.txt': { sent: 4, received: 0, rtts: [] },
  'windows-en-dest-net-unreachable-telegraf.txt': { sent: 4, received: 0, rtts: [] },
  'windows-en-replies-crlf-wireguide.txt': {
    sent: 3,
    received: 3,
    rtts: [33, 32, 33],
    reported: [32, 32, 33],
  },
  'windows-en-replies-nodeping.txt': {
    sent: 4,
    received: 4,
    rtts: [564, 555, 554, 548],
    reported: [548, 555, 564],
  },
  'windows-en-replies-snclient.txt': { sent: 3, received: 3, rtts: [11, 5, 5], reported: [5, 7, 11] },
  'windows-en-replies-telegraf.txt': { sent: 4, received: 4, rtts: [52, 50, 50, 51], reported: [50, 50, 52] },
  'windows-en-timeout-all-snclient.txt': { sent: 3, received: 0, rtts: [] },
  'windows-en-ttl-expired-telegraf.txt': { sent: 4, received: 0, rtts: [] },
  // A fragment: only the RTT summary, so nothing says how many echoes were sent.
  'windows-es-rtt-summary-fragment-issue.txt': 'unparseable',
  'windows-fr-replies-lt1ms-accented-issue.txt': {
    sent: 4,
    received: 4,
    rtts: [0.5, 0.5, 0.5, 0.5],
    reported: [0, 0, 0],
  },
  'windows-fr-replies-lt1ms-nodeping.txt': {
    sent: 4,
    received: 4,
    rtts: [0.5, 0.5, 0.5, 0.5],
    reported: [0, 0, 0],
  },
  'windows-fr-replies-nodeping.txt': { sent: 4, received: 4, rtts: [6, 6, 6, 6], reported: [6, 6, 6] },
  'windows-ja-replies-hostname-nodeping.txt': {
    sent: 4,
    received: 4,
    rtts: [7, 5, 4, 4],
    reported: [4, 5, 7],
  },
  'windows-ja-replies-nodeping.txt': { sent: 4, received: 4, rtts: [4, 4, 5, 6], reported: [4, 4, 6] },
  'windows-ko-replies-cp949.txt': { sent: 3, received: 3, rtts: [33, 32, 33], reported: [32, 32, 33] },
  'windows-ko-replies-utf8-transcoded.txt': {
    sent: 3,
    received: 3,
    rtts: [33, 32, 33],
    reported: [32, 32, 33],
  },
  'windows-pl-partial-loss-telegraf.txt': {
    sent: 9,
    received: 7,
    rtts: [114, 114, 118, 114, 114, 119, 116],
    reported: [114, 115, 119],
  },
  'windows-pl-replies-ascii-telegraf.txt': {
    sent: 4,
    received: 4,
    rtts: [49, 46, 48, 57],
    reported: [46, 50, 57],
  },
  'windows-pl-timeout-all-telegraf.txt': { sent: 4, received: 0, rtts: [] },
  'windows-ru-replies-nodeping.txt': { sent: 4, received: 4, rtts: [37, 33, 38, 34], reported: [33, 35, 38] },
  'windows-zh-replies-lt1ms-nodeping.txt': {
    sent: 4,
    received: 4,
    rtts: [0.5, 0.5, 0.5, 0.5],
    reported: [0, 0, 0],
  },
  'windows-zh-replies-nodeping.txt': { sent: 4, received: 4, rtts: [2, 2, 3, 3], reported: [2, 2, 3] },
};

/** Not ground truth (see SOURCES.md): only checked for sane behaviour below. */
const handwritten = 'windows-vi-HANDWRITTEN-mock-stats.txt';

function expectProbe(bytes: Buffer | string, want: Expected | 'unparseable', codepage?: number) {
  const result = interpretPingOutput(bytes, { codepage });
  if (want === 'unparseable') {
    expect(result.ok).toBe(false);
    return;
  }
  expect(result).toMatchObject({
    ok: true,
    probe: { sent: want.sent, received: want.received, rttsMs: want.rtts },
  });
  const facts = parsePingOutput(bytes, codepage);
  if (want.reported) {
    const [minMs, avgMs, maxMs, stddevMs] = want.reported;
    expect(facts.reported).toEqual({ minMs, avgMs, maxMs, ...(stddevMs !== undefined ? { stddevMs } : {}) });
  } else {
    expect(facts.reported).toBeUndefined();
  }
}

describe('interpretPingOutput on every captured ping output', () => {
  it('has an expectation for every fixture file, so a new capture cannot be skipped silently', () => {
    const files = readdirSync(fixtureDir).filter((f) => f !== handwritten);
    expect(files.sort()).toEqual(Object.keys(expected).sort());
  });

  for (const [file, want] of Object.entries(expected)) {
    it(`reads ${file} as ${want === 'unparseable' ? 'unparseable' : `${want.sent} sent / ${want.received} received`}`, () => {
      expectProbe(fixture(file), want);
    });
  }
});

describe('interpretPingOutput in a language it has never seen', () => {
  // Every word replaced by a same-length word of Vietnamese letters (units, TTL and labels
  // included): only structure and numbers are left to read.
  const letters = 'ạăâđêôơưởữ';
  const scramble = (text: string) =>
    text.replace(/\p{L}+/gu, (w) =>
      Array.from(w, (_c, i) => letters[(w.length + i) % letters.length]).join(''),
    );

  for (const [file, want] of Object.entries(expected)) {
    it(`reads ${file} with every word replaced the same as the original`, () => {
      expectProbe(scramble(decodeOutput(fixture(file))), want);
    });
  }

  it('does something sane with the HAND-WRITTEN Vietnamese mock (no reply lines, a summary)', () => {
    const result = interpretPingOutput(fixture(handwritten));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.probe.sent).toBe(2);
    expect(result.probe.received).toBeLessThanOrEqual(2);
    const stats = summarize(result.probe.sent, result.probe.rttsMs, {
      received: result.probe.received,
      reported: result.probe.reported,
    });
    if (stats.up) {
      expect(stats.rtt_min_ms).toBeGreaterThanOrEqual(41.2);
      expect(stats.rtt_max_ms).toBeLessThanOrEqual(45);
    } else {
      expect(stats.rtt_avg_ms).toBeUndefined();
    }
  });
});

describe('decodeOutput with the raw bytes of a Windows console', () => {
  it('decodes the genuine CP949 Korean capture to the same text as its UTF-8 transcoding', () => {
    const raw = decodeOutput(fixture('windows-ko-replies-cp949.txt'), 949);
    expect(raw).toBe(fixture('windows-ko-replies-utf8-transcoded.txt').toString('utf8'));
    expect(decodeOutput(fixture('windows-ko-replies-cp949.txt'))).toContain('TTL=114');
  });

  // The UTF-8 captures were OEM bytes on the console; iconv turns them back into those bytes.
  const reencoded: [string, string, number][] = [
    ['windows-ru-replies-nodeping.txt', 'CP866', 866],
    ['windows-ja-replies-hostname-nodeping.txt', 'CP932', 932],
    ['windows-zh-replies-nodeping.txt', 'BIG5', 950],
    ['windows-fr-replies-lt1ms-accented-issue.txt', 'CP850//TRANSLIT', 850],
    ['windows-pl-partial-loss-telegraf.txt', 'CP852', 852],
    ['windows-de-ipv6-replies-nodeping.txt', 'CP850', 850],
  ];
  for (const [file, iconvName, codepage] of reencoded) {
    it(`reads ${file} re-encoded to ${iconvName}, with and without being told the code page`, () => {
      const bytes = execFileSync('iconv', ['-f', 'UTF-8', '-t', iconvName, fixtureDir + file], {
        timeout: 5000,
      });
      expect(bytes.equals(fixture(file))).toBe(false);
      expectProbe(bytes, expected[file]!, codepage);
      expectProbe(bytes, expected[file]!);
    });
  }
});

describe('interpretPingOutput on garbage, empty and truncated output', () => {
  it('reports empty output as unparseable, for an empty buffer and for blank lines', () => {
    expect(interpretPingOutput(Buffer.alloc(0))).toEqual({ ok: false, reason: 'empty output' });
    expect(interpretPingOutput('\r\n  \n\t')).toEqual({ ok: false, reason: 'empty output' });
  });

  it('never reads random bytes as a target that is up', () => {
    let seed = 12345;
    for (let n = 0; n < 200; n++) {
      const bytes = Buffer.alloc(50 + (n % 400));
      for (let i = 0; i < bytes.length; i++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        bytes[i] = seed & 0xff;
      }
      const result = interpretPingOutput(bytes);
      if (result.ok) expect(result.probe.received).toBe(0);
    }
  });

  it('cannot tell loss from output cut before the statistics, unless told how many echoes were sent', () => {
    const text = fixture('windows-en-replies-telegraf.txt').toString('utf8');
    const cut = text.slice(0, text.indexOf('Reply', text.indexOf('Reply') + 1) + 30); // one full reply, one cut
    expect(interpretPingOutput(cut).ok).toBe(false);
    expect(interpretPingOutput(cut, { expectedSent: 4 })).toEqual({
      ok: true,
      probe: { sent: 4, received: 1, rttsMs: [52], reported: undefined },
    });
  });

  it('reads a reply line cut inside its round trip as no reply', () => {
    const cut = 'Pinging 8.8.8.8 with 32 bytes of data:\r\nReply from 8.8.8.8: bytes=32 ti';
    expect(interpretPingOutput(cut, { expectedSent: 1 })).toMatchObject({ ok: true, probe: { received: 0 } });
  });

  it('ignores a statistics line whose numbers do not add up', () => {
    const text = 'Packets: Sent = 4, Received = 4, Lost = 3 (75% loss),\n';
    expect(interpretPingOutput(text).ok).toBe(false);
  });
});

describe('summarize', () => {
  it('computes min/avg/max/stddev/jitter from per-reply round trips', () => {
    expect(summarize(4, [52, 50, 50, 51])).toEqual({
      sent: 4,
      received: 4,
      loss_percent: 0,
      up: true,
      rtt_min_ms: 50,
      rtt_avg_ms: 50.75,
      rtt_max_ms: 52,
      rtt_stddev_ms: 0.829,
      jitter_ms: 1,
    });
  });

  it('reports a down target as 100 % loss with no rtt fields', () => {
    expect(summarize(3, [])).toEqual({ sent: 3, received: 0, loss_percent: 100, up: false });
  });

  it('reports partial loss and leaves jitter out with a single reply', () => {
    expect(summarize(3, [9.16])).toEqual({
      sent: 3,
      received: 1,
      loss_percent: 66.667,
      up: true,
      rtt_min_ms: 9.16,
      rtt_avg_ms: 9.16,
      rtt_max_ms: 9.16,
      rtt_stddev_ms: 0,
    });
  });

  it("uses ping's own summary when the reply lines are missing", () => {
    expect(summarize(2, [], { received: 2, reported: { minMs: 41.2, avgMs: 43.1, maxMs: 45 } })).toEqual({
      sent: 2,
      received: 2,
      loss_percent: 0,
      up: true,
      rtt_min_ms: 41.2,
      rtt_avg_ms: 43.1,
      rtt_max_ms: 45,
    });
  });
});
