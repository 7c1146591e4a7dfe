import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lib/config.js';
import { checkAgainstCatalogue, type Point, pointSchema } from '../../../protocol/index.js';
import type { CollectedPoint } from '../../collector.js';
import { loadAgentConfig } from '../../config.js';
import {
  createInventoryCollector,
  type InventoryConfig,
  inventoryConfig,
  type RawInventory,
} from './index.js';
import { STATE_FILE } from './state.js';
import { diskEntry, GiB, memModule, officePc, testContext } from './testing.js';

const T0 = Date.UTC(2026, 0, 5, 1, 0, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let stateDir: string;
beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'ht-inventory-test-'));
});
afterEach(() => {
  rmSync(stateDir, { recursive: true, force: true });
});

/** A collector reading `machine.raw` (edited by the test between runs) instead of this machine. */
function collectorOn(machine: { raw: RawInventory }) {
  return createInventoryCollector({ source: async () => structuredClone(machine.raw) });
}

const defaults: InventoryConfig = inventoryConfig.parse({});

async function run(machine: { raw: RawInventory }, now: number, cfg: InventoryConfig = defaults) {
  const ctx = testContext(stateDir, now);
  const points = await collectorOn(machine).collect(cfg, ctx);
  return { points, ctx };
}

const byMeasurement = (points: CollectedPoint[], m: string) => points.filter((p) => p.measurement === m);
const stateFile = () => JSON.parse(readFileSync(join(stateDir, STATE_FILE), 'utf8'));

