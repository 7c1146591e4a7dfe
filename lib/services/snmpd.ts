import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeUdpPort, waitFor } from './ports.js';

/** A child process the harness started, stopped by its own PID only. */
export interface Service {
  readonly pid: number;
  /** Last lines the process wrote, for error messages. */
  output(): string;
  /** Undefined while running; how it ended otherwise. */
  exited(): string | undefined;
  stop(): Promise<void>;
}

/** Spawns `command` and keeps the tail of its output; `stop()` sends SIGTERM, then SIGKILL after 5 s. */
export function spawnService(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Service {
  const child: ChildProcess = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  let ended: string | undefined;
  const keep = (d: Buffer) => {
    tail = (tail + d.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const done = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      ended = `exited with ${signal ?? code}`;
      resolve();
    });
    child.once('error', (err) => {
      ended = `cannot start: ${err.message}`;
      resolve();
    });
  });
  return {
    pid: child.pid ?? -1,
    output: () => tail,
    exited: () => ended,
    async stop() {
      if (ended) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await done;
      clearTimeout(killer);
    },
  };
}

/** One `snmpget` with the net-snmp C tool; resolves its stdout, rejects on any failure. */
export function snmpCli(
  tool: 'snmpget' | 'snmpbulkwalk' | 'snmpwalk',
  args: string[],
  timeoutMs = 30_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(tool, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err)
        reject(new Error(`${tool} ${args.join(' ')}: ${stderr.trim() || err.message}`, { cause: err }));
      else resolve(stdout);
    });
  });
}

/** Waits until `snmpget` of sysUpTime answers with these auth args, or the service dies. */
export async function waitForAgent(
  service: Service,
  authArgs: string[],
  port: number,
  what: string,
): Promise<void> {
  await waitFor(
    what,
    async () => {
      const ended = service.exited();
      if (ended) throw new Error(`${what} ${ended}: ${service.output().trim().slice(-600)}`);
      await snmpCli(
        'snmpget',
        [...authArgs, '-t', '0.3', '-r', '0', `127.0.0.1:${port}`, '1.3.6.1.2.1.1.3.0'],
        3_000,
      );
      return true;
    },
    { timeoutMs: 20_000, everyMs: 100 },
  );
}

export interface Snmpd {
  port: number;
  community: string;
  v3: { user: string; authKey: string; privKey: string };
  /** snmpget/snmpbulkwalk arguments for the v2c community. */
  v2cArgs: string[];
  /** snmpget/snmpbulkwalk arguments for the v3 authPriv user (SHA/AES). */
  v3Args: string[];
  stop(): Promise<void>;
}

/**
 * A real snmpd on 127.0.0.1:<free port> with a generated config: a read-only v2c community and a v3
 * authPriv user (SHA/AES), both random per run. It serves this machine's real interfaces.
 */
export async function startSnmpd(): Promise<Snmpd> {
  const dir = mkdtempSync(join(tmpdir(), 'hatang-snmpd-'));
  const community = `ht${randomBytes(6).toString('hex')}`;
  const v3 = {
    user: 'hatang',
    authKey: randomBytes(8).toString('hex'),
    privKey: randomBytes(8).toString('hex'),
  };
  let lastError: unknown;
  // The port is free when chosen but another process may take it first: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeUdpPort();
    const conf = join(dir, 'snmpd.conf');
    writeFileSync(
      conf,
      [
        `agentAddress udp:127.0.0.1:${port}`,
        `rocommunity ${community} 127.0.0.1`,
        `createUser ${v3.user} SHA "${v3.authKey}" AES "${v3.privKey}"`,
        `rouser ${v3.user} priv`,
        'sysLocation hatang test harness',
        'sysContact nobody',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const service = spawnService('/usr/sbin/snmpd', ['-f', '-Lo', '-C', '-c', conf], {
      ...process.env,
      SNMP_PERSISTENT_DIR: join(dir, `persist-${attempt}`),
      MIBS: '',
    });
    const v2cArgs = ['-v2c', '-c', community];
    const v3Args = [
      '-v3',
      '-l',
      'authPriv',
      '-u',
      v3.user,
      '-a',
      'SHA',
      '-A',
      v3.authKey,
      '-x',
      'AES',
      '-X',
      v3.privKey,
    ];
    try {
      await waitForAgent(service, v2cArgs, port, `snmpd on udp:127.0.0.1:${port}`);
      return {
        port,
        community,
        v3,
        v2cArgs,
        v3Args,
        async stop() {
          await service.stop();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      lastError = err;
      await service.stop();
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error('snmpd: cannot start', { cause: lastError });
}
