import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { Logger } from 'pino';
import { type Asset, loadAssets } from '../lib/assets/index.js';
import { ConfigError } from '../lib/config.js';

/** The asset register as loaded: its rows and where they came from (named in snapshot manifests). */
export interface AssetRegisterState {
  assets: readonly Asset[];
  /** The file and the SHA-256 of the bytes the rows were read from; null without a file. */
  source: { file: string; sha256: string } | null;
}

/** What snapshots read the asset register through. */
export interface AssetRegisterSource {
  /** The register as of now: the last version of the file that loaded without problems. */
  current(): AssetRegisterState;
}

/** A fixed register (tests, or a server without `assets.file`: every machine is then "not registered"). */
export function staticAssets(assets: readonly Asset[] = [], source: AssetRegisterState['source'] = null) {
  const state: AssetRegisterState = { assets, source };
  return { current: () => state } satisfies AssetRegisterSource;
}

export interface AssetFileOptions {
  log: Logger;
  /** The server's site ids (auth.sites): a row naming another is a problem. */
  sites: readonly string[];
  /** How often, at most, the file's mtime is looked at; 1 s by default. */
  checkEveryMs?: number;
}

function read(file: string, sites: readonly string[]): AssetRegisterState {
  const bytes = readFileSync(file);
  const { assets } = loadAssets(file, { sites, text: bytes.toString('utf8') });
  return { assets, source: { file, sha256: createHash('sha256').update(bytes).digest('hex') } };
}

/**
 * The register behind `assets.file`, re-read when the file changes (mtime, size or inode, looked at no
 * more than once a second), as server/registry.ts does for the endpoint registry: the first load
 * throws, so a server never starts with a broken register; a later bad edit keeps the last good one
 * and logs every problem, once per version of the file.
 *
 * @example
 * const assets = assetRegisterFile('config/assets.yaml', { log, sites: ['so-tttt'] });
 * assets.current().assets.length; // 50
 */
export function assetRegisterFile(file: string, options: AssetFileOptions): AssetRegisterSource {
  const { log, sites } = options;
  const checkEveryMs = options.checkEveryMs ?? 1000;
  const versionOf = () => {
    const s = statSync(file);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  };
  let version = versionOf();
  let state = read(file, sites);
  let checkedAt = Date.now();
  let failedVersion: string | undefined;
  return {
    current() {
      const now = Date.now();
      if (now - checkedAt < checkEveryMs) return state;
      checkedAt = now;
      let seen: string;
      try {
        seen = versionOf();
      } catch (err) {
        // A file being replaced may be missing for an instant; a deleted one must not empty the register.
        if (failedVersion !== 'missing')
          log.error({ err, file }, 'asset register: cannot read, keeping the last good one');
        failedVersion = 'missing';
        return state;
      }
      if (seen === version || seen === failedVersion) return state;
      try {
        const next = read(file, sites);
        log.info(
          { file, machines: next.assets.length, before: state.assets.length },
          'asset register reloaded',
        );
        state = next;
        version = seen;
        failedVersion = undefined;
      } catch (err) {
        failedVersion = seen;
        const problems = err instanceof ConfigError ? err.problems : [String(err)];
        log.error(
          { file, problems, machines: state.assets.length },
          `asset register: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the edited file, keeping the last good one`,
        );
      }
      return state;
    },
  };
}
