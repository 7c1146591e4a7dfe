import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../lib/config.js';
import { agentConfigSchema } from '../../config.js';
import { devicesOfShard, snmpConfigSchema } from './config.js';
import { defaultProfilesDir, loadProfiles, matchProfile } from './profile.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const testdata = `${here}testdata/`;

/** The problems a ConfigError lists, with the test data directory cut off the file names. */
function problemsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => p.replaceAll(testdata, ''));
    throw err;
  }
  throw new Error('expected a ConfigError, but it loaded');
}

describe('snmp collector config', () => {
  it('example.yaml is a valid collector entry of agent.yaml', () => {
    const example = readFileSync(`${here}example.yaml`, 'utf8');
    const text = [
      'agent: { state_dir: /var/lib/hatang }',
      'server: { urls: ["https://hatang.example.vn"] }',
      'collectors:',
      '  -',
      ...example.split('\n').map((l) => `    ${l}`),
    ].join('\n');
    const cfg = loadConfig('agent.yaml', agentConfigSchema, {
      text,
      env: { SNMP_AUTH_KEY: 'auth-secret-1', SNMP_PRIV_KEY: 'priv-secret-1', SNMP_COMMUNITY: 'c0mmunity' },
    });
    const entry = cfg.collectors[0] as Record<string, unknown>;
    expect(entry).toMatchObject({ type: 'snmp', interval: 60_000, timeout: 50_000, request_timeout: 2_000 });
    expect((entry.devices as unknown[]).length).toBe(5);
    expect(entry.credentials).toMatchObject({ 'legacy-v2c': { version: '2c', community: 'c0mmunity' } });
  });

  const bad: Record<string, string[]> = {
    'unknown-credentials.yaml': [
      'config-bad/unknown-credentials.yaml:6:18 devices[0].credentials: unknown credentials "dc" (known: other)',
    ],
    'v3-missing-priv.yaml': [
      'config-bad/v3-missing-priv.yaml:3:5 credentials.v3.priv_protocol: required when level is authPriv',
      'config-bad/v3-missing-priv.yaml:3:5 credentials.v3.priv_key: required when level is authPriv',
    ],
    'short-auth-key.yaml': [
      'config-bad/short-auth-key.yaml:2:86 credentials.v3.auth_key: must be at least 8 characters (RFC 3414)',
      'config-bad/short-auth-key.yaml:2:103 credentials.v3.priv_key: not used when level is authNoPriv',
    ],
    'bad-version.yaml': [
      "config-bad/bad-version.yaml:2:17 credentials.x.version: invalid discriminator value. Expected '1' | '2c' | '3'",
    ],
    'duplicate-device.yaml': [
      'config-bad/duplicate-device.yaml:5:13 devices[1].name: device "sw-1" is listed twice',
    ],
    'bad-shard.yaml': ['config-bad/bad-shard.yaml:1:8 shard: must be "k/n" with 1 ≤ k ≤ n, got "3/2"'],
    'unknown-key.yaml': ['config-bad/unknown-key.yaml:7:5 devices[0].community: unknown key'],
    'bad-device-name.yaml': [
      'config-bad/bad-device-name.yaml:4:13 devices[0].name: must be letters, digits and _ . : - (it becomes the device tag)',
      'config-bad/bad-device-name.yaml:4:80 devices[0].request_timeout: expected string, got number',
    ],
    'missing-env.yaml': [
      'config-bad/missing-env.yaml:4:16 credentials.c.community: environment variable HATANG_TEST_SNMP_COMMUNITY is not set',
      'config-bad/missing-env.yaml:4:16 credentials.c.community: too small: expected string to have >=1 characters',
    ],
  };
  for (const [file, expected] of Object.entries(bad)) {
    it(`loadConfig() rejects config-bad/${file} naming file, line and path`, () => {
      expect(
        problemsOf(() => loadConfig(`${testdata}config-bad/${file}`, snmpConfigSchema, { env: {} })),
      ).toEqual(expected);
    });
  }

  it('devicesOfShard() splits devices into disjoint shards that cover them all, stable per name', () => {
    const devices = Array.from({ length: 200 }, (_, i) =>
      snmpConfigSchema.shape.devices.element.parse({
        name: `sw-${i}`,
        address: '10.0.0.1',
        credentials: 'c',
      }),
    );
    const shards = [1, 2, 3].map((k) => devicesOfShard(devices, { k, n: 3 }).map((d) => d.name));
    expect(shards.flat().sort()).toEqual(devices.map((d) => d.name).sort());
    for (const s of shards) expect(s.length).toBeGreaterThan(40); // roughly even
    // Adding a device does not move the others.
    const more = [...devices, { ...devices[0]!, name: 'sw-new' }];
    expect(
      devicesOfShard(more, { k: 2, n: 3 })
        .map((d) => d.name)
        .filter((n) => n !== 'sw-new'),
    ).toEqual(shards[1]);
  });
});

