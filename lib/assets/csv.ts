import { Document } from 'yaml';
import { ConfigError } from '../config.js';
import { fold, readSheet } from '../endpoints/csv.js';
import { type Asset, assetSchema, crossAssetProblems } from './index.js';

/**
 * Header names of the register's columns, compared without case, spacing or diacritics ("Tên máy",
 * "ten may" and "TÊN MÁY" are one column), as lib/endpoints/csv.ts does for the endpoint sheet.
 */
const columnNames: Record<keyof Asset, readonly string[]> = {
  site: ['site', 'site id', 'site_id', 'ma site', 'diem dang ky'],
  agency: ['agency', 'don vi', 'ten don vi', 'co quan', 'don vi su dung'],
  hostname: ['hostname', 'host name', 'host', 'computer name', 'ten may', 'ten may tinh'],
  asset_tag: ['asset tag', 'asset_tag', 'ma tai san', 'so hieu tai san', 'ma ts'],
  owner: ['owner', 'user', 'nguoi su dung', 'nguoi dung', 'can bo su dung'],
  notes: ['notes', 'note', 'ghi chu'],
};
/** Row numbers: read and dropped. */
const ignoredColumns = ['stt', 'tt', 'no', 'no.', '#'];
const vietnameseName: Record<keyof Asset, string> = {
  site: 'Site',
  agency: 'Đơn vị',
  hostname: 'Tên máy',
  asset_tag: 'Mã tài sản',
  owner: 'Người sử dụng',
  notes: 'Ghi chú',
};
const keyOrder: readonly (keyof Asset)[] = ['site', 'agency', 'hostname', 'asset_tag', 'owner', 'notes'];

export interface AssetsCsvImport {
  assets: Asset[];
  /** Headers that name no column of the register, left out. */
  ignored: string[];
  /** YAML for config/assets.yaml, with a header comment; loadAssets reads it back unchanged. */
  yaml: string;
  delimiter: ',' | ';' | '\t';
}

export interface AssetsCsvOptions {
  /** The site of rows without one (a sheet of one agency has no Site column). */
  site?: string;
  /** The server's sites (auth.sites ids); a row naming another is an error. */
  sites?: readonly string[];
}

/**
 * Reads an agency's machine list exported from a spreadsheet (UTF-8 with or without BOM, `,` `;` or
 * tab, English or Vietnamese headers: Đơn vị, Tên máy, Mã tài sản, Người sử dụng, Ghi chú, Site) into
 * register rows, validated with every rule of the register. Throws a ConfigError listing every bad row
 * by line: `may-tinh.csv:17: hostname is empty`.
 *
 * @example
 * const { yaml } = importAssetsCsv(readFileSync('may-tinh.csv', 'utf8'), 'may-tinh.csv', { site: 'so-tttt' });
 */
export function importAssetsCsv(text: string, source: string, o: AssetsCsvOptions = {}): AssetsCsvImport {
  const fail = (problems: string[]): never => {
    throw new ConfigError(source, problems);
  };
  const { header, rows, delimiter } = readSheet(text, source, 'Đơn vị, Tên máy, Mã tài sản, Người sử dụng');

  const problems: { line: number; text: string }[] = [];
  const at = (line: number, message: string) => problems.push({ line, text: message });
  const failIfAny = () => {
    if (problems.length > 0)
      fail(problems.sort((a, b) => a.line - b.line).map((p) => `${source}:${p.line}: ${p.text}`));
  };
  const columns: (keyof Asset | undefined)[] = [];
  const seen = new Map<keyof Asset, string>();
  const ignored: string[] = [];
  for (const raw of header.fields) {
    const name = raw.trim();
    const folded = fold(name);
    const column = keyOrder.find((c) => columnNames[c].includes(folded));
    if (column) {
      const other = seen.get(column);
      if (other !== undefined) at(header.line, `columns "${other}" and "${name}" both give ${column}`);
      seen.set(column, name);
    } else if (folded !== '' && !ignoredColumns.includes(folded)) ignored.push(name);
    columns.push(column);
  }
  for (const column of ['agency', 'hostname'] as const) {
    if (!seen.has(column)) at(header.line, `missing column ${column} (${vietnameseName[column]})`);
  }
  if (!seen.has('site') && o.site === undefined) {
    at(header.line, 'missing column site: add a Site column or give the site of every row (--site <id>)');
  }
  failIfAny();
  if (rows.length === 0) fail([`${source}:${header.line}: no machines: the sheet has a header and no rows`]);

  const entries: Record<string, unknown>[] = [];
  for (const row of rows) {
    const entry: Record<string, unknown> = {};
    const extra = row.fields.slice(columns.length).filter((f) => f.trim() !== '');
    if (extra.length > 0) {
      at(
        row.line,
        `${row.fields.length} fields, the header has ${columns.length}: is a ${JSON.stringify(delimiter)} missing its quotes?`,
      );
    }
    row.fields.forEach((raw, i) => {
      const column = columns[i];
      const value = raw.trim().normalize('NFC');
      if (column && value !== '') entry[column] = value;
    });
    if (entry.site === undefined && o.site !== undefined) entry.site = o.site;
    // An empty host name is the commonest mistake in these sheets: say it plainly.
    entry.hostname ??= '';
    entries.push(entry);
  }
  const lineOf = (index: number) => rows[index]?.line ?? 0;
  entries.forEach((entry, index) => {
    const result = assetSchema.safeParse(entry);
    if (result.success) return;
    for (const issue of result.error.issues) {
      const key = issue.path.map(String).join('.');
      const message =
        issue.code === 'invalid_type' && entry[key] === undefined
          ? `${key} (${vietnameseName[key as keyof Asset] ?? key}) is empty`
          : `${key} ${issue.message}`;
      at(lineOf(index), message);
    }
  });
  for (const p of crossAssetProblems(entries as Partial<Asset>[], {
    ...(o.sites ? { sites: o.sites } : {}),
    ref: (index) => `line ${lineOf(index)}`,
  })) {
    at(lineOf(p.index), `${p.path.join('.')} ${p.message}`);
  }
  failIfAny();

  const assets = entries.map((e) => assetSchema.parse(e));
  return {
    assets,
    ignored,
    yaml: assetsYaml(assets, source),
    delimiter,
  };
}

/** The YAML of a register, keys in the documented order, with a comment saying where it came from. */
export function assetsYaml(assets: readonly Asset[], source: string): string {
  const ordered = assets.map((a) =>
    Object.fromEntries(keyOrder.filter((k) => a[k] !== undefined).map((k) => [k, a[k]])),
  );
  const sites = [...new Set(assets.map((a) => a.site))].sort();
  const doc = new Document({ assets: ordered });
  doc.commentBefore = [
    ' Asset register: the machines that should exist (the denominator of compliance snapshots).',
    ` Imported from ${source} by \`hatang assets import\`: ${assets.length} machines, sites ${sites.join(', ')}.`,
    ' Matched to reporting machines by site + hostname, without case.',
    ' Check after editing: hatang assets check <this file>',
  ].join('\n');
  return doc.toString({ lineWidth: 0 });
}
