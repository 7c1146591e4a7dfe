import { Document } from 'yaml';
import { ConfigError } from '../config.js';
import {
  type Endpoint,
  type EndpointLevel,
  type EndpointProblem,
  endpointSchema,
  groupingTags,
  threeTierLevels,
  twoTierLevels,
  validateEndpoints,
} from './index.js';

/** A CSV record and the physical line it starts on (a quoted field may span lines). */
export interface CsvRecord {
  line: number;
  fields: string[];
}

type Column = keyof Endpoint | `tag:${string}`;

/**
 * Header names operators use, compared without case, spacing or diacritics ("Địa chỉ IP", "dia chi ip"
 * and "ĐỊA CHỈ IP" are one column). Columns in `ignoredColumns` (row numbers, notes) are read and
 * dropped; grouping columns (`groupingColumnNames`) and any other column become tags.
 */
const columnNames: Record<keyof Endpoint, readonly string[]> = {
  id: ['id', 'ma', 'ma diem', 'ma don vi', 'code'],
  name: ['name', 'ten', 'ten diem', 'ten don vi', 'don vi'],
  level: ['level', 'cap', 'cap hanh chinh'],
  district: ['district', 'huyen', 'quan huyen', 'quan/huyen', 'huyen/thi xa/thanh pho'],
  parent: ['parent', 'cap tren', 'diem cap tren', 'don vi cap tren', 'ket noi qua'],
  // Not plain "Địa chỉ": in Vietnamese sheets that is the postal address.
  address: ['address', 'ip', 'ip address', 'dia chi ip', 'host'],
  lat: ['lat', 'latitude', 'vi do'],
  lon: ['lon', 'lng', 'long', 'longitude', 'kinh do'],
  tags: ['tags', 'nhan'],
};
/** Columns that fill a grouping tag (protocol's pingGroupingTags), which travels on ping points. */
const groupingColumnNames: Record<string, readonly string[]> = {
  former_district: [
    'former district',
    'former_district',
    'huyen cu',
    'huyen (cu)',
    'quan/huyen cu',
    'dia ban huyen cu',
  ],
  area: ['area', 'khu vuc', 'cum'],
  carrier: ['carrier', 'nha mang', 'nha cung cap', 'doanh nghiep vien thong', 'isp'],
  circuit: ['circuit', 'ma mach', 'so mach', 'mach', 'ma kenh', 'circuit id'],
};
const ignoredColumns = ['stt', 'tt', 'no', 'no.', '#', 'ghi chu', 'note', 'notes'];
const requiredColumns: readonly (keyof Endpoint)[] = ['id', 'name', 'level', 'address'];
const vietnameseName: Partial<Record<keyof Endpoint, string>> = {
  id: 'Mã',
  name: 'Tên',
  level: 'Cấp',
  address: 'Địa chỉ IP',
};

/**
 * Level words of Vietnamese spreadsheets: wards, towns and special zones are commune-level; districts,
 * urban districts, towns and provincial cities are district-level, a level only three-tier registries
 * (a sheet with a district column, before July 2025) have.
 */
const levelWords: Record<string, EndpointLevel> = {
  province: 'province',
  district: 'district',
  commune: 'commune',
  tinh: 'province',
  'cap tinh': 'province',
  huyen: 'district',
  'cap huyen': 'district',
  quan: 'district',
  'thi xa': 'district',
  'thanh pho': 'district',
  xa: 'commune',
  'cap xa': 'commune',
  phuong: 'commune',
  'thi tran': 'commune',
  'dac khu': 'commune',
};

/** "Địa chỉ IP WAN" → "dia_chi_ip_wan": the tag name an extra column's values are kept under. */
function tagNameOf(header: string): string {
  const snake = fold(header)
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  const named = /^[a-z]/.test(snake) ? snake : `col_${snake}`;
  return named.slice(0, 64).replace(/_+$/, '');
}

/** "Địa chỉ  IP" → "dia chi ip": how header and level words are matched. */
export function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/** Excel writes `sep=;` as a first line when asked to; otherwise the header line tells the delimiter. */
export function sniffDelimiter(firstLine: string): string {
  let best = ',';
  let bestCount = 0;
  for (const d of [',', ';', '\t']) {
    let count = 0;
    let quoted = false;
    for (const ch of firstLine) {
      if (ch === '"') quoted = !quoted;
      else if (ch === d && !quoted) count++;
    }
    if (count > bestCount) [best, bestCount] = [d, count];
  }
  return best;
}

