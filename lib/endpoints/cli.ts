import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ConfigError, UsageError } from '../config.js';
import { importEndpointsCsv } from './csv.js';
import { diffRegistries, formatDiff, unchanged } from './diff.js';
import { groupingTags, loadRegistry, type Registry } from './index.js';

export const endpointsUsage = `usage:
  hatang endpoints import <file.csv> [--out <file.yaml> [--force]]
                                                           spreadsheet export → registry YAML (stdout without --out);
                                                           an existing --out is replaced only with --force, after
                                                           listing what changes (added, removed, moved endpoints)
  hatang endpoints check [file]                            validate a registry (default config/endpoints.yaml) and summarise it`;

/** Where the command writes; tests pass their own to read what an operator would see. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
}

/** The process's stdout and stderr. */
export const processIo: CommandIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/**
 * A spreadsheet export's text: the file read as strict UTF-8. Throws a ConfigError naming the file
 * when it cannot be read or is not UTF-8 (both importers, endpoints and assets, read through it).
 */
export async function readSheetFile(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new ConfigError(file, [
      `${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    ]);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Excel's plain "CSV" is the Windows code page; guessing it would garble names silently.
    throw new ConfigError(file, [
      `${file}: not UTF-8 text: save the sheet as "CSV UTF-8 (Comma delimited)" in Excel, or pick UTF-8 in LibreOffice`,
    ]);
  }
  return text;
}

/**
 * `hatang endpoints import|check`. Returns the exit code: 0, or 1 when the input has problems (each
 * printed on stderr as `file:line: ...`). A command line it cannot understand throws a UsageError.
 *
 * @example
 * process.exitCode = await endpointsCommand(['import', 'diem.csv', '--out', 'config/endpoints.yaml']);
 */
export async function endpointsCommand(argv: string[], io: CommandIo = processIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string', short: 'o' }, force: { type: 'boolean' } },
  });
  const [sub, file, ...extra] = positionals;
  if (extra.length > 0)
    throw new UsageError(`hatang endpoints: unexpected "${extra.join(' ')}"\n${endpointsUsage}`);
  try {
    if (sub === 'import') {
      if (!file) throw new UsageError(`hatang endpoints import: which CSV file?\n${endpointsUsage}`);
      return await importCommand(file, values.out, values.force === true, io);
    }
    if (sub === 'check') {
      if (values.out !== undefined || values.force !== undefined)
        throw new UsageError('hatang endpoints check: --out and --force are for import');
      return checkCommand(file ?? 'config/endpoints.yaml', io);
    }
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.err(
      `${err.problems.join('\n')}\n${err.file}: ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}\n`,
    );
    return 1;
  }
  throw new UsageError(`hatang endpoints: expected "import" or "check"\n${endpointsUsage}`);
}

async function importCommand(
  file: string,
  out: string | undefined,
  force: boolean,
  io: CommandIo,
): Promise<number> {
  const text = await readSheetFile(file);
  const { levels, endpoints, tagColumns, yaml } = importEndpointsCsv(text, file);
  const kept = tagColumns.map((c) => `${c.header} → tags.${c.tag}`).join(', ');
  const notes = `${file}: levels ${levels.join(' → ')}${kept ? `; columns kept as tags: ${kept}` : ''}\n`;
  if (out === undefined) {
    io.out(yaml);
    io.err(notes);
    return 0;
  }
  if (existsSync(out)) {
    // The registry is what the poller pings and availability counts: never replaced unseen.
    let before: Registry | undefined;
    try {
      before = loadRegistry(out);
    } catch {
      before = undefined;
    }
    const diff = before ? diffRegistries(before.endpoints, endpoints) : undefined;
    if (diff && unchanged(diff) && (await readFile(out, 'utf8')) === yaml) {
      io.err(`${notes}${out}: already up to date (${endpoints.length} endpoints); not written\n`);
      return 0;
    }
    const what = diff
      ? `${out} would change: ${formatDiff(diff)}`
      : `${out} exists and is not a valid registry; it would be replaced\n`;
    if (!force) {
      io.err(
        `${notes}${what}not written: ${out} exists; run again with --force to replace it, or choose another --out\n`,
      );
      return 1;
    }
    io.err(what.replace(' would change: ', ' changes: ').replace('it would be replaced', 'replacing it'));
  }
  // Written beside and renamed, so a registry the poller reads is never half-written.
  const partial = `${out}.${process.pid}.partial`;
  await writeFile(partial, yaml);
  await rename(partial, out);
  io.err(`${notes}${out}: ${endpoints.length} endpoints imported from ${file}\n`);
  return 0;
}

function checkCommand(file: string, io: CommandIo): number {
  io.out(summary(file, loadRegistry(file)));
  return 0;
}

/** "3 (a, b, c)", at most ten names: a summary line stays one line. */
function few(ids: readonly string[]): string {
  const shown = ids.slice(0, 10).join(', ');
  return `${ids.length} (${shown}${ids.length > 10 ? ', …' : ''})`;
}

/**
 * The grouping an operator reads counts by: the district in a three-tier registry, else the first
 * grouping tag any endpoint carries (former_district, area, ...).
 */
function groupingOf(registry: Registry): { label: string; of: (e: Registry['endpoints'][number]) => string } {
  if (registry.levels.includes('district')) return { label: 'district', of: (e) => e.district ?? '' };
  const key = groupingTags.find((k) => registry.endpoints.some((e) => e.tags?.[k] !== undefined));
  return key
    ? { label: key, of: (e) => e.tags?.[key] ?? '(none)' }
    : { label: 'all', of: () => 'all endpoints' };
}

/** What an operator checks after an edit: counts by level and grouping, and what looks unfinished. */
export function summary(file: string, registry: Registry): string {
  const { levels, endpoints } = registry;
  const lines = [`${file}: ${endpoints.length} endpoints, no problems`];
  lines.push(
    `levels: ${levels.join(' → ')}${levels.includes('district') ? ' (three-tier, before July 2025)' : ''}`,
    `by level: ${levels.map((l) => `${l} ${endpoints.filter((e) => e.level === l).length}`).join(', ')}`,
  );
  const grouping = groupingOf(registry);
  const key = (e: Registry['endpoints'][number]) => grouping.of(e).normalize('NFC');
  const groups = [...new Set(endpoints.map(key))].sort((a, b) => a.localeCompare(b, 'vi'));
  const width = Math.max(grouping.label.length, ...groups.map((d) => d.length));
  const widths = levels.map((l) => Math.max(l.length, 3));
  lines.push('', [grouping.label.padEnd(width), ...levels, 'total'].join('  '));
  for (const g of groups) {
    const here = endpoints.filter((e) => key(e) === g);
    const n = levels.map((l, i) => String(here.filter((e) => e.level === l).length).padStart(widths[i] ?? 3));
    lines.push([g.padEnd(width), ...n, String(here.length).padStart(5)].join('  '));
  }
  const roots = endpoints.filter((e) => e.parent === undefined).map((e) => e.id);
  lines.push('', `straight to the data center (no parent): ${few(roots)}`);
  if (levels.includes('district')) {
    const noPoint = groups.filter(
      (d) =>
        endpoints.some((e) => key(e) === d && e.level === 'commune') &&
        !endpoints.some((e) => key(e) === d && e.level === 'district'),
    );
    if (noPoint.length > 0)
      lines.push(`districts with communes and no district point: ${noPoint.join(', ')}`);
  }
  const noMap = endpoints.filter((e) => e.lat === undefined).map((e) => e.id);
  if (noMap.length > 0) lines.push(`without lat/lon (left off map panels): ${few(noMap)}`);
  return `${lines.join('\n')}\n`;
}
