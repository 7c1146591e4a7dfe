import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { freeUdpPort } from './ports.js';
import { spawnService, waitForAgent } from './snmpd.js';

/** Where Debian's snmpsim package keeps its example device recordings. */
export const snmpsimExamples = '/usr/share/doc/snmpsim/examples/data';

export interface Snmpsim {
  /** The first endpoint's port. */
  port: number;
  /** Every endpoint's port (one per `endpoints`). */
  ports: number[];
  communities: string[];
  pid: number;
  stop(): Promise<void>;
}

export interface SnmpsimOptions {
  /** Community name → recording (.snmprec, or .snmprec.gz which is unpacked into the temp data dir). */
  recordings: Record<string, string>;
  /** UDP endpoints to listen on (all serve every community); default 1. */
  endpoints?: number;
}

/**
 * A real `snmpsimd` replaying recordings on 127.0.0.1:<free ports>, v2c architecture, logging off.
 * The community string selects the recording. Runs as nobody when started as root (snmpsimd refuses
 * to keep root privileges).
 */
export async function startSnmpsim(o: SnmpsimOptions): Promise<Snmpsim> {
  const dir = mkdtempSync(join(tmpdir(), 'hatang-snmpsim-'));
  const data = join(dir, 'data');
  const cache = join(dir, 'cache');
  mkdirSync(data);
  mkdirSync(cache);
  for (const [community, file] of Object.entries(o.recordings)) {
    if (!/^[A-Za-z0-9_-]+$/.test(community))
      throw new Error(`snmpsim: community "${community}" must be [A-Za-z0-9_-]+`);
    const target = join(data, `${community}.snmprec`);
    if (file.endsWith('.gz')) writeFileSync(target, gunzipSync(readFileSync(file)));
    else copyFileSync(file, target);
  }
  const root = process.getuid?.() === 0;
  chmodSync(dir, 0o755);
  chmodSync(data, 0o755);
  if (root) chownSync(cache, 65534, 65534);
  const ports: number[] = [];
  for (let i = 0; i < (o.endpoints ?? 1); i++) ports.push(await freeUdpPort());
  const args = [
    `--data-dir=${data}`,
    `--cache-dir=${cache}`,
    '--v2c-arch',
    '--logging-method=null',
    ...ports.map((p) => `--agent-udpv4-endpoint=127.0.0.1:${p}`),
    ...(root ? ['--process-user=nobody', '--process-group=nogroup'] : []),
  ];
  const service = spawnService('/usr/bin/snmpsimd', args);
  const communities = Object.keys(o.recordings);
  try {
    // snmpsimd indexes a recording on its first request: ask each once, so a test's first poll
    // measures the device, not the indexing.
    for (const community of communities) {
      await waitForAgent(service, ['-v2c', '-c', community], ports[0] as number, 'snmpsimd');
    }
  } catch (err) {
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port: ports[0] as number,
    ports,
    communities,
    pid: service.pid,
    async stop() {
      await service.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
