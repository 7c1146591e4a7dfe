import { z } from 'zod';
import { duration, parseDuration } from '../../../lib/units.js';
import { inventoryChange, inventory as inventoryMeasurement } from '../../../protocol/index.js';
import { type CollectContext, type CollectedPoint, defineCollector } from '../../collector.js';
import { describeComponent, diffInventory } from './diff.js';
import { type FingerprintOptions, type Inventory, inventoryHash } from './model.js';
import { defaultNormaliseOptions, normaliseInventory } from './normalise.js';
import { type InventorySource, systemInformationSource } from './source.js';
import { loadState, saveState } from './state.js';

export { diffInventory, type InventoryChange } from './diff.js';
export type { Inventory } from './model.js';
export { normaliseInventory } from './normalise.js';
export type { InventorySource, RawInventory } from './source.js';

const MIN_REASSERT_MS = 60_000;

export const inventoryConfig = z.strictObject({
  reassert: duration()
    .default(parseDuration('6h'))
    .refine((ms) => ms >= MIN_REASSERT_MS, 'must be at least 1m')
    .describe(
      'write the unchanged inventory again after this long, so last() over a window longer than this always finds it',
    ),
  include_disks_smart: z
    .boolean()
    .default(false)
    .describe(
      'put each disk\'s SMART verdict (needs smartmontools and root) in the inventory; a verdict change, also to or from "unknown", is then a disk change',
    ),
  usb_disks: z
    .enum(['ignore', 'track'], { error: 'must be "ignore" or "track"' })
    .default('ignore')
    .describe(
      '"ignore": USB disks and sticks are not inventory (plugging one in is no change); "track": they are',
    ),
  ip_changes: z
    .enum(['event', 'quiet'], { error: 'must be "event" or "quiet"' })
    .default('event')
    .describe(
      '"event": a NIC\'s IPv4 address change is an inventory change; "quiet" (DHCP fleets): addresses are only reported',
    ),
  exclude_interfaces: z
    .array(z.string().min(1, 'must not be empty'))
    .default([...defaultNormaliseOptions.exclude_interfaces])
    .describe(
      'network interfaces never reported: exact names or prefixes ending in * (loopback and virtual ones always are)',
    ),
  call_timeout: duration()
    .default(parseDuration('20s'))
    .refine((ms) => ms > 0, 'must be more than 0')
    .describe('longest wait for one systeminformation call (each spawns processes)'),
});

export type InventoryConfig = z.output<typeof inventoryConfig>;

const joinList = (items: string[]) => items.join(',') || 'none';

function inventoryPoint(inv: Inventory, hostname: string, hash: string, changed: boolean): CollectedPoint {
  const diskBytes = inv.disks.reduce((sum, d) => sum + d.size_bytes, 0);
  return {
    measurement: inventoryMeasurement.name,
    tags: { hostname },
    fields: {
      manufacturer: inv.system.manufacturer,
      model: inv.system.model,
      serial: inv.system.serial,
      uuid: inv.system.uuid,
      virtual: inv.system.virtual,
      bios_vendor: inv.bios.vendor,
      bios_version: inv.bios.version,
      bios_release_date: inv.bios.release_date,
      board_manufacturer: inv.board.manufacturer,
      board_model: inv.board.model,
      board_serial: inv.board.serial,
      cpu_model: inv.cpu.model,
      cpu_cores: inv.cpu.physical_cores,
      cpu_logical_cores: inv.cpu.logical_cores,
      mem_total_bytes: inv.memory.total_bytes,
      mem_module_count: inv.memory.modules.length,
      mem_modules: describeComponent(inv, 'memory'),
      disk_count: inv.disks.length,
      disk_total_bytes: diskBytes,
      disks: describeComponent(inv, 'disk'),
      os_platform: inv.os.platform,
      os_distro: inv.os.distro,
      os_release: inv.os.release,
      os_build: inv.os.build,
      os_kernel: inv.os.kernel,
      arch: inv.os.arch,
      fqdn: inv.os.fqdn,
      domain: inv.os.domain,
      macs: joinList(inv.nics.map((n) => n.mac)),
      ips: joinList(inv.nics.flatMap((n) => [...n.ipv4, ...n.ipv6])),
      inventory_hash: hash,
      changed,
    },
  };
}

export interface InventoryCollectorOptions {
  /** Where the raw inventory comes from; systeminformation unless a test passes a captured one. */
  source?: InventorySource;
}

/**
 * The inventory collector. Each run reads the machine (sequentially), normalises and hashes it, and
 * compares it with the last inventory kept in the state dir:
 * - no previous inventory (first run, or the file is lost or corrupt): `inventory` with changed=false,
 *   the baseline, and no events;
 * - a different hash: `inventory` with changed=true plus one `inventory_change` per changed component;
 * - the same hash, last written `reassert` ago or longer: `inventory` again with changed=false;
 * - otherwise nothing.
 *
 * @example
 * // A test swapping in a captured inventory instead of this machine's:
 * const collector = createInventoryCollector({ source: async () => capturedRaw });
 * const points = await collector.collect(inventoryConfig.parse({}), ctx);
 */
export function createInventoryCollector(options: InventoryCollectorOptions = {}) {
  const source = options.source ?? systemInformationSource;
  return defineCollector({
    name: 'inventory',
    defaultInterval: '15m',
    defaultTimeout: '2m',
    config: inventoryConfig,
    async collect(cfg, ctx: CollectContext) {
      const raw = await source({ signal: ctx.signal, callTimeoutMs: cfg.call_timeout });
      const current = normaliseInventory(raw, cfg);
      const fp: FingerprintOptions = { ip_changes: cfg.ip_changes };
      const hash = inventoryHash(current, fp);
      const now = ctx.now();
      const previous = await loadState(ctx.stateDir, ctx.log, ctx.signal);

      let points: CollectedPoint[];
      if (!previous) {
        points = [inventoryPoint(current, ctx.hostname, hash, false)];
      } else if (inventoryHash(previous.inventory, fp) !== hash) {
        // Hashing the previous inventory again, rather than trusting its stored hash, keeps a config
        // change (ip_changes) from looking like a hardware change.
        const changes = diffInventory(previous.inventory, current, fp);
        points = [
          inventoryPoint(current, ctx.hostname, hash, true),
          ...changes.map(
            (c): CollectedPoint => ({
              measurement: inventoryChange.name,
              tags: { hostname: ctx.hostname, component: c.component },
              fields: { before: c.before, after: c.after, summary: c.summary },
            }),
          ),
        ];
        ctx.log.info({ changes: changes.map((c) => c.summary) }, 'inventory changed');
      } else if (now - previous.emitted_at >= cfg.reassert || now < previous.emitted_at) {
        // A clock that went backwards also re-asserts: better one point too many than a gap.
        points = [inventoryPoint(current, ctx.hostname, hash, false)];
      } else {
        ctx.log.debug({ hash }, 'inventory unchanged');
        return [];
      }
      ctx.signal.throwIfAborted();
      // "Reported" is saved only once the report is queued, so a crash in between repeats the
      // change event instead of losing it.
      const save = () => saveState(ctx.stateDir, { version: 1, hash, emitted_at: now, inventory: current });
      if (ctx.onQueued) ctx.onQueued(save);
      else await save();
      return points;
    },
  });
}

/** The collector as registered in agent/collectors/index.ts. */
export const inventoryCollector = createInventoryCollector();
