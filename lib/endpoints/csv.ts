import { Document } from 'yaml';
import { ConfigError } from '../config.js';
import {
  type Endpoint,
  type EndpointLevel,
  type EndpointProblem,
  endpointSchema,
  validateEndpoints,
} from './index.js';

/** A CSV record and the physical line it starts on (a quoted field may span lines). */
interface CsvRecord {
  line: number;
  fields: string[];
}

type Column = keyof Endpoint;

/**
 * Header names operators use, compared without case, spacing or diacritics ("Địa chỉ IP", "dia chi ip"
 * and "ĐỊA CHỈ IP" are one column). Columns in `ignoredColumns` (row numbers, notes) are read and dropped.
 */
const columnNames: Record<Column, readonly string[]> = {
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
const ignoredColumns = ['stt', 'tt', 'no', 'no.', '#', 'ghi chu', 'note', 'notes'];
const requiredColumns: readonly Column[] = ['id', 'name', 'level', 'district', 'address'];
const vietnameseName: Partial<Record<Column, string>> = {
  id: 'Mã',
  name: 'Tên',
  level: 'Cấp',
  district: 'Huyện',
  address: 'Địa chỉ IP',
};

/** Level words of Vietnamese spreadsheets; wards and towns are commune-level, towns and cities district-level. */
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
};

/** "Địa chỉ  IP" → "dia chi ip": how header and level words are matched. */
function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/** Excel writes `sep=;` as a first line when asked to; otherwise the header line tells the delimiter. */
function sniffDelimiter(firstLine: string): string {
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
function parseCsv(
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

export interface CsvImport {
  endpoints: Endpoint[];
  /** YAML for config/endpoints.yaml, with a header comment; loadEndpoints reads it back unchanged. */
  yaml: string;
  /** The delimiter the file turned out to use. */
  delimiter: ',' | ';' | '\t';
}

/**
 * Reads an operator's spreadsheet export (Excel, LibreOffice: UTF-8 with or without BOM, CRLF, `,`,
 * `;` or tab, English or Vietnamese headers such as Mã, Tên, Cấp, Huyện, Cấp trên, Địa chỉ IP, Vĩ độ,
 * Kinh độ) into endpoints, validated with every rule of the registry. Throws a ConfigError listing
 * every bad row by line: `endpoints.csv:17: address "10.0.0.300" is not an IP address or hostname`.
 *
 * @example
 * const { yaml } = importEndpointsCsv(readFileSync('diem.csv', 'utf8'), 'diem.csv');
 * writeFileSync('config/endpoints.yaml', yaml);
 */
export function importEndpointsCsv(text: string, source: string): CsvImport {
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
  if (!header) {
    return fail([
      `${source}:1: no header row: expected columns such as Mã, Tên, Cấp, Huyện, Cấp trên, Địa chỉ IP`,
    ]);
  }

  const columns: (Column | undefined)[] = [];
  const problems: { line: number; text: string }[] = [];
  const at = (line: number, text: string) => problems.push({ line, text });
  const failIfAny = () => {
    if (problems.length > 0)
      fail(problems.sort((a, b) => a.line - b.line).map((p) => `${source}:${p.line}: ${p.text}`));
  };
  const seen = new Map<Column, string>();
  for (const raw of header.fields) {
    const name = raw.trim();
    const folded = fold(name);
    const column = (Object.keys(columnNames) as Column[]).find((c) => columnNames[c].includes(folded));
    if (column) {
      const other = seen.get(column);
      if (other !== undefined) at(header.line, `columns "${other}" and "${name}" both give ${column}`);
      seen.set(column, name);
    } else if (!ignoredColumns.includes(folded) && folded !== '') {
      at(
        header.line,
        `unknown column "${name}" (known: id/Mã, name/Tên, level/Cấp, district/Huyện, parent/Cấp trên, address/Địa chỉ IP, lat/Vĩ độ, lon/Kinh độ, tags/Nhãn; ignored: STT, Ghi chú)`,
      );
    }
    columns.push(column);
  }
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
      if (column === 'level') {
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
        } else entry.tags = tags;
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
  const rowProblems = validateEndpoints(entries, { ref: (index) => `line ${lineOf(index)}` }).filter(
    (p: EndpointProblem) => !reported[p.index]?.has(String(p.path[0])),
  );
  for (const p of rowProblems) {
    const message = p.message === 'required' ? 'is empty' : p.message;
    at(lineOf(p.index), `${formatPath(p.path)} ${message}`);
  }
  failIfAny();

  const endpoints = entries.map((e) => endpointSchema.parse(e));
  return {
    endpoints,
    yaml: endpointsYaml(endpoints, source),
    delimiter: delimiter as CsvImport['delimiter'],
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

const keyOrder: readonly Column[] = [
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
export function endpointsYaml(endpoints: readonly Endpoint[], source: string): string {
  const ordered = endpoints.map((e) =>
    Object.fromEntries(keyOrder.filter((k) => e[k] !== undefined).map((k) => [k, e[k]])),
  );
  const counts = (['province', 'district', 'commune'] as const)
    .map((level) => `${endpoints.filter((e) => e.level === level).length} ${level}`)
    .join(', ');
  const doc = new Document({ endpoints: ordered });
  doc.commentBefore = [
    ' Endpoints of the provincial dedicated network (mạng truyền số liệu chuyên dùng).',
    ` Imported from ${source} by \`hatang endpoints import\`: ${endpoints.length} endpoints (${counts}).`,
    ' Check after editing: hatang endpoints check <this file>',
  ].join('\n');
  return doc.toString({ lineWidth: 0 });
}
