import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { UsageError } from '../lib/config.js';
import { loadServerConfig } from '../server/config.js';
import { disclaimer } from '../server/readiness/criteria.js';
import { loadDatacenter } from '../server/readiness/declaration.js';
import { formatScorecard, type Lang } from '../server/readiness/format.js';
import { createReadiness } from '../server/readiness/service.js';
import { createStorage } from '../server/storage/index.js';
import { configEnv, findConfig, sayWhichConfig } from './config-path.js';

/**
 * `hatang readiness [--config server.yaml] [--datacenter file] [--site id] [--json] [--lang vi|en]`:
 * the TIA-942 readiness self-assessment evaluated now, from the declaration and the InfluxDB that
 * server.yaml names, by the same code as GET /api/v1/readiness (so both say the same).
 */
export async function readinessCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      datacenter: { type: 'string' },
      site: { type: 'string' },
      json: { type: 'boolean' },
      lang: { type: 'string', default: 'vi' },
    },
  });
  const lang = values.lang as Lang;
  if (lang !== 'vi' && lang !== 'en') throw new UsageError(`--lang: expected vi or en, got "${values.lang}"`);
  const found = findConfig('server', values.config);
  const env = configEnv(found.file);
  sayWhichConfig(found, env.file);
  const config = loadServerConfig(found.file, { env: env.env });
  const file = values.datacenter ?? config.readiness?.datacenter_file;
  if (!file) {
    throw new UsageError(
      `readiness: ${found.file} has no readiness.datacenter_file; pass --datacenter <file>`,
    );
  }
  const readiness = createReadiness({
    declaration: loadDatacenter(file, { siteIds: config.auth.sites.map((s) => s.id) }),
    storage: createStorage(config.storage, config.write.max_body_bytes),
    staleAfterMs: config.readiness?.stale_after ?? 600_000,
    log: pino({ level: 'silent' }),
  });
  if (values.site !== undefined && !readiness.sites.includes(values.site)) {
    throw new UsageError(
      `--site: no data-center site "${values.site}" in ${file} (known: ${readiness.sites.join(', ')})`,
    );
  }
  const sites = await readiness.evaluate(values.site ? { site: values.site } : {});
  if (values.json) process.stdout.write(`${JSON.stringify({ label: disclaimer.en, sites }, null, 2)}\n`);
  else process.stdout.write(sites.map((s) => formatScorecard(s, lang)).join('\n'));
  return 0;
}
