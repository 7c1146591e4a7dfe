import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAgainstCatalogue, type Point, pointSchema } from '../../../protocol/index.js';
import { inventoryCollector, normaliseInventory } from './index.js';
import { systemInformationSource } from './source.js';
import { testContext } from './testing.js';

/** Real passes over this machine with systeminformation: no seam, nothing captured. */
describe('inventory collector on this machine', () => {
  let stateDir: string;
  beforeAll(() => {
    stateDir = mkdtempSync(join(os.tmpdir(), 'ht-inventory-real-'));
  });
  afterAll(() => {
    rmSync(stateDir, { recursive: true, force: true });
  });
  const cfg = inventoryCollector.config.parse({});

  it('reads a sane inventory: memory as the OS counts it, this platform, its cores and NICs', async () => {
    const started = performance.now();
    const points = await inventoryCollector.collect(cfg, testContext(stateDir, Date.now()));
    const wallMs = performance.now() - started;
    // Printed, not asserted: the machine is shared; bench/agent-footprint/inventory-pass.ts measures.
    console.log(`inventory pass on this machine: ${wallMs.toFixed(0)} ms`);

    expect(points).toHaveLength(1);
    const fields = points[0]!.fields;
    expect(Math.abs((fields.mem_total_bytes as number) - os.totalmem())).toBeLessThan(1024 ** 2);
    expect(fields.os_platform).toBe(process.platform);
    expect(fields.arch).toBe(process.arch);
    expect(fields.cpu_logical_cores).toBe(os.cpus().length);
    expect(fields.changed).toBe(false);
    expect(fields.inventory_hash).toMatch(/^[0-9a-f]{64}$/);
    for (const [name, v] of Object.entries(fields)) {
      if (typeof v === 'string') expect(v, name).not.toBe('');
    }
    // Every interface the OS shows with a hardware address and an IPv4 address, bar loopback and the
    // default exclusions, is a NIC of the inventory.
    const macs = String(fields.macs).split(',');
    const expected = Object.entries(os.networkInterfaces())
      .filter(([name]) => !/^(lo|docker|veth|br-|virbr|vmnet|vboxnet|tun|tap|wg|zt)/.test(name))
      .flatMap(([, addrs]) =>
        (addrs ?? []).filter((a) => !a.internal && a.family === 'IPv4' && a.mac !== '00:00:00:00:00:00'),
      );
    for (const a of expected) expect(macs).toContain(a.mac);

    const wire = pointSchema.parse({ ...points[0], time: Date.now() }) as Point;
    expect(checkAgainstCatalogue([wire])).toEqual([]);
  });

  it('finds the same hash on the next pass: nothing volatile is hashed, so nothing is written', async () => {
    const points = await inventoryCollector.collect(cfg, testContext(stateDir, Date.now()));
    expect(points).toEqual([]);
  });

  it('names this host as the OS does', async () => {
    const raw = await systemInformationSource({ signal: AbortSignal.timeout(30_000), callTimeoutMs: 20_000 });
    expect(normaliseInventory(raw).os.hostname).toBe(os.hostname());
  });

  it('stops waiting at once when the run is already aborted, naming the call', async () => {
    const ac = new AbortController();
    ac.abort(new Error('agent stopping'));
    const err = await systemInformationSource({ signal: ac.signal, callTimeoutMs: 20_000 }).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toBe('agent stopping');
  });

  it('gives up on a call that outlives call_timeout, naming it, with the cause kept', async () => {
    const err = await systemInformationSource({
      signal: new AbortController().signal,
      callTimeoutMs: 1,
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('inventory system: no answer within 1 ms');
    expect(((err as Error).cause as Error).name).toBe('TimeoutError');
  });
});
