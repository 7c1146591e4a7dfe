import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { agentConfigSchema, loadAgentConfig } from '../agent/config.js';
import { ConfigError, loadConfig } from '../lib/config.js';
import { configJsonSchema } from '../lib/json-schema.js';
import { loadServerConfig } from '../server/config.js';
import { loadDatacenter } from '../server/readiness/declaration.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const rel = (p: string) => join('config', p);

function problems(load: () => unknown): string[] {
  try {
    load();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError, the config loaded');
}

const env = {
  HATANG_SIGNING_KEY: 'k'.repeat(40),
  INFLUX_USER: 'u',
  INFLUX_PASSWORD: 'p',
  HATANG_ENROLLMENT_TOKEN: 't'.repeat(20),
};

/** One fixture per rule, each with the exact messages an operator will read. */
const agentCases: Record<string, string[]> = {
  'unknown-key': [
    'config/testdata/agent/unknown-key.yaml:1:1 collectors: required',
    'config/testdata/agent/unknown-key.yaml:3:1 colectors: unknown key',
  ],
  'missing-collectors': ['config/testdata/agent/missing-collectors.yaml:1:1 collectors: required'],
  'unknown-collector': [
    'config/testdata/agent/unknown-collector.yaml:5:11 collectors[1].type: unknown collector type (known: host, inventory, ping, connectivity, antivirus, snmp)',
  ],
  'bad-duration': [
    'config/testdata/agent/bad-duration.yaml:5:15 collectors[0].interval: "30 seconds" is not a duration (examples: 500ms, 30s, 5m, 1h, 7d)',
  ],
  'bad-size': [
    'config/testdata/agent/bad-size.yaml:3:21 queue.max_bytes: "64 megs" is not a size (examples: 512KiB, 64MiB, 1GiB)',
  ],
  'bad-url': ['config/testdata/agent/bad-url.yaml:3:10 server.urls[0]: invalid URL'],
  // The tests run on Linux; on Windows the same file is valid.
  'event-log-not-windows': [
    `config/testdata/agent/event-log-not-windows.yaml:3:43 log.event_log: the Windows Event Log exists only on Windows (this is ${process.platform}): use file or stderr`,
  ],
  'missing-env': [
    'config/testdata/agent/missing-env.yaml:4:21 server.enrollment_token: environment variable HATANG_TEST_UNSET_TOKEN is not set',
  ],
  'duplicate-collector': [
    'config/testdata/agent/duplicate-collector.yaml:5:5 collectors[1].name: collector "host" is configured twice: give each a distinct name',
  ],
  'unknown-collector-key': [
    'config/testdata/agent/unknown-collector-key.yaml:5:5 collectors[0].mount: unknown key',
  ],
  'wrong-type': [
    'config/testdata/agent/wrong-type.yaml:1:40 agent.log_level: invalid option: expected one of "debug"|"info"|"warn"|"error"',
    'config/testdata/agent/wrong-type.yaml:2:17 server.urls: expected array, got string',
  ],
  'yaml-syntax': [
    'config/testdata/agent/yaml-syntax.yaml:2:1 yaml: Flow map in block collection must be sufficiently indented and end with a }',
  ],
  'several-problems': [
    'config/testdata/agent/several-problems.yaml:1:8 agent.state_dir: required',
    'config/testdata/agent/several-problems.yaml:3:9 server.urls: too small: expected array to have >=1 items',
    'config/testdata/agent/several-problems.yaml:4:21 server.enrollment_token: too small: expected string to have >=16 characters',
    'config/testdata/agent/several-problems.yaml:7:15 collectors[0].interval: "often" is not a duration (examples: 500ms, 30s, 5m, 1h, 7d)',
  ],
  'interval-too-short': [
    'config/testdata/agent/interval-too-short.yaml:3:25 queue.send_interval: must be at least 100ms: shorter would resend in a busy loop',
    'config/testdata/agent/interval-too-short.yaml:4:18 health_interval: must be at least 1s: each report queues a point; shorter would flood the queue',
    'config/testdata/agent/interval-too-short.yaml:7:15 collectors[0].interval: must be at least 1s: each run scans and queues a batch; shorter would flood the queue',
    'config/testdata/agent/interval-too-short.yaml:9:15 collectors[1].interval: must be at least 1s: each run scans and queues a batch; shorter would flood the queue',
  ],
  'secret-file-missing': [
    'config/testdata/agent/secret-file-missing.yaml:4:21 server.enrollment_token: cannot read secret file /nonexistent/hatang-token: ENOENT',
  ],
};

const serverCases: Record<string, string[]> = {
  'short-signing-key': [
    'config/testdata/server/short-signing-key.yaml:2:16 auth.signing_key: must be at least 32 characters (use ${HATANG_SIGNING_KEY} or ${file:...})',
  ],
  'bad-token-hash': [
    'config/testdata/server/bad-token-hash.yaml:3:60 auth.sites[0].enrollment_token_sha256: must be 64 lowercase hex characters (hatang token hash)',
  ],
  'duplicate-site': [
    'config/testdata/server/duplicate-site.yaml:5:13 auth.sites[1].id: duplicate site id "so-tttt"',
    'config/testdata/server/duplicate-site.yaml:5:56 auth.sites[1].enrollment_token_sha256: same token as another one: each site and role needs its own token',
  ],
  'bad-site-id': [
    'config/testdata/server/bad-site-id.yaml:3:17 auth.sites[0].id: must be a slug: lowercase letters, digits and -',
  ],
  'unknown-storage-kind': [
    "config/testdata/server/unknown-storage-kind.yaml:4:18 storage.kind: invalid discriminator value. Expected 'influxdb-v1' | 'influxdb-v2'",
  ],
  'v2-missing-token': ['config/testdata/server/v2-missing-token.yaml:5:3 storage.token: required'],
  'missing-spool': ['config/testdata/server/missing-spool.yaml:1:1 spool: required'],
  'interval-too-short': [
    'config/testdata/server/interval-too-short.yaml:6:73 readiness.interval: must be at least 1s: each one queries InfluxDB and writes points',
    'config/testdata/server/interval-too-short.yaml:5:18 health_interval: must be at least 100ms: each one writes a point',
  ],
  'bad-snapshots': [
    'config/testdata/server/bad-snapshots.yaml:6:15 snapshots.max_window: "a year" is not a duration (examples: 500ms, 30s, 5m, 1h, 7d)',
    'config/testdata/server/bad-snapshots.yaml:9:31 snapshots.schedule[1].every: invalid input: expected "month"',
  ],
  'duplicate-schedule': [
    'config/testdata/server/duplicate-schedule.yaml:8:15 snapshots.schedule[1].name: "monthly" is used twice',
  ],
  'bad-limits': [
    'config/testdata/server/bad-limits.yaml:6:19 limits.json_max_depth: too small: expected number to be >=4',
    'config/testdata/server/bad-limits.yaml:7:31 limits.enroll_per_source.burst: too small: expected number to be >=1',
    'config/testdata/server/bad-limits.yaml:8:21 limits.enroll_per_token.per_minute: required',
  ],
  'bad-assets': [
    'config/testdata/server/bad-assets.yaml:5:17 assets.file: too small: expected string to have >=1 characters',
    'config/testdata/server/bad-assets.yaml:5:31 assets.lookback: "a month" is not a duration (examples: 500ms, 30s, 5m, 1h, 7d)',
    'config/testdata/server/bad-assets.yaml:6:26 rollups.recheck: unknown key',
  ],
  'bad-port': [
    'config/testdata/server/bad-port.yaml:1:17 listen.port: too big: expected number to be <=65535',
  ],
  'bad-write': [
    'config/testdata/server/bad-write.yaml:5:50 spool.dead_max_bytes: "lots" is not a size (examples: 512KiB, 64MiB, 1GiB)',
    'config/testdata/server/bad-write.yaml:6:30 write.replay_concurrency: too small: expected number to be >=1',
    'config/testdata/server/bad-write.yaml:6:49 write.max_body_bytes: "8 megs" is not a size (examples: 512KiB, 64MiB, 1GiB)',
  ],
};

const datacenterCases: Record<string, string[]> = {
  'bad-fact': [
    'config/testdata/datacenter/bad-fact.yaml:5:20 sites[0].target_rating: too big: expected number to be <=4',
    'config/testdata/datacenter/bad-fact.yaml:7:23 sites[0].electrical.ups_redundancy.value: invalid option: expected one of "N"|"N+1"|"2N"|"2(N+1)"',
    'config/testdata/datacenter/bad-fact.yaml:8:52 sites[0].electrical.power_paths.evidence.document: required',
    'config/testdata/datacenter/bad-fact.yaml:8:60 sites[0].electrical.power_paths.evidence.date: is not a calendar date',
  ],
  'duplicate-ids': [
    'config/testdata/datacenter/duplicate-ids.yaml:6:54 sites[0].devices[1].name: duplicate device "ups-dc-a"',
    'config/testdata/datacenter/duplicate-ids.yaml:10:17 sites[0].electrical.ups_units[1].id: duplicate UPS id "ups-a"',
    'config/testdata/datacenter/duplicate-ids.yaml:11:9 sites[1].id: duplicate site id "dc-tinh"',
  ],
  'missing-capacity': [
    'config/testdata/datacenter/missing-capacity.yaml:9:11 sites[0].electrical.ups_units[0].capacity_kw: required',
  ],
  'no-sites': [
    'config/testdata/datacenter/no-sites.yaml:1:8 sites: at least one data-center site is required',
  ],
  'pdu-contacts': [
    'config/testdata/datacenter/pdu-contacts.yaml:10:11 sites[0].electrical.rack_pdus[0].rated_current_a: required',
    'config/testdata/datacenter/pdu-contacts.yaml:13:67 sites[0].mechanical.contacts[0].kind: invalid option: expected one of "leak"|"smoke"|"door"',
  ],
  'pdu-feed-room': [
    'config/testdata/datacenter/pdu-feed-room.yaml:12:40 sites[0].electrical.rack_pdus[2].device: device "netbotz-1" is declared as sensor, not pdu',
    'config/testdata/datacenter/pdu-feed-room.yaml:11:29 sites[0].electrical.rack_pdus[1].feed: rack "R1" has feed A declared twice (one PDU row per rack and feed)',
    'config/testdata/datacenter/pdu-feed-room.yaml:16:80 sites[0].mechanical.contacts[1].room: no room "phong-ups" under rooms (known: phong-may)',
  ],
  'unknown-criterion': [
    'config/testdata/datacenter/unknown-criterion.yaml:8:12 sites[0].notes.E42: unknown criterion id "E42" (known: E1, E2, E3, E4, E5, E6, E7, E8, E9, M1, M2, M3, M4, M5, M6, T1, T2, T3, T4, T5, T6, A1, A2, A3, A5, A6)',
  ],
  'unknown-device': [
    'config/testdata/datacenter/unknown-device.yaml:10:32 sites[0].electrical.ups_units[1].device: unknown device "ups-dc-b" (declared under devices: ups-dc-a, env-dc-1)',
    'config/testdata/datacenter/unknown-device.yaml:12:33 sites[0].telecom.core_switches[0].device: device "env-dc-1" is declared as sensor, not switch or router',
    'config/testdata/datacenter/unknown-device.yaml:12:64 sites[0].telecom.core_switches[1].device: unknown device "core-sw-9" (declared under devices: ups-dc-a, env-dc-1)',
  ],
  'unknown-key': [
    'config/testdata/datacenter/unknown-key.yaml:8:7 sites[0].electrical.ups_redundncy: unknown key',
  ],
  'wrong-role': [
    'config/testdata/datacenter/wrong-role.yaml:8:40 sites[0].electrical.ups_units[0].device: device "core-sw-1" is declared as switch, not ups',
    'config/testdata/datacenter/wrong-role.yaml:11:50 sites[0].telecom.access_providers[0].entrance_room: no entrance room "er-2" under rooms',
  ],
};

describe('agent config', () => {
  it('has a fixture for every case and a case for every fixture', () => {
    expect(
      readdirSync(join(here, 'testdata/agent'))
        .map((f) => f.replace('.yaml', ''))
        .sort(),
    ).toEqual(Object.keys(agentCases).sort());
  });
  for (const [name, expected] of Object.entries(agentCases)) {
    it(`reports ${name} with file, line, column and path`, () => {
      expect(problems(() => loadAgentConfig(rel(`testdata/agent/${name}.yaml`), { env: {} }))).toEqual(
        expected,
      );
    });
  }
  it('parses the annotated example', () => {
    const cfg = loadAgentConfig(rel('agent.example.yaml'), { env });
    expect(cfg.server.urls).toHaveLength(2);
    expect(cfg.collectors[0]).toMatchObject({ type: 'host', interval: 30_000 });
    expect(cfg.queue.max_bytes).toBe(64 * 1024 ** 2);
  });
  it('treats an unset ${NAME:-} token as no token', () => {
    const cfg = loadAgentConfig(rel('agent.example.yaml'), { env: {} });
    expect(cfg.server.enrollment_token).toBeUndefined();
  });
});

describe('server config', () => {
  it('has a fixture for every case and a case for every fixture', () => {
    expect(
      readdirSync(join(here, 'testdata/server'))
        .map((f) => f.replace('.yaml', ''))
        .sort(),
    ).toEqual(Object.keys(serverCases).sort());
  });
  for (const [name, expected] of Object.entries(serverCases)) {
    it(`reports ${name} with file, line, column and path`, () => {
      expect(problems(() => loadServerConfig(rel(`testdata/server/${name}.yaml`), { env: {} }))).toEqual(
        expected,
      );
    });
  }
  it('parses the annotated example', () => {
    const cfg = loadServerConfig(rel('server.example.yaml'), { env });
    expect(cfg.auth.sites.map((s) => s.id)).toEqual(['so-tttt', 'ubnd-huyen-a']);
    expect(cfg.spool.max_bytes).toBe(2 * 1024 ** 3);
    expect(cfg.storage).toMatchObject({ kind: 'influxdb-v1', username: 'u', password: 'p' });
  });
  it('never puts a secret into a message', () => {
    const text = 'auth:\n  signing_key: ${SECRET}\n  sites: []\nspool: { dir: /tmp }\n';
    const msgs = problems(() =>
      loadConfig('s.yaml', agentConfigSchema, { text, env: { SECRET: 'hunter2-hunter2' } }),
    );
    expect(msgs.join('\n')).not.toContain('hunter2');
  });
});

describe('datacenter declaration', () => {
  it('has a fixture for every case and a case for every fixture', () => {
    expect(
      readdirSync(join(here, 'testdata/datacenter'))
        .map((f) => f.replace('.yaml', ''))
        .sort(),
    ).toEqual(Object.keys(datacenterCases).sort());
  });
  for (const [name, expected] of Object.entries(datacenterCases)) {
    it(`reports ${name} with file, line, column and path`, () => {
      expect(problems(() => loadDatacenter(rel(`testdata/datacenter/${name}.yaml`), { env: {} }))).toEqual(
        expected,
      );
    });
  }
  it('parses the annotated example: two sites, facts bare or with their evidence', () => {
    const cfg = loadDatacenter(rel('datacenter.example.yaml'), { env: {} });
    expect(cfg.sites.map((s) => s.id)).toEqual(['dc-tinh', 'dc-du-phong']);
    const dc = cfg.sites[0];
    expect(dc?.electrical.ups_redundancy).toEqual({
      value: 'N+1',
      evidence: { document: 'Thiết kế cấp điện TK-ĐIỆN-01', date: '2025-06-10', checked_by: 'Trần Thị B' },
    });
    expect(dc?.electrical.power_paths).toEqual({ value: 'single' });
    expect(dc?.electrical.ups_units.map((u) => [u.id, u.capacity_kw, u.path])).toEqual([
      ['ups-a', 10, 'A'],
      ['ups-b', 10, 'B'],
    ]);
  });
});

describe('the declaration against server.yaml', () => {
  it('names a site_id the server does not know, with its line', () => {
    expect(
      problems(() => loadDatacenter(rel('datacenter.example.yaml'), { env: {}, siteIds: ['huyen-a'] })),
    ).toEqual([
      'config/datacenter.example.yaml:14:14 sites[0].site_id: no site "so-tttt" in server.yaml auth.sites (known: huyen-a): its poller could never report',
      'config/datacenter.example.yaml:96:14 sites[1].site_id: no site "so-tttt" in server.yaml auth.sites (known: huyen-a): its poller could never report',
    ]);
  });
});

describe('the demo declaration', () => {
  it('parses and names the devices the demo simulates', () => {
    const cfg = loadDatacenter(rel('datacenter.demo.yaml'), { env: {} });
    expect(cfg.sites[0]?.devices.map((d) => d.name)).toEqual([
      'ups-dc-a',
      'ups-dc-b',
      'env-dc-1',
      'core-sw-1',
      'dist-sw-hp',
      'pdu-r12-a',
      'pdu-r12-b',
      'netbotz-r7',
    ]);
  });
});

describe('JSON Schemas for editors', () => {
  for (const kind of ['agent', 'server', 'datacenter'] as const) {
    it(`config/schema/${kind}.schema.json is what \`hatang config schema ${kind}\` generates now`, () => {
      expect(readFileSync(join(here, 'schema', `${kind}.schema.json`), 'utf8')).toBe(configJsonSchema(kind));
    });
  }
});
