import type { SnapshotContent, SnapshotTable } from '../types.js';
import { formatCell, formatNumber, formatPercent, formatRatio, type Lang, words } from './words.js';

/** What the report states about the bundle besides the content. */
export interface ReportMeta {
  id: string;
  createdAt: string;
  keyId: string;
}

const entities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text made safe for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => entities[c]!);
}

/** More columns than this print on a landscape page. */
const wideColumns = 6;

const css = `
:root { font-family: "DejaVu Sans", "Noto Sans", Arial, sans-serif; font-size: 10pt; color: #111; }
body { margin: 0 auto; max-width: 60rem; padding: 1rem; }
h1 { font-size: 16pt; margin: 0 0 .5rem; }
h2 { font-size: 13pt; margin: 1.2rem 0 .4rem; border-bottom: 1px solid #999; }
h3 { font-size: 11pt; margin: .8rem 0 .3rem; }
table { border-collapse: collapse; width: 100%; margin: .3rem 0; }
th, td { border: 1px solid #bbb; padding: 1px 3px; text-align: left; vertical-align: top; font-size: 8pt; overflow-wrap: break-word; }
th { background: #eee; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 1rem; margin: 0; }
dt { font-weight: bold; }
dd { margin: 0; }
ul.ratios { padding-left: 1.2rem; }
p.note, p.desc { color: #444; margin: .2rem 0; }
code { font-size: 8pt; overflow-wrap: anywhere; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
@page { size: A4; margin: 14mm 12mm; }
@page wide { size: A4 landscape; margin: 12mm 12mm; }
@media print {
  body { max-width: none; padding: 0; }
  section.table { break-before: page; }
  section.wide { page: wide; }
  h2, h3 { break-after: avoid; }
}
`;

/**
 * The printable report as one self-contained HTML page (inline CSS, no scripts, no external
 * resources; a CSP forbids loading any): the summary first (every ratio with its denominator,
 * availability by level, readiness), then each table. Every piece of content is escaped.
 * `maxRows`: a table (and the list of queries) longer than this shows its first rows and says where
 * all of them are — the PDF's print, which would otherwise run to hundreds of pages.
 */
