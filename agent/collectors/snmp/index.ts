import { type CollectedPoint, defineCollector } from '../../collector.js';
import { devicesOfShard, snmpConfigSchema } from './config.js';
import { defaultProfilesDir, loadProfiles, matchProfile, type Profile } from './profile.js';

export { snmpConfigSchema } from './config.js';

/**
 * Polls switches, UPSes and environment sensors over SNMP (v1, v2c, v3). Which OIDs a device is asked
 * for comes from its profile (config/snmp-profiles/*.yaml); credentials are kept apart and never
 * logged. One slow or dead device costs its own timeout and is reported as data (snmp_poll,
 * snmp_device up=false); the others are polled on time, at most max_concurrent_devices at once.
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
  async collect(cfg, ctx) {
    // net-snmp (~16 MiB resident) is loaded only by agents that poll SNMP, not by every agency PC.
    const { pollDevice } = await import('./poll.js');
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
    const results: CollectedPoint[][] = new Array(devices.length);
    let nextIndex = 0;
    const worker = async () => {
      for (let i = nextIndex++; i < devices.length; i = nextIndex++) {
        const device = devices[i]!;
        const points = await pollDevice({
          device,
          credential: cfg.credentials[device.credentials]!,
          profile: device.profile ? known.get(device.profile) : undefined,
          match: (sysObjectId) => matchProfile(known, sysObjectId),
          timeoutMs: device.request_timeout ?? cfg.request_timeout,
          retries: device.retries ?? cfg.retries,
          pollTimeoutMs: cfg.poll_timeout,
          maxRepetitions: cfg.max_repetitions,
          maxOids: cfg.max_oids_per_device,
          signal: ctx.signal,
          now: ctx.now(),
          memory: ctx.memory,
        });
        results[i] = points;
        const poll = points.at(-1);
        if (poll?.fields.success === false) {
          ctx.log.debug(
            { target: device.name, address: device.address, error: poll.fields.error },
            'snmp poll failed',
          );
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(cfg.max_concurrent_devices, devices.length) }, worker));
    if (ctx.signal.aborted) throw new Error('snmp: run aborted', { cause: ctx.signal.reason });
    return results.flat();
  },
});
