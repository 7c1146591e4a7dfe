import { snmpPoll } from '../../../protocol/index.js';
import {
  type CollectContext,
  type CollectedPoint,
  defineCollector,
  type EntryProblem,
  PartialRunError,
} from '../../collector.js';
import { devicesOfShard, type SnmpConfig, snmpConfigSchema } from './config.js';
import type { Profile } from './profile.js';

export { snmpConfigSchema } from './config.js';

/**
 * Polls switches, UPSes, PDUs and environment monitors over SNMP (v1, v2c, v3). What a device is asked
 * for is data: the standard profile (IF-MIB, ENTITY-MIB, ENTITY-SENSOR-MIB, UPS-MIB) plus its own
 * profile's vendor modules (config/snmp-profiles/*.yaml); credentials are kept apart and never logged.
 * One slow or dead device costs its own timeout and is reported as data (snmp_poll, snmp_device
 * up=false); the others are polled on time, at most max_concurrent_devices at once. A run cut short
 * by its timeout hands back what finished (PartialRunError) and names the devices that did not.
 *
 * @example
 * // agent.yaml
 * // collectors:
 * //   - type: snmp
 * //     interval: 60s
 * //     credentials: { dc: { version: 2c, community: "${SNMP_COMMUNITY}" } }
 * //     devices: [{ name: core-sw-1, address: 10.0.0.2, credentials: dc }]
 */
export const snmpCollector = defineCollector({
  name: 'snmp',
  defaultInterval: '60s',
  defaultTimeout: '50s',
  config: snmpConfigSchema,
  check: checkAgainstRunTimeout,
  async collect(cfg, ctx) {
    // net-snmp (~16 MiB resident) and the profile schemas are loaded only by agents that poll SNMP,
    // not by every agency PC.
    const { pollDevice, RunStopped } = await import('./poll.js');
    const { defaultProfilesDir, loadProfiles } = await import('./profile.js');
    const dir = cfg.profiles_dir ?? defaultProfilesDir();
    // Profiles are read once per collector instance (restart the agent to reload them).
    const cacheKey = `profiles:${dir}`;
    let profiles = ctx.memory.get(cacheKey) as Map<string, Profile> | undefined;
    if (!profiles) {
      profiles = loadProfiles(dir);
      ctx.memory.set(cacheKey, profiles);
    }
    const devices = devicesOfShard(cfg.devices, cfg.shard);
    const unknown = devices
      .filter((d) => d.profile !== undefined && !profiles.has(d.profile))
      .map((d) => `device ${d.name}: unknown profile "${d.profile}"`);
    if (unknown.length > 0) {
      throw new Error(`snmp: ${unknown.join('; ')} (known: ${[...profiles.keys()].join(', ')})`);
    }
    const known = profiles;
    // One listener on the run's signal fans out to the devices being polled: a listener per device
    // on one signal is what made Node warn (MaxListenersExceededWarning) past 10 devices at once.
    const polling = new Set<AbortController>();
    const stopAll = () => {
      const reason = new RunStopped(ctx.signal.reason);
      for (const c of polling) c.abort(reason);
    };
    ctx.signal.addEventListener('abort', stopAll, { once: true });
    const results: CollectedPoint[][] = new Array(devices.length);
    const unfinished: string[] = [];
    let nextIndex = 0;
    const worker = async () => {
      for (let i = nextIndex++; i < devices.length; i = nextIndex++) {
        const device = devices[i]!;
        if (ctx.signal.aborted) {
          unfinished.push(device.name);
          results[i] = [notPolled(device.name, ctx.signal.reason, ctx.now())];
          continue;
        }
        const abort = new AbortController();
        polling.add(abort);
        const result = await pollDevice({
          device,
          credential: cfg.credentials[device.credentials]!,
          profiles: known,
          timeoutMs: device.request_timeout ?? cfg.request_timeout,
          retries: device.retries ?? cfg.retries,
          pollTimeoutMs: cfg.poll_timeout,
          maxRepetitions: cfg.max_repetitions,
          maxOids: cfg.max_oids_per_device,
          abort,
          now: ctx.now(),
          memory: ctx.memory,
        }).finally(() => polling.delete(abort));
        results[i] = result.points;
        if (!result.finished) unfinished.push(device.name);
        const poll = result.points.at(-1);
        if (poll?.fields.success === false) {
          ctx.log.debug(
            { target: device.name, address: device.address, error: poll.fields.error },
            'snmp poll failed',
          );
        }
        warnOnChange(ctx, device.name, result.warning);
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(cfg.max_concurrent_devices, devices.length) }, worker));
    } finally {
      ctx.signal.removeEventListener('abort', stopAll);
    }
    const points = results.flat();
    if (unfinished.length > 0) {
      const reason = (ctx.signal.reason as Error | undefined)?.message ?? 'stopped';
      throw new PartialRunError(
        `snmp: run cut short (${reason}): ${unfinished.length} of ${devices.length} device(s) did not finish: ${nameList(unfinished)}`,
        points,
        { cause: ctx.signal.reason },
      );
    }
    return points;
  },
});

/** snmp_poll of a device the run ended before it could start: named, neither up nor down. */
function notPolled(device: string, reason: unknown, time: number): CollectedPoint {
  return {
    measurement: snmpPoll.name,
    tags: { device },
    fields: {
      success: false,
      duration_ms: 0,
      error: `not polled: run cut short (${(reason as Error | undefined)?.message ?? 'stopped'})`,
      warning: '',
      oids: 0,
    },
    time,
  };
}

function nameList(names: readonly string[], max = 20): string {
  return names.length <= max
    ? names.join(', ')
    : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

/** Logs a device's warning when it appears or changes, not every cycle (it is in snmp_poll each time). */
function warnOnChange(ctx: CollectContext, device: string, warning: string): void {
  const key = `warning:${device}`;
  if ((ctx.memory.get(key) ?? '') === warning) return;
  ctx.memory.set(key, warning);
  if (warning) ctx.log.warn({ target: device, warning }, 'snmp device yielded less than its profile lists');
}

/**
 * A device whose request timeout × tries outlasts the run can never be reported on time: refused at
 * config load and by `hatang agent --check`, naming the device.
 */
function checkAgainstRunTimeout(cfg: SnmpConfig, run: { runTimeoutMs: number }): EntryProblem[] {
  const problems: EntryProblem[] = [];
  cfg.devices.forEach((d, i) => {
    const timeout = d.request_timeout ?? cfg.request_timeout;
    const tries = (d.retries ?? cfg.retries) + 1;
    if (timeout * tries > run.runTimeoutMs) {
      problems.push({
        path: [
          'devices',
          i,
          d.request_timeout !== undefined ? 'request_timeout' : d.retries !== undefined ? 'retries' : 'name',
        ],
        message: `device "${d.name}": request_timeout ${timeout} ms × ${tries} tries = ${timeout * tries} ms is longer than the run timeout ${run.runTimeoutMs} ms (lower request_timeout or retries, or raise the collector's timeout)`,
      });
    }
  });
  return problems;
}
