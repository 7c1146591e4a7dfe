import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Influxd } from '../../lib/services/influxd.js';
import { createStorage, type Storage } from '../../server/storage/index.js';
import { freeTcpPort } from './ports.js';

export { type InfluxSeries, rows } from '../../lib/services/influxd.js';

/** A real influxd in a temp dir on free loopback ports; `dispose()` stops it and deletes its data. */
export async function startInfluxd(
  options: { maxBodySize?: number } = {},
): Promise<Influxd & { dispose(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'hatang-influxd-'));
  const influxd = new Influxd({
    dir,
    httpPort: await freeTcpPort(),
    rpcPort: await freeTcpPort(),
    ...options,
  });
  await influxd.start();
  return Object.assign(influxd, {
    async dispose() {
      await influxd.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

/** The server's storage on a test influxd's database (created on first use), with a timeout for big reads. */
export async function storageOn(influxd: Influxd, database = 'hatang'): Promise<Storage> {
  const storage = createStorage(
    { kind: 'influxdb-v1', url: influxd.url, database, create_database: true, timeout: 60_000 },
    10_000_000,
  );
  await storage.prepare();
  return storage;
}