export function reportHtml(
  content: SnapshotContent,
  lang: Lang,
  meta: ReportMeta,
  o: { maxRows?: number } = {},
): string {
  const max = o.maxRows ?? Number.POSITIVE_INFINITY;
  const w = words[lang];
  const e = escapeHtml;
  const d = content.denominators;
  const s = content.summary;
  const row = (cells: string[], numeric: boolean[] = []) =>
    `<tr>${cells.map((c, i) => `<td${numeric[i] ? ' class="n"' : ''}>${e(c)}</td>`).join('')}</tr>`;
  const head = (cells: string[]) =>
    `<thead><tr>${cells.map((c) => `<th scope="col">${e(c)}</th>`).join('')}</tr></thead>`;
  const num = (n: number) => formatNumber(n, lang);

  const facts: [string, string][] = [
    [w.window, `${content.window.from} → ${content.window.to}`],
    [w.asOf, content.as_of],
    [w.scope, content.scope.sites.length ? content.scope.sites.join(', ') : w.allSites],
    [w.generator, `${content.generator.name} ${content.generator.version}`],
    [w.requestedBy, content.requested_by ?? w.none],
    [w.createdAt, meta.createdAt],
    [w.snapshotId, meta.id],
    [w.keyId, meta.keyId],
  ];
  const denominators: [string, string][] = [
    [w.registered, num(d.registered)],
    [w.reporting, `${num(d.reporting)} (${w.lookback} ${num(d.lookback_s / 86_400)} ${w.days})`],
    [w.notReporting, num(d.not_reporting)],
    [w.notRegistered, num(d.not_registered)],
    [w.endpoints, num(d.endpoints)],
    [
      w.assetRegister,
      d.asset_register
        ? `${d.asset_register.file} (${w.rows(d.asset_register.rows)}, sha256 ${d.asset_register.sha256})`
        : w.noRegister,
    ],
  ];
  const dl = (pairs: [string, string][]) =>
    `<dl>${pairs.map(([k, v]) => `<dt>${e(k)}</dt><dd>${e(v)}</dd>`).join('')}</dl>`;

  const levels = s.availability_by_level.length
    ? `<table>${head([w.level, w.endpoints, w.expected, w.recorded, w.up, w.coverage, w.availability, w.target])}<tbody>${s.availability_by_level
        .map((l) =>
          row(
            [
              l.label[lang],
              num(l.endpoints),
              num(l.expected_cycles),
              num(l.recorded_cycles),
              num(l.up_cycles),
              `${num(l.recorded_cycles)} / ${num(l.expected_cycles)} (${formatPercent(l.coverage_percent, lang)})`,
              l.availability_percent === null
                ? w.none
                : `${num(l.up_cycles)} / ${num(l.recorded_cycles)} (${formatPercent(l.availability_percent, lang)})`,
              formatPercent(l.target_percent, lang),
            ],
            [false, true, true, true, true, true, true, true],
          ),
        )
        .join('')}</tbody></table>`
    : `<p class="note">${e(w.noRows)}</p>`;

  const readiness = s.readiness.length
    ? `<table>${head([w.site, w.rating, w.target, w.gaps])}<tbody>${s.readiness
        .map((r) =>
          row(
            [
              `${r.name} (${r.site})`,
              w.ratingName(r.overall_rating),
              w.ratingName(r.target_rating),
              num(r.gaps),
            ],
            [false, false, false, true],
          ),
        )
        .join('')}</tbody></table>`
    : `<p class="note">${e(w.noReadiness)}</p>`;

  const table = (t: SnapshotTable) => {
    const titles = t.columns.map((c) => (c.unit ? `${c.title[lang]} (${c.unit})` : c.title[lang]));
    const body = t.rows
      .slice(0, max)
      .map((r) =>
        row(
          t.columns.map((c) => formatCell(r[c.key] ?? null, lang)),
          t.columns.map((c) => typeof r[c.key] === 'number'),
        ),
      )
      .join('');
    // Tables of many columns print on landscape pages, where their cells need not wrap every word.
    const wide = t.columns.length > wideColumns ? ' wide' : '';
    const cut =
      t.rows.length > max ? ` ${w.printed(max, t.rows.length, `data/${t.name}.csv, report.xlsx`)}` : '';
    return `<section class="table${wide}" id="t-${e(t.name)}"><h2>${e(t.title[lang])}</h2><p class="desc">${e(t.description[lang])} <code>data/${e(t.name)}.csv</code>, ${e(w.rows(t.rows.length))}.${e(cut)}</p>${
      t.rows.length
        ? `<table>${head(titles)}<tbody>${body}</tbody></table>`
        : `<p class="note">${e(w.noRows)}</p>`
    }</section>`;
  };

  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(`${w.title} ${content.window.from} → ${content.window.to}`)}</title>
<style>${css}</style>
</head>
<body>
<header><h1>${e(w.title)}</h1>${dl(facts)}<p class="note">${e(w.verifyHint)}</p></header>
<main>
<section class="summary"><h2>${e(w.summary)}</h2>
<h3>${e(w.ratios)}</h3>
<ul class="ratios">${s.ratios.map((r) => `<li>${e(r.label[lang])}: <strong>${e(formatRatio(r, lang))}</strong></li>`).join('')}</ul>
<h3>${e(w.denominators)}</h3>${dl(denominators)}
<h3>${e(w.availabilityByLevel)}</h3>${levels}
<h3>${e(w.readiness)}</h3>${readiness}
</section>
${content.tables.map(table).join('\n')}
<section class="table"><h2>${e(w.queries)}</h2>${content.queries.length > max ? `<p class="desc">${e(w.printed(max, content.queries.length, 'manifest.json'))}</p>` : ''}<ol>${content.queries
    .slice(0, max)
    .map((q) => `<li><code>${e(q)}</code></li>`)
    .join('')}</ol></section>
</main>
</body>
</html>
`;
}
