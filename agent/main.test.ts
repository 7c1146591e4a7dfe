import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { statusLines } from '../cli/agent-command.js';
import { waitFor } from '../test/harness/ports.js';
import { agentConfigSchema } from './config.js';
import { runAgent } from './main.js';
import { ensureEnrolled } from './runtime/enroll.js';
import { HttpClient } from './runtime/http.js';
import type { AgentStatus } from './runtime/state.js';
import { capturedLog, hostile, startTestCollector, type TestCollector } from './runtime/test-collector.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Runs the real agent in this process against `collector`; stopped by the test's cleanup. */
function startAgent(
  collector: TestCollector,
  extra: { token?: boolean; prepare?: (stateDir: string) => void } = {},
) {
  const stateDir = mkdtempSync(join(tmpdir(), 'hatang-agent-main-'));
  extra.prepare?.(stateDir);
  const config = agentConfigSchema.parse({
    agent: { state_dir: stateDir, hostname: 'pc-1' },
    server: {
      urls: [collector.url],
      ...(extra.token === false ? {} : { enrollment_token: 'site-token-0123456789' }),
      request_timeout: '1s',
    },
    queue: { send_interval: '200ms', backoff_max: '500ms' },
    health_interval: '1s',
    collectors: [{ type: 'host', interval: '1s' }],
  });
  const { log, lines } = capturedLog();
  const stop = new AbortController();
  let exited: unknown;
  const run = runAgent(config, log, { signal: stop.signal }).then(
    (code) => {
      exited = code;
    },
    (err) => {
      exited = err;
    },
  );
  cleanups.push(async () => {
    stop.abort();
    await run;
    rmSync(stateDir, { recursive: true, force: true });
  });
  return {
    stateDir,
    lines,
    exited: () => exited,
    credential: () => {
      const file = join(stateDir, 'credential.json');
      return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
    },
  };
}

describe('the agent against a hostile server', () => {
  it('keeps running through huge, dripping, {} / HTML / CR-LF answers, stores none of them, and enrolls once the server is good', async () => {
    const collector = await startTestCollector({ oldAnswer: true, lifetimeS: 0 });
    cleanups.push(() => collector.close());
    const answers = [
      hostile.huge,
      hostile.drip,
      hostile.emptyObject,
      hostile.html,
      hostile.crlfCredential,
      hostile.wrongTypes,
    ];
    collector.enroll = (req, res) => {
      const next = answers[collector.calls.enroll - 1];
      if (next) return next(req, res);
      // Hostile answers are over: this call is refused as by a busy server, the next ones succeed.
      collector.enroll = 'good';
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"message":"busy"}');
    };
    const agent = startAgent(collector);
    let storedWhileHostile = false;
    await waitFor(
      'six hostile answers',
      () => {
        if (collector.calls.enroll <= answers.length && agent.credential() !== undefined)
          storedWhileHostile = true;
        return collector.calls.enroll > answers.length;
      },
      { timeoutMs: 30_000, everyMs: 20 },
    );
    await waitFor('points delivered', () => collector.points.some((p) => p.measurement === 'host'), {
      timeoutMs: 30_000,
    });
    expect(storedWhileHostile).toBe(false);
    expect(agent.exited()).toBeUndefined();
    expect(agent.credential().credential).toBe(collector.issued[0]);
    expect(statSync(join(agent.stateDir, 'credential.json')).mode & 0o777).toBe(0o600);
    const errors = agent.lines
      .filter(
        (l) => l.msg === 'enrollment answer unusable; not stored' || l.msg === 'not enrolled yet; retrying',
      )
      .map((l) => String(l.err));
    for (const why of [
      'answer is larger than 65536 bytes',
      'no complete answer within 1000 ms',
      'agent_id is missing',
      'answer is not a JSON object (text/html)',
      'credential is not a JWT',
      'agent_id must be a string',
    ])
      expect(errors.some((e) => e.includes(why))).toBe(true);
    // An old server's credential without exp is never renewed.
    expect(collector.calls.renew).toBe(0);
  }, 60_000);
});

describe('credential renewal', () => {
  it('renews when a third of the lifetime is left, keeps sending with the new credential, and re-enrolls when renewal is refused', async () => {
    const collector = await startTestCollector({ lifetimeS: 3 });
    cleanups.push(() => collector.close());
    const agent = startAgent(collector);
    await waitFor('a renewal', () => collector.calls.renew >= 1 && collector.issued.length >= 2, {
      timeoutMs: 20_000,
    });
    await waitFor(
      'the renewed credential stored',
      () => agent.credential()?.credential === collector.issued[1],
      {
        timeoutMs: 5_000,
      },
    );
    const renewed = agent.credential();
    expect(renewed.renewed_at).toBeDefined();
    expect(renewed.role).toBe('agent');
    expect(statSync(join(agent.stateDir, 'credential.json')).mode & 0o777).toBe(0o600);
    // Not before two thirds of the lifetime: the first renewal came from iat + 2 s on.
    const firstIat = JSON.parse(Buffer.from(collector.issued[0]!.split('.')[1]!, 'base64url').toString()).iat;
    const secondIat = JSON.parse(
      Buffer.from(collector.issued[1]!.split('.')[1]!, 'base64url').toString(),
    ).iat;
    expect(secondIat - firstIat).toBeGreaterThanOrEqual(2);

    const enrolls = collector.calls.enroll;
    collector.renew = 'unauthorized';
    await waitFor('enrolling again after a refused renewal', () => collector.calls.enroll > enrolls, {
      timeoutMs: 20_000,
    });
    expect(agent.lines.some((l) => l.msg === 'credential renewal refused: enrolling again')).toBe(true);
    collector.renew = 'good';
    const delivered = collector.points.length;
    await waitFor('deliveries after re-enrolling', () => collector.points.length > delivered, {
      timeoutMs: 20_000,
    });
    expect(agent.exited()).toBeUndefined();
  }, 60_000);
});