describe('snmp collector entry against the run timeout', () => {
  it('loadAgentConfig() refuses a device whose request_timeout × tries outlasts the run, naming each such device', () => {
    expect(
      problemsOf(() => loadConfig(`${testdata}agent-bad/slow-device-timeout.yaml`, agentConfigSchema)),
    ).toEqual([
      'agent-bad/slow-device-timeout.yaml:9:81 collectors[0].devices[1].request_timeout: device "ups-slow": request_timeout 8000 ms × 2 tries = 16000 ms is longer than the run timeout 10000 ms (lower request_timeout or retries, or raise the collector\'s timeout)',
      'agent-bad/slow-device-timeout.yaml:10:77 collectors[0].devices[2].retries: device "pdu-retrying": request_timeout 2000 ms × 6 tries = 12000 ms is longer than the run timeout 10000 ms (lower request_timeout or retries, or raise the collector\'s timeout)',
    ]);
  });
});

describe('snmp profiles', () => {
  it('the shipped profiles load and match by the longest sysObjectID prefix on whole arcs', () => {
    const profiles = loadProfiles(defaultProfilesDir());
    expect([...profiles.keys()]).toEqual([
      'akcp',
      'apc',
      'eaton',
      'environment-sensor',
      'generic',
      'juniper',
      'liebert',
      'mikrotik',
      'netbotz',
      'standard',
      'switch',
      'ups',
    ]);
    expect(matchProfile(profiles, '1.3.6.1.4.1.9.1.516')?.name).toBe('switch');
    expect(matchProfile(profiles, '1.3.6.1.4.1.318.1.3.4.5')?.name).toBe('apc'); // a rack PDU is not a UPS
    expect(matchProfile(profiles, '1.3.6.1.4.1.534.1')?.name).toBe('eaton');
    expect(matchProfile(profiles, '1.3.6.1.4.1.99.1')?.name).toBe('generic'); // 99 is not 9
    expect(matchProfile(profiles, '1.3.6.1.2.1.33')?.name).toBe('ups');
    expect(matchProfile(profiles, '0.0')).toBeUndefined();
  });

  const bad: Record<string, string[]> = {
    'unknown-key': ['profiles-bad/unknown-key/switch.yaml:4:3 interfaces.speeed: unknown key'],
    'bad-oid': [
      'profiles-bad/bad-oid/ups.yaml:5:19 ups.battery_status: must be a dotted numeric OID such as 1.3.6.1.2.1.1.5 (no leading dot)',
      'profiles-bad/bad-oid/ups.yaml:6:19 ups.charge_percent: must be a dotted numeric OID such as 1.3.6.1.2.1.1.5 (no leading dot)',
    ],
    'missing-description': ['profiles-bad/missing-description/generic.yaml:1:1 description: required'],
    'empty-section': ['profiles-bad/empty-section/ups.yaml:2:6 ups: must list at least one OID'],
    'unknown-entity-class': [
      'profiles-bad/unknown-entity-class/switch.yaml:3:22 entity.classes[1]: invalid option: expected one of "other"|"unknown"|"chassis"|"backplane"|"container"|"powerSupply"|"fan"|"sensor"|"module"|"port"|"stack"|"cpu"|"energyObject"|"battery"|"storageDrive"',
    ],
    'duplicate-prefix': [
      'profiles-bad/duplicate-prefix/b-cisco.yaml:3:37 match.sys_object_id: prefix 1.3.6.1.4.1.9 is also matched by profile "a-switch"',
    ],
    'module-unknown-field': [
      'profiles-bad/module-unknown-field/apc.yaml:6:24 modules[0].scalars.runtime_minutes: unknown field for ups (known: battery_status, battery_status_text, on_battery, seconds_on_battery, minutes_remaining, charge_percent, load_percent, output_source, output_source_text, output_power_w, input_voltage, battery_temperature_c, alarms_present, replace_battery, output_voltage, output_current_a, input_frequency_hz)',
    ],
    'module-both-kinds': [
      'profiles-bad/module-both-kinds/pdu.yaml:3:5 modules[0]: needs exactly one of scalars or table',
    ],
    'module-boolean-without-map': [
      'profiles-bad/module-boolean-without-map/env.yaml:7:28 modules[0].table.fields.door_open: a boolean field needs map',
      'profiles-bad/module-boolean-without-map/env.yaml:6:21 modules[0].table.tags.rack: not a row tag of environment (known: sensor)',
    ],
    'yaml-syntax': [
      'profiles-bad/yaml-syntax/switch.yaml:3:10 yaml: Nested mappings are not allowed in compact mappings',
      'profiles-bad/yaml-syntax/switch.yaml:3:10 yaml: Implicit keys need to be on a single line',
    ],
  };
  for (const [dir, expected] of Object.entries(bad)) {
    it(`loadProfiles() rejects profiles-bad/${dir} naming file, line and path`, () => {
      expect(problemsOf(() => loadProfiles(`${testdata}profiles-bad/${dir}`))).toEqual(expected);
    });
  }
});
