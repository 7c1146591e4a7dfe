import { connectivity, connectivityDns } from '../../../protocol/index.js';
import { type CollectedPoint, defineCollector } from '../../collector.js';
import { chooseEngine, type ProbeOutcome } from '../ping/engine.js';
import { pingPoint, probeOptions } from '../ping/index.js';
import { connectivityConfig } from './config.js';
import { resolveName } from './dns.js';
import { findGateway } from './gateway.js';

interface Probe {
  id: string;
  address?: string | undefined;
  /** Why there is nothing to ping (no default route): reported as a down point with this error. */
  error?: string | undefined;
}

/**
 * What an agency PC can reach: its default gateway, the data center and configured addresses (the
 * `connectivity` measurement, several echoes each), and whether the names it needs resolve
 * (`connectivity_dns`). Runs without root on Linux (fping and iputils ping carry cap_net_raw).
 */
export const connectivityCollector = defineCollector({
  name: 'connectivity',
  defaultInterval: '60s',
  defaultTimeout: '30s',
  config: connectivityConfig,
  async collect(cfg, ctx) {
    const probes: Probe[] = [];
    if (cfg.gateway === 'auto') {
      const gw = await findGateway(cfg.route_file, ctx.signal);
      probes.push(
        'address' in gw ? { id: 'gateway', address: gw.address } : { id: 'gateway', error: gw.error },
      );
    } else if (cfg.gateway !== 'off') {
      probes.push({ id: 'gateway', address: cfg.gateway });
    }
    if (cfg.datacenter) probes.push({ id: 'datacenter', address: cfg.datacenter });
    for (const t of cfg.targets) probes.push({ id: t.id, address: t.address });

    const addresses = probes.flatMap((p) => (p.address ? [p.address] : []));
    const engine = chooseEngine(cfg);
    const [results, names] = await Promise.all([
      addresses.length > 0
        ? engine.probe(addresses, probeOptions(cfg), ctx.signal).catch((cause) => {
            throw new Error(`connectivity: probing ${addresses.length} addresses with ${engine.name}`, {
              cause,
            });
          })
        : new Map<string, ProbeOutcome>(),
      Promise.all(
        (cfg.dns?.names ?? []).map((name) =>
          resolveName(name, {
            servers: cfg.dns?.servers ?? [],
            timeoutMs: cfg.dns?.timeout ?? 3_000,
            signal: ctx.signal,
          }),
        ),
      ),
    ]);
    if (ctx.signal.aborted) throw new Error('connectivity: aborted', { cause: ctx.signal.reason });

    const points: CollectedPoint[] = probes.map((p) => {
      const outcome: ProbeOutcome = (p.address && results.get(p.address)) || {
        sent: p.address ? cfg.count : 0,
        received: 0,
        rttsMs: [],
        error: p.error ?? 'no result from the engine',
      };
      // The ping collector's statistics, in this PC's own measurement: only a poller writes `ping`.
      const {
        cause: _cause,
        parent_id: _parentId,
        ...fields
      } = pingPoint({ source: ctx.hostname, target_id: p.id }, p.address ?? '', outcome, undefined).fields;
      return { measurement: connectivity.name, tags: { hostname: ctx.hostname, target: p.id }, fields };
    });
    for (const r of names) {
      points.push({
        measurement: connectivityDns.name,
        tags: { hostname: ctx.hostname, name: r.name },
        fields: { resolved: r.resolved, duration_ms: r.duration_ms, addresses: r.addresses, error: r.error },
      });
    }
    return points;
  },
});
