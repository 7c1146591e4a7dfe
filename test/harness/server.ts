import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { type ServerConfig, serverConfigSchema } from '../../server/config.js';
import { hashToken, issueCredential } from '../../server/credentials.js';
import { type RunningServer, startServer } from '../../server/main.js';
import { type HatangProcess, spawnHatang } from './hatang.js';
import { freeTcpPort } from './ports.js';

export const testSigningKey = 'test-signing-key-0123456789abcdef0123456789';
export const siteTokens = {
  'so-tttt': 'enroll-so-tttt-0123456789abcdef',
  'huyen-a': 'enroll-huyen-a-0123456789abcdef',
} as const;
/** Each site's poller enrollment token: an agent enrolling with it gets role poller. */
export const pollerTokens = {
  'so-tttt': 'poller-so-tttt-0123456789abcdef',
  'huyen-a': 'poller-huyen-a-0123456789abcdef',
} as const;

/** The `auth` section of the test servers' config, as written in server.yaml (before parsing). */
export function testAuthInput(overrides: Record<string, unknown> = {}) {
  return {
    signing_key: testSigningKey,
    sites: Object.entries(siteTokens).map(([id, token]) => ({
      id,
      name: id,
      enrollment_token_sha256: hashToken(token),
      poller_token_sha256: hashToken(pollerTokens[id as keyof typeof pollerTokens]),
    })),
    ...overrides,
  };
}

/** A server config for tests: real influxd URL, a temp spool, two sites, port chosen by the OS. */
export function testServerConfig(influxUrl: string, overrides: Record<string, unknown> = {}): ServerConfig {
  const spoolDir = mkdtempSync(join(tmpdir(), 'hatang-spool-'));
  return serverConfigSchema.parse({
    instance: 'test',
    listen: { host: '127.0.0.1', port: 0 },
    auth: testAuthInput(),
    storage: { kind: 'influxdb-v1', url: influxUrl, database: 'hatang', timeout: '3s' },
    spool: { dir: spoolDir },
    // Inside the temp spool dir (removed by dispose), not the default snapshots/ beside it in /tmp.
    snapshots: { dir: join(spoolDir, 'snapshots') },
    ...overrides,
  });
}

export async function startTestServer(
  config: ServerConfig,
): Promise<RunningServer & { dispose(): Promise<void> }> {
  const server = await startServer(config, pino({ level: process.env.HATANG_TEST_LOG ?? 'silent' }));
  return Object.assign(server, {
    async dispose() {
      await server.close();
      rmSync(config.spool.dir, { recursive: true, force: true });
    },
  });
}

/** A machine's credential (agent or poller) signed with the test key, valid for a day. */
export async function agentCredential(
  agentId: string,
  siteId: string,
  role: 'agent' | 'poller' = 'agent',
): Promise<string> {
  return issueCredential({ role, subject: agentId, siteId }, testSigningKey, 86_400_000).credential;
}

/** An auditor's or admin's credential signed with the test key, valid for a day. */
export async function personCredential(role: 'auditor' | 'admin', subject: string): Promise<string> {
  return issueCredential({ role, subject }, testSigningKey, 86_400_000).credential;
}

/**
 * A server.yaml for a server run as its own process (tests that kill or restart it, and the benches):
 * loopback port, one site, the signing key from ${SIGNING_KEY}, and any extra top-level YAML lines.
 */
export function serverProcessYaml(o: {
  port: number;
  influxUrl: string;
  spoolDir: string;
  siteToken: string;
  storageExtra?: string;
  spoolExtra?: string;
  extra?: string;
}): string {
  return `listen: { host: 127.0.0.1, port: ${o.port} }
auth:
  signing_key: \${SIGNING_KEY}
  sites: [{ id: so-tttt, name: test, enrollment_token_sha256: ${hashToken(o.siteToken)}, poller_token_sha256: ${hashToken(pollerTokens['so-tttt'])} }]
storage: { kind: influxdb-v1, url: "${o.influxUrl}", database: hatang${o.storageExtra ? `, ${o.storageExtra}` : ''} }
spool: { dir: "${o.spoolDir}"${o.spoolExtra ? `, ${o.spoolExtra}` : ''} }
${o.extra ?? ''}
`;
}

/**
 * A `hatang server` to run as its own process (so a test can kill or restart it): a temp dir holding
 * its server.yaml (`serverProcessYaml`) and spool, and a free loopback port. `start()` spawns it,
 * again each time it is called. The caller stops what it started and removes `dir`.
 */
export async function serverProcess(
  influxUrl: string,
  more: Pick<Parameters<typeof serverProcessYaml>[0], 'storageExtra' | 'spoolExtra' | 'extra'> = {},
): Promise<{ dir: string; url: string; config: string; start(): HatangProcess }> {
  const dir = mkdtempSync(join(tmpdir(), 'hatang-server-process-'));
  const port = await freeTcpPort();
  const config = join(dir, 'server.yaml');
  writeFileSync(
    config,
    serverProcessYaml({
      port,
      influxUrl,
      spoolDir: join(dir, 'spool'),
      siteToken: siteTokens['so-tttt'],
      ...more,
    }),
  );
  return {
    dir,
    url: `http://127.0.0.1:${port}`,
    config,
    start: () => spawnHatang(['server', '--config', config], { SIGNING_KEY: testSigningKey }),
  };
}
