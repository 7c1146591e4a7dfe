import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { agentConfigSchema, loadAgentConfig } from '../agent/config.js';
import { ConfigError, loadConfig } from '../lib/config.js';
import { configJsonSchema } from '../lib/json-schema.js';
import { loadServerConfig } from '../server/config.js';

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
  'bad-limits': [
    'config/testdata/server/bad-limits.yaml:6:19 limits.json_max_depth: too small: expected number to be >=4',
    'config/testdata/server/bad-limits.yaml:7:31 limits.enroll_per_source.burst: too small: expected number to be >=1',
    'config/testdata/server/bad-limits.yaml:8:21 limits.enroll_per_token.per_minute: required',
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

describe('JSON Schemas for editors', () => {
  for (const kind of ['agent', 'server'] as const) {
    it(`config/schema/${kind}.schema.json is what \`hatang config schema ${kind}\` generates now`, () => {
      expect(readFileSync(join(here, 'schema', `${kind}.schema.json`), 'utf8')).toBe(configJsonSchema(kind));
    });
  }
});
