import ExcelJS from 'exceljs';
import type { Cell, SnapshotContent, SnapshotTable } from '../types.js';
import { readZip, writeZip } from '../zip.js';
import { formatRatio, type Lang, words } from './words.js';

/** Excel's limit on sheet names, and the characters it refuses in them. */
const sheetNameMax = 31;
const badSheetChars = /[\\/?*[\]:]/g;

/** A unique sheet name of at most 31 characters, derived from `wanted`. */
function sheetName(wanted: string, taken: Set<string>): string {
  const base = wanted.replace(badSheetChars, '-').slice(0, sheetNameMax);
  let name = base;
  for (let i = 2; taken.has(name.toLowerCase()); i++) {
    const suffix = `~${i}`;
    name = base.slice(0, sheetNameMax - suffix.length) + suffix;
  }
  taken.add(name.toLowerCase());
  return name;
}

const bold = { bold: true } as const;

function value(v: Cell): ExcelJS.CellValue {
  return v;
}

/** Both languages in one header cell: "Tên máy / Hostname (unit)". */
function bilingual(t: { vi: string; en: string }, unit?: string): string {
  const text = t.vi === t.en ? t.vi : `${t.vi} / ${t.en}`;
  return unit ? `${text} (${unit})` : text;
}

function addSummary(wb: ExcelJS.Workbook, content: SnapshotContent, lang: Lang, name: string) {
  const ws = wb.addWorksheet(name);
  const w = words[lang];
  const d = content.denominators;
  ws.columns = [{ width: 44 }, { width: 14 }, { width: 14 }, { width: 22 }, { width: 12 }, { width: 48 }];
  const heading = (text: string) => {
    ws.addRow([]);
    ws.addRow([text]).font = { bold: true, size: 12 };
  };
  ws.addRow([`${words.vi.title} / ${words.en.title}`]).font = { bold: true, size: 14 };
  ws.addRow([
    bilingual({ vi: words.vi.window, en: words.en.window }),
    content.window.from,
    content.window.to,
  ]);
  ws.addRow([bilingual({ vi: words.vi.asOf, en: words.en.asOf }), content.as_of]);
  ws.addRow([
    bilingual({ vi: words.vi.scope, en: words.en.scope }),
    content.scope.sites.length ? content.scope.sites.join(', ') : w.allSites,
  ]);
  ws.addRow([
    bilingual({ vi: words.vi.generator, en: words.en.generator }),
    `${content.generator.name} ${content.generator.version}`,
  ]);
  ws.addRow([bilingual({ vi: words.vi.requestedBy, en: words.en.requestedBy }), content.requested_by]);

  heading(bilingual({ vi: words.vi.ratios, en: words.en.ratios }));
  ws.addRow(['ratio', 'numerator', 'denominator', 'denominator_kind', 'percent', 'statement']).font = bold;
  for (const r of content.summary.ratios) {
    ws.addRow([
      bilingual(r.label),
      r.numerator,
      r.denominator,
      r.denominator_kind,
      r.percent,
      formatRatio(r, lang),
    ]);
  }

  heading(bilingual({ vi: words.vi.denominators, en: words.en.denominators }));
  const pairs: [keyof typeof words.en, number | string][] = [
    ['registered', d.registered],
    ['reporting', d.reporting],
    ['notReporting', d.not_reporting],
    ['notRegistered', d.not_registered],
    ['endpoints', d.endpoints],
  ];
  for (const [k, v] of pairs)
    ws.addRow([bilingual({ vi: words.vi[k] as string, en: words.en[k] as string }), v]);
  ws.addRow(['lookback_s', d.lookback_s]);
  ws.addRow([
    bilingual({ vi: words.vi.assetRegister, en: words.en.assetRegister }),
    d.asset_register?.file ?? w.noRegister,
    d.asset_register?.rows ?? null,
    d.asset_register?.sha256 ?? null,
  ]);

  heading(bilingual({ vi: words.vi.availabilityByLevel, en: words.en.availabilityByLevel }));
  ws.addRow([
    'level',
    'endpoints',
    'expected_cycles',
    'recorded_cycles',
    'up_cycles',
    'coverage_percent',
    'availability_percent',
    'target_percent',
  ]).font = bold;
  for (const l of content.summary.availability_by_level) {
    ws.addRow([
      bilingual(l.label),
      l.endpoints,
      l.expected_cycles,
      l.recorded_cycles,
      l.up_cycles,
      l.coverage_percent,
      l.availability_percent,
      l.target_percent,
    ]);
  }

  heading(bilingual({ vi: words.vi.readiness, en: words.en.readiness }));
  ws.addRow(['site', 'name', 'overall_rating', 'target_rating', 'gaps']).font = bold;
  for (const r of content.summary.readiness)
    ws.addRow([r.site, r.name, r.overall_rating, r.target_rating, r.gaps]);
}

function addTable(wb: ExcelJS.Workbook, t: SnapshotTable, name: string) {
  const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = t.columns.map((c) => ({ header: bilingual(c.title, c.unit), key: c.key, width: 18 }));
  ws.getRow(1).font = bold;
  for (const r of t.rows) ws.addRow(t.columns.map((c) => value(r[c.key] ?? null)));
}

/**
 * The workbook: a first sheet "summary" with the ratios and their denominators, then one sheet per
 * table named after it (≤ 31 characters, unique), a bilingual header row and the rows as typed
 * cells. exceljs stamps the zip entries with the current time, so its output is re-packed with
 * `createdAt` to make the same content give the same bytes.
 */
export async function reportXlsx(content: SnapshotContent, lang: Lang, createdAt: number): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = `${content.generator.name} ${content.generator.version}`;
  wb.created = new Date(createdAt);
  wb.modified = new Date(createdAt);
  const taken = new Set<string>();
  addSummary(wb, content, lang, sheetName('summary', taken));
  for (const t of content.tables) addTable(wb, t, sheetName(t.name, taken));
  // Stored, not deflated: the re-packing below deflates each entry once (exceljs's own pass cost ~1 s
  // of 2.4 for a 27,000-row workbook, only to be undone).
  const raw = Buffer.from(await wb.xlsx.writeBuffer({ zip: { compression: 'STORE' } }));
  return writeZip(
    readZip(raw).map((e) => ({ path: e.path, data: e.read() })),
    createdAt,
  );
}