describe('inventory collector', () => {
  it('writes the first inventory as a baseline: changed=false and no change event', async () => {
    const { points, ctx } = await run({ raw: officePc() }, T0);
    expect(points).toHaveLength(1);
    expect(points[0]).toMatchObject({
      measurement: 'inventory',
      tags: { hostname: 'pc-kt-07' },
      fields: {
        changed: false,
        serial: 'ABC1234',
        mem_total_bytes: 16 * GiB - 412 * 1024 ** 2,
        disk_count: 1,
      },
    });
    expect(stateFile()).toMatchObject({ version: 1, emitted_at: T0, hash: points[0]?.fields.inventory_hash });
    expect(ctx.logs.some((l) => l.level === 30 && /baseline/.test(l.msg))).toBe(true);
  });

  it('writes nothing on a later run when the inventory is unchanged and the heartbeat has not expired', async () => {
    const machine = { raw: officePc() };
    await run(machine, T0);
    const { points } = await run(machine, T0 + 15 * MINUTE);
    expect(points).toEqual([]);
    expect(stateFile().emitted_at).toBe(T0);
  });

  it('re-asserts the unchanged inventory with changed=false once the reassert period has passed', async () => {
    const machine = { raw: officePc() };
    const [baseline] = (await run(machine, T0)).points;
    expect((await run(machine, T0 + 6 * HOUR - MINUTE)).points).toEqual([]);
    const { points } = await run(machine, T0 + 6 * HOUR);
    expect(points).toEqual([{ ...baseline, fields: { ...baseline?.fields, changed: false } }]);
    expect(stateFile().emitted_at).toBe(T0 + 6 * HOUR);
    // The heartbeat restarts from the re-assertion.
    expect((await run(machine, T0 + 7 * HOUR)).points).toEqual([]);
  });

  it('honours a shorter configured reassert period', async () => {
    const machine = { raw: officePc() };
    const cfg = inventoryConfig.parse({ reassert: '30m' });
    await run(machine, T0, cfg);
    expect((await run(machine, T0 + 29 * MINUTE, cfg)).points).toEqual([]);
    expect((await run(machine, T0 + 30 * MINUTE, cfg)).points).toHaveLength(1);
  });

  it('reports a removed memory module: inventory changed=true plus one memory event, once', async () => {
    const machine = { raw: officePc() };
    const [baseline] = (await run(machine, T0)).points;
    machine.raw.memLayout = [memModule('BANK 0', 8 * GiB, '1A2B3C4D')];
    machine.raw.mem = { total: 8 * GiB - 300 * 1024 ** 2 };
    const { points } = await run(machine, T0 + 15 * MINUTE);
    expect(byMeasurement(points, 'inventory')).toHaveLength(1);
    const [inv] = byMeasurement(points, 'inventory');
    expect(inv?.fields).toMatchObject({
      changed: true,
      mem_total_bytes: 8 * GiB - 300 * 1024 ** 2,
      mem_module_count: 1,
    });
    expect(inv?.fields.inventory_hash).not.toBe(baseline?.fields.inventory_hash);
    expect(byMeasurement(points, 'inventory_change')).toEqual([
      {
        measurement: 'inventory_change',
        tags: { hostname: 'pc-kt-07', component: 'memory' },
        fields: {
          before: '15.6 GiB: BANK 0 8 GiB DDR4 SN 1A2B3C4D; BANK 1 8 GiB DDR4 SN 5E6F7A8B',
          after: '7.7 GiB: BANK 0 8 GiB DDR4 SN 1A2B3C4D',
          summary: 'memory 15.6 GiB → 7.7 GiB; module removed: BANK 1 8 GiB DDR4 SN 5E6F7A8B',
        },
      },
    ]);
    expect((await run(machine, T0 + 30 * MINUTE)).points).toEqual([]);
  });

  it('reports a swapped disk and a changed serial as exactly two events, across a restart', async () => {
    const machine = { raw: officePc() };
    await run(machine, T0);
    machine.raw.diskLayout = [
      diskEntry('/dev/sda', 'KINGSTON SA400S37480G', '50026B77838A1F2C', 480_103_981_056),
    ];
    machine.raw.system = { ...machine.raw.system, serial: 'DEF5678' };
    // A new collector instance: what it compares with comes from the state dir only.
    const { points } = await run(machine, T0 + HOUR);
    expect(
      byMeasurement(points, 'inventory_change').map((p) => [p.tags.component, p.fields.summary]),
    ).toEqual([
      ['system', 'system serial ABC1234 → DEF5678'],
      [
        'disk',
        'disk removed: Samsung SSD 860 EVO 500GB S3Z9NB0K123456A 500 GB SSD; disk added: KINGSTON SA400S37480G 50026B77838A1F2C 480 GB SSD',
      ],
    ]);
    expect(byMeasurement(points, 'inventory')[0]?.fields).toMatchObject({
      changed: true,
      disk_total_bytes: 480_103_981_056,
    });
  });

  it('treats a corrupt state file as a first run: warns, writes a baseline, repairs the file', async () => {
    writeFileSync(join(stateDir, STATE_FILE), '{"version": 1, "hash": "ab');
    const { points, ctx } = await run({ raw: officePc() }, T0);
    expect(points.map((p) => [p.measurement, p.fields.changed])).toEqual([['inventory', false]]);
    expect(ctx.logs.filter((l) => l.level === 40).map((l) => l.msg)).toEqual([
      'previous inventory is not JSON: treating this run as the first',
    ]);
    expect(stateFile().emitted_at).toBe(T0);
  });

  it('treats a state file of another shape (older version) as a first run with a warning naming the path', async () => {
    const machine = { raw: officePc() };
    await run(machine, T0);
    writeFileSync(join(stateDir, STATE_FILE), JSON.stringify({ ...stateFile(), version: 0 }));
    machine.raw.system = { ...machine.raw.system, serial: 'DEF5678' };
    const { points, ctx } = await run(machine, T0 + HOUR);
    expect(points.map((p) => [p.measurement, p.fields.changed])).toEqual([['inventory', false]]);
    expect(ctx.logs.filter((l) => l.level === 40)).toMatchObject([
      {
        msg: 'previous inventory does not fit the expected shape: treating this run as the first',
        path: 'version',
      },
    ]);
  });

  it('writes the state atomically: only the state file remains, no temp file', async () => {
    await run({ raw: officePc() }, T0);
    expect(readdirSync(stateDir)).toEqual([STATE_FILE]);
  });

  it('throws "inventory state …: cannot write" with the cause when the state dir is unusable', async () => {
    const notADir = join(stateDir, 'file');
    writeFileSync(notADir, '');
    const ctx = testContext(join(notADir, 'inventory'), T0);
    const err = await collectorOn({ raw: officePc() })
      .collect(defaults, ctx)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(
      /^inventory state .*\/file\/inventory\/inventory\.json: cannot write$/,
    );
    expect(((err as Error).cause as NodeJS.ErrnoException).code).toBe('ENOTDIR');
  });

  it('does not record a run that was aborted before its points were handed over', async () => {
    const ac = new AbortController();
    const machine = { raw: officePc() };
    const collector = createInventoryCollector({
      source: async () => {
        ac.abort(new Error('agent stopping'));
        return structuredClone(machine.raw);
      },
    });
    await expect(collector.collect(defaults, testContext(stateDir, T0, ac.signal))).rejects.toThrow(
      'agent stopping',
    );
    expect(readdirSync(stateDir)).toEqual([]);
  });

  it('produces points that pass the wire schema and the catalogue, events included', async () => {
    const machine = { raw: officePc() };
    const all: CollectedPoint[] = [...(await run(machine, T0)).points];
    machine.raw.memLayout = [memModule('BANK 0', 8 * GiB, '1A2B3C4D')];
    machine.raw.diskLayout = [];
    machine.raw.bios = { ...machine.raw.bios, version: '1.15.1' };
    all.push(...(await run(machine, T0 + HOUR)).points);
    expect(all.map((p) => p.measurement)).toEqual([
      'inventory',
      'inventory',
      'inventory_change',
      'inventory_change',
      'inventory_change',
    ]);
    const points = all.map((p) => pointSchema.parse({ ...p, time: T0 })) as Point[];
    expect(checkAgainstCatalogue(points)).toEqual([]);
    for (const p of points) {
      for (const v of Object.values(p.fields)) if (typeof v === 'string') expect(v).not.toBe('');
    }
  });
});

