import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { checkAgainstCatalogue, type Point } from '../../../protocol/index.js';
import type { CollectContext } from '../../collector.js';
import { loadAgentConfig } from '../../config.js';
import { hostCollector } from './index.js';
import { ignored, rates } from './net.js';
import { rebootRequired as linuxReboot } from './reboot.linux.js';
import { pendingRebootKeys, rebootRequired as windowsReboot } from './reboot.windows.js';

function context(memory = new Map<string, unknown>(), at = Date.now()): CollectContext {
  return {
    signal: new AbortController().signal,
    log: pino({ level: 'silent' }),
    now: () => at,
    hostname: 'pc-test',
    stateDir: tmpdir(),
    memory,
  };
}

const run = async (ctx: CollectContext) =>
  (await hostCollector.collect(hostCollector.config.parse({}), ctx)).map(
    (p) => ({ ...p, time: ctx.now() }) as Point,
  );

describe('host collector on this machine', () => {
  it('reports memory, disks, users, pending reboot and interface counters that fit the catalogue', async () => {
    const points = await run(context());
    expect(checkAgainstCatalogue(points)).toEqual([]);
    const [h] = points.filter((p) => p.measurement === 'host');
    expect(h?.fields.mem_total_bytes).toBe(totalmem());
    expect(h?.fields.users_logged_in).toBeGreaterThanOrEqual(0);
    // Debian: the marker file is absent here, so the answer is a measured "no", not a missing field.
    expect(h?.fields.reboot_required).toBe(false);
    const nics = points.filter((p) => p.measurement === 'host_net');
    expect(nics.map((n) => n.tags.interface)).not.toContain('lo');
    expect(nics.length).toBeGreaterThan(0);
    for (const n of nics) {
      expect(n.fields.rx_bytes).toBeGreaterThanOrEqual(0);
      expect(n.fields).not.toHaveProperty('rx_bps');
    }
  });

  it('gives bits per second on the second run, from the counter deltas', async () => {
    const memory = new Map<string, unknown>();
    const first = await run(context(memory, Date.now() - 2_000));
    const second = await run(context(memory, Date.now()));
    const before = first.find((p) => p.measurement === 'host_net');
    const after = second.find(
      (p) => p.measurement === 'host_net' && p.tags.interface === before?.tags.interface,
    );
    const seconds = ((after?.time ?? 0) - (before?.time ?? 0)) / 1000;
    const expected = ((Number(after?.fields.rx_bytes) - Number(before?.fields.rx_bytes)) * 8) / seconds;
    expect(after?.fields.rx_bps).toBe(Math.round(expected));
  });
});

describe('rates', () => {
  it('is absent on the first sample and after a counter went backwards', () => {
    expect(rates(undefined, { at: 1000, rx_bytes: 5, tx_bytes: 5 })).toBeUndefined();
    expect(
      rates({ at: 0, rx_bytes: 900, tx_bytes: 5 }, { at: 1000, rx_bytes: 100, tx_bytes: 9 }),
    ).toBeUndefined();
    expect(rates({ at: 0, rx_bytes: 0, tx_bytes: 0 }, { at: 0, rx_bytes: 9, tx_bytes: 9 })).toBeUndefined();
  });
  it('is bits per second between two samples', () => {
    expect(
      rates({ at: 0, rx_bytes: 1_000, tx_bytes: 0 }, { at: 2_000, rx_bytes: 251_000, tx_bytes: 500 }),
    ).toEqual({
      rx_bps: 1_000_000,
      tx_bps: 2_000,
    });
  });
});

describe('ignored interfaces', () => {
  it('matches exact names and trailing-* prefixes only', () => {
    const patterns = ['lo', 'veth*'];
    expect(['lo', 'veth12ab', 'eth0', 'lo0', 'vet'].filter((i) => ignored(i, patterns))).toEqual([
      'lo',
      'veth12ab',
    ]);
  });
});

describe('pending reboot', () => {
  it('on Debian: true when the marker file exists, false when not, absent on other families', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hatang-reboot-'));
    const marker = join(dir, 'reboot-required');
    expect(await linuxReboot(true, [marker])).toBe(false);
    expect(await linuxReboot(false, [marker])).toBeUndefined();
    writeFileSync(marker, '*** System restart required ***\n');
    expect(await linuxReboot(true, [marker])).toBe(true);
    expect(await linuxReboot(false, [marker])).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });

  it('on Windows: from reg query exit codes — 0 key present, 1 absent, anything else unknown', async () => {
    const signal = new AbortController().signal;
    const codes = (c: Record<string, number>) => async (key: string) => c[key] ?? 1;
    const [cbs, wu] = pendingRebootKeys;
    expect(await windowsReboot(signal, codes({}))).toBe(false);
    expect(await windowsReboot(signal, codes({ [wu]: 0 }))).toBe(true);
    expect(await windowsReboot(signal, codes({ [cbs]: 0 }))).toBe(true);
    expect(await windowsReboot(signal, codes({ [cbs]: -1 }))).toBeUndefined();
  });
});

describe('example.yaml', () => {
  it('is a valid agent collector entry', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hatang-host-example-'));
    const file = join(dir, 'agent.yaml');
    const example = readFileSync(new URL('./example.yaml', import.meta.url), 'utf8');
    writeFileSync(
      file,
      `agent: { state_dir: /tmp/x }\nserver: { urls: ["http://127.0.0.1:8080"] }\n${example}`,
    );
    const cfg = loadAgentConfig(file, { env: {} });
    expect(cfg.collectors[0]).toMatchObject({ type: 'host', interval: 30_000, timeout: 20_000 });
    rmSync(dir, { recursive: true, force: true });
  });
});
