import { parseArgs } from 'node:util';
import { loadRegistry } from '../lib/endpoints/index.js';
import { createLogger } from '../lib/log.js';
import { loadRunnableServerConfig } from '../server/config-files.js';
import { startServer } from '../server/main.js';
import { loadDatacenter } from '../server/readiness/declaration.js';
import { configEnv, findConfig, sayWhichConfig } from './config-path.js';

export async function serverCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      check: { type: 'boolean' },
    },
  });
  const found = findConfig('server', values.config);
  // Every file server.yaml names is checked here, for --check and before a real start creates anything.
  const env = configEnv(found.file);
  const config = loadRunnableServerConfig(found.file, { env: env.env });
  // The registry is part of the configuration: --check lists its problems too.
  if (config.endpoints_file) loadRegistry(config.endpoints_file);
  if (values.check) {
    // The facility declaration is part of the server's config: a bad one is listed here, not at start.
    if (config.readiness) {
      loadDatacenter(config.readiness.datacenter_file, { siteIds: config.auth.sites.map((s) => s.id) });
    }
    console.log(`${found.file}: ok`);
    return 0;
  }
  sayWhichConfig(found, env.file);
  const log = createLogger('hatang-server', config.log_level);
  const server = await startServer(config, log);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      log.info({ signal }, 'signal received');
      resolve();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  await server.close();
  return 0;
}