/**
 * RFC 4180 as spreadsheets write it: quoted fields may hold the delimiter, `""` and line breaks;
 * CRLF, LF or CR end records. A quote inside an unquoted field is kept as text, as Excel does.
 */
export function parseCsv(
  text: string,
  delimiter: string,
  firstLine: number,
): { records: CsvRecord[]; unterminated?: number } {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let atFieldStart = true;
  let line = firstLine;
  let recordLine = firstLine;
  let quoteLine = firstLine;
  const endRecord = () => {
    fields.push(field);
    records.push({ line: recordLine, fields });
    fields = [];
    field = '';
    atFieldStart = true;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n' || (ch === '\r' && text[i + 1] !== '\n')) line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && atFieldStart) {
      quoted = true;
      quoteLine = line;
      atFieldStart = false;
    } else if (ch === delimiter) {
      fields.push(field);
      field = '';
      atFieldStart = true;
    } else if (ch === '\r' || ch === '\n') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      field += ch;
      if (ch !== ' ' && ch !== '\t') atFieldStart = false;
    }
  }
  if (quoted) return { records, unterminated: quoteLine };
  if (field !== '' || fields.length > 0) endRecord();
  return { records };
}

/** "20,6465" is how a Vietnamese-locale spreadsheet writes 20.6465. */
function parseDegrees(text: string): number | undefined {
  const normal = /^-?\d+,\d+$/.test(text) ? text.replace(',', '.') : text;
  if (!/^-?(?:\d+(?:\.\d*)?|\.\d+)$/.test(normal)) return undefined;
  return Number(normal);
}

