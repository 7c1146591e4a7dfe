import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface InfluxdOptions {
  /** Directory holding meta/, data/, wal/ and the generated influxdb.conf. */
  dir: string;
  httpPort: number;
  /** Port of influxd's backup/RPC service; must be free too. */
  rpcPort: number;
  host?: string;
  binary?: string;
  /** influxd's `[http] max-body-size` in bytes (its default is 25,000,000); tests set it low. */
  maxBodySize?: number;
  /**
   * Run influxd in its own process group with its stderr in this file instead of a pipe, so it can
   * outlive this process once {@link Influxd.detach} is called (`hatang demo --once --keep`).
   */
  detachedLog?: string;
}

/**
 * A real `influxd` (Debian's influxdb package, 1.6) run with a generated config: its own data dirs,
 * loopback ports, no usage reporting. Used by the test harness and by `hatang demo`.
 */
export class Influxd {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stderrTail = '';
  readonly url: string;
  readonly configFile: string;

  constructor(private readonly o: InfluxdOptions) {
    const host = o.host ?? '127.0.0.1';
    this.url = `http://${host}:${o.httpPort}`;
    this.configFile = join(o.dir, 'influxdb.conf');
    mkdirSync(o.dir, { recursive: true });
    writeFileSync(
      this.configFile,
      [
        'reporting-disabled = true',
        `bind-address = "${host}:${o.rpcPort}"`,
        '[meta]',
        `  dir = "${join(o.dir, 'meta')}"`,
        '[data]',
        `  dir = "${join(o.dir, 'data')}"`,
        `  wal-dir = "${join(o.dir, 'wal')}"`,
        '  query-log-enabled = false',
        '[http]',
        `  bind-address = "${host}:${o.httpPort}"`,
        '  log-enabled = false',
        ...(o.maxBodySize !== undefined ? [`  max-body-size = ${o.maxBodySize}`] : []),
        '[monitor]',
        '  store-enabled = false',
        '[subscriber]',
        '  enabled = false',
        '[logging]',
        '  level = "warn"',
        '',
      ].join('\n'),
    );
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts influxd and resolves once `/ping` answers; throws with influxd's last words otherwise. */
  async start(timeoutMs = 30_000): Promise<void> {
    if (this.child) return;
    const logFd = this.o.detachedLog ? openSync(this.o.detachedLog, 'a') : undefined;
    const child = spawn(this.o.binary ?? '/usr/bin/influxd', ['-config', this.configFile], {
      stdio: ['ignore', 'ignore', logFd ?? 'pipe'],
      detached: logFd !== undefined,
    });
    if (logFd !== undefined) closeSync(logFd);
    this.child = child;
    this.stderrTail = '';
    child.stderr?.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-2000);
    });
    let exitInfo: string | undefined;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        exitInfo = `exited with ${signal ?? code}`;
        if (this.child === child) this.child = undefined;
        resolve();
      });
      child.once('error', (err) => {
        exitInfo = `cannot start: ${err.message}`;
        if (this.child === child) this.child = undefined;
        resolve();
      });
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (exitInfo)
        throw new Error(
          `influxd ${exitInfo}: ${this.o.detachedLog ? `see ${this.o.detachedLog}` : this.stderrTail.trim().slice(-500)}`,
        );
      if (await this.ping()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.stop();
    throw new Error(`influxd did not answer /ping on ${this.url} within ${timeoutMs} ms`);
  }

  async ping(): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}/ping`, { signal: AbortSignal.timeout(500) });
      return res.status === 204;
    } catch {
      return false;
    }
  }

  /**
   * Lets influxd outlive this process (started with `detachedLog`): this object forgets it, so
   * stop() no longer stops it; returns its PID for whoever stops it later.
   */
  detach(): number | undefined {
    const child = this.child;
    if (!child) return undefined;
    child.unref();
    this.child = undefined;
    return child.pid;
  }

  /** Freezes influxd (SIGSTOP): it keeps its sockets but answers nothing, like a hung server. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** Stops the influxd this object started (SIGTERM, then SIGKILL after 10 s). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(killer);
  }

  /**
   * Writes line protocol (times in ms) straight to /write, 20,000 lines a request: the seeding of
   * tests and benchmarks that are not about the ingest path. Throws naming InfluxDB's answer.
   */
  async writeLines(lines: readonly string[], db = 'hatang'): Promise<void> {
    const url = `${this.url}/write?db=${encodeURIComponent(db)}&precision=ms`;
    for (let i = 0; i < lines.length; i += 20_000) {
      const res = await fetch(url, {
        method: 'POST',
        body: lines.slice(i, i + 20_000).join('\n'),
        signal: AbortSignal.timeout(60_000),
      });
      if (res.status !== 204) throw new Error(`influxd /write: ${res.status} ${await res.text()}`);
    }
  }

  /** Runs InfluxQL and returns the series of the first statement (throws on an InfluxDB error). */
  async query(q: string, db = 'hatang'): Promise<InfluxSeries[]> {
    const url = `${this.url}/query?db=${encodeURIComponent(db)}&epoch=ms&q=${encodeURIComponent(q)}`;
    const res = await fetch(url, { method: 'POST', signal: AbortSignal.timeout(30_000) });
    const body = (await res.json()) as {
      results?: { series?: InfluxSeries[]; error?: string }[];
      error?: string;
    };
    const first = body.results?.[0];
    if (!res.ok || body.error || first?.error) {
      throw new Error(`influxql ${q}: ${body.error ?? first?.error ?? res.status}`);
    }
    return first?.series ?? [];
  }
}

export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

/** Rows of a series as objects keyed by column. */
export function rows(series: InfluxSeries | undefined): Record<string, unknown>[] {
  if (!series) return [];
  return series.values.map((v) => Object.fromEntries(series.columns.map((c, i) => [c, v[i]])));
}
