import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { type Asset, loadAssets } from '../lib/assets/index.js';
import { reloadingFile } from './reloading-file.js';

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
 * The register behind `assets.file`, re-read when the file changes ({@link reloadingFile}), as the
 * endpoint registry is: the first load throws, so a server never starts with a broken register; a
 * later bad edit keeps the last good one and logs every problem, once per version of the file.
 *
 * @example
 * const assets = assetRegisterFile('config/assets.yaml', { log, sites: ['so-tttt'] });
 * assets.current().assets.length; // 50
 */
export function assetRegisterFile(file: string, options: AssetFileOptions): AssetRegisterSource {
  const { sites, ...rest } = options;
  return reloadingFile(file, {
    ...rest,
    what: 'asset register',
    load: (f) => read(f, sites),
    count: (state) => state.assets.length,
    unit: 'machines',
  });
}