/** `carrier=vnpt; circuit=HY-0123` (`,` or `;` between pairs). */
function parseTags(text: string): Record<string, string> | undefined {
  const tags: Record<string, string> = {};
  for (const pair of text.split(/[;,]/)) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) return undefined;
    tags[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return tags;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

/** A spreadsheet's CSV export: its header row, its non-empty rows and the delimiter it uses. */
export interface Sheet {
  header: CsvRecord;
  rows: CsvRecord[];
  delimiter: ',' | ';' | '\t';
}

/**
 * Reads a spreadsheet exported as CSV: UTF-8 with or without BOM, an Excel `sep=` first line or a
 * sniffed `,` `;` or tab, blank rows skipped. Throws a ConfigError by line for text that is not UTF-8,
 * an unclosed quote or no header row (`expectedColumns` names the columns the sheet should have).
 */
export function readSheet(text: string, source: string, expectedColumns: string): Sheet {
  const fail = (problems: string[]): never => {
    throw new ConfigError(source, problems);
  };
  let body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const bad = body.indexOf('\uFFFD');
  if (bad >= 0) {
    const line = body.slice(0, bad).split(/\r\n|\r|\n/).length;
    fail([
      `${source}:${line}: not UTF-8 text: save the sheet as "CSV UTF-8" (Excel) or pick UTF-8 (LibreOffice)`,
    ]);
  }
  let firstLine = 1;
  let delimiter = sniffDelimiter(body.split(/\r\n|\r|\n/, 1)[0] ?? '');
  const sep = /^sep=([,;\t])\r?\n?/.exec(body);
  if (sep) {
    delimiter = sep[1] as string;
    body = body.slice(sep[0].length);
    firstLine = 2;
  }
  const parsed = parseCsv(body, delimiter, firstLine);
  if (parsed.unterminated !== undefined) {
    fail([`${source}:${parsed.unterminated}: a quoted field opened here is never closed (a " is missing)`]);
  }
  const records = parsed.records.filter((r) => r.fields.some((f) => f.trim() !== ''));
  const [header, ...rows] = records;
  if (!header) return fail([`${source}:1: no header row: expected columns such as ${expectedColumns}`]);
  return { header, rows, delimiter: delimiter as Sheet['delimiter'] };
}

export interface CsvImport {
  /** Two-tier, or the old three-tier when the sheet has a district (Huyện) column. */
  levels: readonly EndpointLevel[];
  endpoints: Endpoint[];
  /** Columns kept as tags: grouping ones (Nhà mạng → carrier) and any other (Địa chỉ IP WAN → dia_chi_ip_wan). */
  tagColumns: { header: string; tag: string }[];
  /** YAML for config/endpoints.yaml, with a header comment; loadEndpoints reads it back unchanged. */
  yaml: string;
  /** The delimiter the file turned out to use. */
  delimiter: ',' | ';' | '\t';
}

/**
 * Reads an operator's spreadsheet export (Excel, LibreOffice: UTF-8 with or without BOM, CRLF, `,`,
 * `;` or tab, English or Vietnamese headers such as Mã, Tên, Cấp, Cấp trên, Địa chỉ IP, Vĩ độ,
 * Kinh độ, Huyện cũ, Nhà mạng) into endpoints, validated with every rule of the registry. Columns it
 * does not know become tags named after their header. A sheet with a Huyện column is read as a
 * three-tier registry (before July 2025). Throws a ConfigError listing every bad row by line:
 * `endpoints.csv:17: address "10.0.0.300" is not an IP address or hostname`.
 *
 * @example
 * const { yaml } = importEndpointsCsv(readFileSync('diem.csv', 'utf8'), 'diem.csv');
 * writeFileSync('config/endpoints.yaml', yaml);
 */
export function importEndpointsCsv(text: string, source: string): CsvImport {
  const fail = (problems: string[]): never => {
    throw new ConfigError(source, problems);
  };
  const { header, rows, delimiter } = readSheet(text, source, 'Mã, Tên, Cấp, Huyện, Cấp trên, Địa chỉ IP');

  const columns: (Column | undefined)[] = [];
  const problems: { line: number; text: string }[] = [];
  const at = (line: number, text: string) => problems.push({ line, text });
  const failIfAny = () => {
    if (problems.length > 0)
      fail(problems.sort((a, b) => a.line - b.line).map((p) => `${source}:${p.line}: ${p.text}`));
  };
  const seen = new Map<Column, string>();
  const tagColumns: { header: string; tag: string }[] = [];
  for (const raw of header.fields) {
    const name = raw.trim();
    const folded = fold(name);
    let column: Column | undefined = (Object.keys(columnNames) as (keyof Endpoint)[]).find((c) =>
      columnNames[c].includes(folded),
    );
    if (!column && folded !== '' && !ignoredColumns.includes(folded)) {
      const grouping = Object.keys(groupingColumnNames).find((k) => groupingColumnNames[k]?.includes(folded));
      const tag = grouping ?? tagNameOf(name);
      column = `tag:${tag}`;
      tagColumns.push({ header: name, tag });
    }
    if (column) {
      const other = seen.get(column);
      if (other !== undefined) {
        const gives = column.startsWith('tag:') ? `tag ${column.slice(4)}` : column;
        at(header.line, `columns "${other}" and "${name}" both give ${gives}`);
      }
      seen.set(column, name);
    }
    columns.push(column);
  }
  const threeTier = seen.has('district');
  const levels = threeTier ? threeTierLevels : twoTierLevels;
  for (const column of requiredColumns) {
    if (!seen.has(column)) at(header.line, `missing column ${column} (${vietnameseName[column]})`);
  }
  failIfAny();
  if (rows.length === 0) fail([`${source}:${header.line}: no endpoints: the sheet has a header and no rows`]);

  const entries: Record<string, unknown>[] = [];
  /** Keys already reported for a row (a bad number), whose schema complaints would only repeat it. */
  const reported: Set<string>[] = [];
  for (const row of rows) {
    const entry: Record<string, unknown> = {};
    const done = new Set<string>();
    const say = (message: string) => at(row.line, message);
    const extra = row.fields.slice(columns.length).filter((f) => f.trim() !== '');
    if (extra.length > 0) {
      say(
        `${row.fields.length} fields, the header has ${columns.length}: is a ${JSON.stringify(delimiter)} missing its quotes?`,
      );
      // Every value after the stray delimiter is in the wrong column: complaints about them would mislead.
      for (const column of keyOrder) done.add(column);
    }
    row.fields.forEach((raw, i) => {
      const column = columns[i];
      const value = raw.trim().normalize('NFC');
      if (!column || value === '') return;
      if (done.has(column) && (column === 'lat' || column === 'lon' || column === 'tags')) return;
      if (column.startsWith('tag:')) {
        const tag = column.slice(4);
        const tags = (entry.tags ?? {}) as Record<string, string>;
        if (tags[tag] !== undefined && tags[tag] !== value) {
          say(`tags.${tag} is "${tags[tag]}" in the tags column and "${value}" in its own column`);
          done.add('tags');
        }
        tags[tag] = value;
        entry.tags = tags;
      } else if (column === 'level') {
        entry.level = levelWords[fold(value)] ?? value;
      } else if (column === 'lat' || column === 'lon') {
        const n = parseDegrees(value);
        if (n === undefined) {
          say(`${column} "${value}" is not a number`);
          done.add(column);
        } else entry[column] = n;
      } else if (column === 'tags') {
        const tags = parseTags(value);
        if (tags === undefined) {
          say(`tags "${value}" is not a list of name=value pairs`);
          done.add(column);
        } else entry.tags = { ...tags, ...((entry.tags ?? {}) as Record<string, string>) };
      } else {
        entry[column] = value;
      }
    });
    entries.push(entry);
    reported.push(done);
  }

  const lineOf = (index: number) => rows[index]?.line ?? 0;
  resolveParentNames(
    entries,
    (index, message) => {
      at(lineOf(index), message);
      reported[index]?.add('parent');
    },
    lineOf,
  );
  const rowProblems = validateEndpoints(entries, { ref: (index) => `line ${lineOf(index)}`, levels }).filter(
    (p: EndpointProblem) => !reported[p.index]?.has(String(p.path[0])),
  );
  for (const p of rowProblems) {
    const message = p.message === 'required' ? 'is empty' : p.message;
    at(lineOf(p.index), `${formatPath(p.path)} ${message}`);
  }
  failIfAny();

  const endpoints = entries.map((e) => endpointSchema.parse(e));
  return {
    levels,
    endpoints,
    tagColumns,
    yaml: endpointsYaml({ levels, endpoints }, source),
    delimiter,
  };
}

/**
 * Sheets often name the parent office ("UBND huyện Văn Giang") rather than its id: a parent that is no
 * row's id but is exactly one row's name (ignoring case) becomes that row's id. A name shared by several
 * rows cannot say which one is meant, so it is reported.
 */
function resolveParentNames(
  entries: Record<string, unknown>[],
  report: (index: number, message: string) => void,
  lineOf: (index: number) => number,
): void {
  const ids = new Set(entries.map((e) => e.id));
  const byName = new Map<string, number[]>();
  entries.forEach((e, i) => {
    if (typeof e.name !== 'string') return;
    const key = e.name.toLocaleLowerCase('vi');
    byName.set(key, [...(byName.get(key) ?? []), i]);
  });
  entries.forEach((e, i) => {
    if (typeof e.parent !== 'string' || ids.has(e.parent)) return;
    const named = byName.get(e.parent.toLocaleLowerCase('vi')) ?? [];
    const [only] = named;
    if (named.length === 1 && only !== undefined && typeof entries[only]?.id === 'string') {
      e.parent = entries[only]?.id;
    } else if (named.length > 1) {
      const lines = named.map(lineOf).join(', ');
      report(
        i,
        `parent "${e.parent}" is the name of ${named.length} rows (lines ${lines}): give the id instead`,
      );
    }
  });
}

const keyOrder: readonly (keyof Endpoint)[] = [
  'id',
  'name',
  'level',
  'district',
  'parent',
  'address',
  'lat',
  'lon',
  'tags',
];

/** The YAML of a registry, keys in the documented order, with a comment saying where it came from. */
export function endpointsYaml(
  registry: { levels: readonly EndpointLevel[]; endpoints: readonly Endpoint[] },
  source: string,
): string {
  const { levels, endpoints } = registry;
  const ordered = endpoints.map((e) =>
    Object.fromEntries(keyOrder.filter((k) => e[k] !== undefined).map((k) => [k, e[k]])),
  );
  const counts = levels
    .map((level) => `${endpoints.filter((e) => e.level === level).length} ${level}`)
    .join(', ');
  const doc = new Document({ levels: [...levels], endpoints: ordered });
  doc.commentBefore = [
    ' Endpoints of the provincial dedicated network (mạng truyền số liệu chuyên dùng).',
    ` Imported from ${source} by \`hatang endpoints import\`: ${endpoints.length} endpoints (${counts}).`,
    ` Grouping tags (on ping points, dashboards, availability): ${groupingTags.join(', ')}.`,
    ' Check after editing: hatang endpoints check <this file>',
  ].join('\n');
  return doc.toString({ lineWidth: 0 });
}