describe('credential renewal without a token', () => {
  it('keeps the current credential when renewal is refused, says what to do, and does not retry in a loop', async () => {
    const collector = await startTestCollector({ lifetimeS: 4 });
    cleanups.push(() => collector.close());
    // Enrolled earlier (the token has since been removed from the config).
    const earlier = mkdtempSync(join(tmpdir(), 'hatang-agent-earlier-'));
    const http = new HttpClient(undefined, { connectMs: 500, totalMs: 2_000 });
    cleanups.push(() => {
      http.close();
      rmSync(earlier, { recursive: true, force: true });
    });
    const first = await ensureEnrolled({
      stateDir: earlier,
      urls: [collector.url],
      token: 'site-token-0123456789',
      hostname: 'pc-1',
      version: 'test',
      http,
      log: capturedLog().log,
    });
    collector.renew = 'unauthorized';
    const agent = startAgent(collector, {
      token: false,
      prepare: (dir) =>
        writeFileSync(join(dir, 'credential.json'), readFileSync(join(earlier, 'credential.json'))),
    });
    const refused = 'credential renewal refused: set server.enrollment_token to let the agent enroll again';
    await waitFor('the refusal logged', () => agent.lines.some((l) => l.msg === refused), {
      timeoutMs: 20_000,
    });
    await waitFor('a second attempt', () => agent.lines.filter((l) => l.msg === refused).length >= 2, {
      timeoutMs: 10_000,
    });
    // Backed off (at least 250 ms, growing), not retried at every turn of the send loop.
    const [t1, t2] = agent.lines.filter((l) => l.msg === refused).map((l) => l.time as number);
    expect(t2! - t1!).toBeGreaterThanOrEqual(250);
    expect(collector.calls.enroll).toBe(1);
    expect(agent.credential().credential).toBe(first.credential);
    expect(agent.exited()).toBeUndefined();
  }, 60_000);
});

describe('damaged queue files', () => {
  it('are logged by name, counted in agent_health and agent status, the rest of the queue still goes, and cut-short temp files are removed at start', async () => {
    const collector = await startTestCollector();
    cleanups.push(() => collector.close());
    const good = {
      batch_id: 'left-from-last-run',
      points: [
        {
          measurement: 'host',
          tags: { hostname: 'pc-1' },
          fields: { uptime_s: 7 },
          time: Date.now() - 60_000,
        },
      ],
    };
    const agent = startAgent(collector, {
      prepare: (dir) => {
        mkdirSync(join(dir, 'queue'), { recursive: true });
        writeFileSync(join(dir, 'queue', '0000000000000001-40.json'), '{"batch_id":"x","points":[{"measu');
        writeFileSync(join(dir, 'queue', '0000000000000002-1.json'), JSON.stringify(good));
        writeFileSync(join(dir, 'queue', '0000000000000003-25.json'), Buffer.from([0, 1, 2, 0xfe]));
        // Temp files of writes a crash or a full disk cut short, in the state dir and a collector's.
        writeFileSync(join(dir, 'status.json.4242.0badf00d.tmp'), '');
        mkdirSync(join(dir, 'collectors', 'host'), { recursive: true });
        writeFileSync(join(dir, 'collectors', 'host', 'state.json.4242.0badf00d.tmp'), '{"half');
      },
    });
    await waitFor(
      'agent_health counting the damaged files',
      () =>
        collector.points.some(
          (p) =>
            p.measurement === 'agent_health' &&
            p.fields.corrupt_queue_files === 2 &&
            p.fields.corrupt_queue_points === 65,
        ),
      { timeoutMs: 20_000 },
    );
    expect(collector.points.some((p) => p.fields.uptime_s === 7)).toBe(true);
    expect(
      readdirSync(agent.stateDir, { recursive: true, encoding: 'utf8' }).filter((n) => n.endsWith('.tmp')),
    ).toEqual([]);
    const logged = agent.lines.filter((l) => l.msg === 'damaged queue file moved to rejected/');
    expect(logged.map((l) => String(l.file).split('/').at(-1))).toEqual([
      '0000000000000001-40.json',
      '0000000000000003-25.json',
    ]);
    expect(String(logged[0]?.reason)).toMatch(/^not JSON \(33 bytes\)/);
    expect(readdirSync(join(agent.stateDir, 'queue', 'rejected')).sort()).toEqual([
      '0000000000000001-40.json',
      '0000000000000003-25.json',
    ]);
    await waitFor('the status file', () => existsSync(join(agent.stateDir, 'status.json')));
    await waitFor('the status file to count them', () => {
      const status = JSON.parse(readFileSync(join(agent.stateDir, 'status.json'), 'utf8')) as AgentStatus;
      return status.counters.corrupt_queue_files === 2;
    });
    const status = JSON.parse(readFileSync(join(agent.stateDir, 'status.json'), 'utf8')) as AgentStatus;
    expect(statusLines({ status, enrollment: undefined, running: true, statusFile: '' })).toContain(
      'rejected:    0 points refused by the server; 2 damaged queue files (65 points), kept in queue/rejected/',
    );
  }, 60_000);
});
