import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { ConfigError, UsageError } from '../config.js';
import { type CommandIo, processIo, readSheetFile } from '../endpoints/cli.js';
import { importAssetsCsv } from './csv.js';
import { type Asset, loadAssets } from './index.js';

export const assetsUsage = `usage:
  hatang assets import <file.csv> [--out <file.yaml>] [--site <id>] [--config <server.yaml> | --sites <id,id>]
                     an agency's machine list (spreadsheet export) → asset register YAML (stdout without --out)
  hatang assets check <file.yaml|file.csv> [--config <server.yaml> | --sites <id,id>]
                     validate a register and summarise it; sites are checked against the server's auth.sites`;

/**
 * `hatang assets import|check`. Returns the exit code: 0, or 1 when the input has problems (each
 * printed on stderr as `file:line: ...`). A command line it cannot understand throws a UsageError.
 *
 * @example
 * process.exitCode = await assetsCommand(['import', 'may-tinh.csv', '--out', 'config/assets.yaml', '--config', 'config/server.yaml']);
 */
export async function assetsCommand(argv: string[], io: CommandIo = processIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string', short: 'o' },
      site: { type: 'string' },
      sites: { type: 'string' },
      config: { type: 'string', short: 'c' },
    },
  });
  const [sub, file, ...extra] = positionals;
  if (extra.length > 0)
    throw new UsageError(`hatang assets: unexpected "${extra.join(' ')}"\n${assetsUsage}`);
  if (values.sites !== undefined && values.config !== undefined)
    throw new UsageError('hatang assets: give --config or --sites, not both');
  try {
    const sites =
      values.sites !== undefined
        ? values.sites
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : values.config !== undefined
          ? serverSites(values.config)
          : undefined;
    if (sub === 'import') {
      if (!file) throw new UsageError(`hatang assets import: which CSV file?\n${assetsUsage}`);
      return await importCommand(file, { out: values.out, site: values.site, sites }, io);
    }
    if (sub === 'check') {
      if (!file) throw new UsageError(`hatang assets check: which file?\n${assetsUsage}`);
      if (values.out !== undefined) throw new UsageError('hatang assets check: --out is for import');
      const assets = file.toLowerCase().endsWith('.csv')
        ? (await readCsv(file, { site: values.site, sites })).assets
        : loadAssets(file, sites ? { sites } : {}).assets;
      io.out(summary(file, assets, sites));
      return 0;
    }
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.err(
      `${err.problems.join('\n')}\n${err.file}: ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}\n`,
    );
    return 1;
  }
  throw new UsageError(`hatang assets: expected "import" or "check"\n${assetsUsage}`);
}

/** The site ids of a server config's auth.sites, read without resolving its secrets. */
function serverSites(file: string): string[] {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(file, [`${file}: cannot read the server config: ${(err as Error).message}`]);
  }
  const sites = (doc as { auth?: { sites?: { id?: unknown }[] } } | null)?.auth?.sites;
  const ids = Array.isArray(sites) ? sites.map((s) => s?.id).filter((id) => typeof id === 'string') : [];
  if (ids.length === 0) throw new ConfigError(file, [`${file}: auth.sites lists no site ids`]);
  return ids as string[];
}

async function readCsv(file: string, o: { site?: string | undefined; sites?: string[] | undefined }) {
  const text = await readSheetFile(file);
  return importAssetsCsv(text, file, {
    ...(o.site !== undefined ? { site: o.site } : {}),
    ...(o.sites ? { sites: o.sites } : {}),
  });
}

async function importCommand(
  file: string,
  o: { out: string | undefined; site: string | undefined; sites: string[] | undefined },
  io: CommandIo,
): Promise<number> {
  const { assets, ignored, yaml } = await readCsv(file, o);
  const notes = [
    ignored.length > 0 ? `${file}: columns left out: ${ignored.join(', ')}` : '',
    o.sites ? '' : `${file}: sites not checked against the server (give --config <server.yaml> or --sites)`,
  ]
    .filter(Boolean)
    .map((l) => `${l}\n`)
    .join('');
  if (o.out === undefined) {
    io.out(yaml);
    io.err(notes);
    return 0;
  }
  // Written beside and renamed, so a register the server reads is never half-written.
  const partial = `${o.out}.${process.pid}.partial`;
  await writeFile(partial, yaml);
  await rename(partial, o.out);
  io.err(`${notes}${o.out}: ${assets.length} machines imported from ${file}\n`);
  return 0;
}

/** What an operator checks after an edit: machines per site and agency, and what is missing. */
export function summary(
  file: string,
  assets: readonly Asset[],
  sites: readonly string[] | undefined,
): string {
  const lines = [`${file}: ${assets.length} machines, no problems`];
  if (!sites) lines.push('sites not checked against the server (give --config <server.yaml> or --sites)');
  const counts = new Map<string, number>();
  for (const a of assets) {
    const key = `${a.site}\t${a.agency}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  lines.push('', 'site\tagency\tmachines');
  for (const [key, n] of [...counts].sort(([a], [b]) => a.localeCompare(b, 'vi'))) lines.push(`${key}\t${n}`);
  const noTag = assets.filter((a) => a.asset_tag === undefined).length;
  const noOwner = assets.filter((a) => a.owner === undefined).length;
  if (noTag > 0 || noOwner > 0) lines.push('', `without asset tag: ${noTag}; without owner: ${noOwner}`);
  return `${lines.join('\n')}\n`;
}
