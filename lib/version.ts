import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (where package.json is), whether running from sources or from dist/. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('project root: no package.json above lib/');
}

/** Set by the agent package's bundler (esbuild `define`): a bundle has no package.json beside it. */
declare const __HATANG_VERSION__: string | undefined;

/** Whether this is the bundled agent of agent/package/ rather than a checkout (dist/ or sources). */
export function isBundled(): boolean {
  return typeof __HATANG_VERSION__ === 'string';
}

export function hatangVersion(): string {
  if (typeof __HATANG_VERSION__ === 'string') return __HATANG_VERSION__;
  try {
    return (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
}