describe('inventory config', () => {
  const agentYaml = (entry: string) =>
    `agent:\n  state_dir: /tmp/x\nserver:\n  urls: [https://hatang.example]\ncollectors:\n  - type: inventory\n${entry}`;
  const problems = (entry: string) => {
    try {
      loadAgentConfig('agent.yaml', { text: agentYaml(entry), env: {} });
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    return [];
  };

  it('parses the annotated example.yaml through the agent config', () => {
    const file = new URL('./example.yaml', import.meta.url).pathname;
    const cfg = loadAgentConfig(file, { env: {} });
    expect(cfg.collectors).toEqual([
      {
        type: 'inventory',
        interval: 15 * MINUTE,
        reassert: 6 * HOUR,
        include_disks_smart: false,
        usb_disks: 'ignore',
        ip_changes: 'event',
        exclude_interfaces: [
          'docker*',
          'veth*',
          'br-*',
          'virbr*',
          'vmnet*',
          'vboxnet*',
          'tun*',
          'tap*',
          'wg*',
          'zt*',
        ],
        call_timeout: 20_000,
      },
    ]);
  });

  it('defaults to a 15m interval and a 6h reassert', () => {
    expect(loadAgentConfig('agent.yaml', { text: agentYaml(''), env: {} }).collectors[0]).toMatchObject({
      interval: 15 * MINUTE,
      reassert: 6 * HOUR,
    });
  });

  it.each([
    [
      '    reassert: 6 hours\n',
      'agent.yaml:7:15 collectors[0].reassert: "6 hours" is not a duration (examples: 500ms, 30s, 5m, 1h, 7d)',
    ],
    ['    reassert: 30s\n', 'agent.yaml:7:15 collectors[0].reassert: must be at least 1m'],
    ['    usb_disks: maybe\n', 'agent.yaml:7:16 collectors[0].usb_disks: must be "ignore" or "track"'],
    ['    ip_changes: never\n', 'agent.yaml:7:17 collectors[0].ip_changes: must be "event" or "quiet"'],
    [
      '    include_disks_smart: "yes"\n',
      'agent.yaml:7:26 collectors[0].include_disks_smart: expected boolean, got string',
    ],
    [
      '    exclude_interfaces: [""]\n',
      'agent.yaml:7:26 collectors[0].exclude_interfaces[0]: must not be empty',
    ],
    ['    call_timeout: 0s\n', 'agent.yaml:7:19 collectors[0].call_timeout: must be more than 0'],
    ['    smart: true\n', 'agent.yaml:7:5 collectors[0].smart: unknown key'],
  ])('refuses %j with the exact message', (entry, message) => {
    expect(problems(entry)).toEqual([message]);
  });
});
