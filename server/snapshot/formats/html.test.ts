import { describe, expect, it } from 'vitest';
import { octoberContent } from '../testdata/content.js';
import type { SnapshotContent } from '../types.js';
import { escapeHtml, reportHtml } from './html.js';
import { formatRatio } from './words.js';

const meta = { id: 'a'.repeat(64), createdAt: '2026-11-01T01:02:03.000Z', keyId: '0123456789abcdef' };
const ratio = (id: string) => octoberContent.summary.ratios.find((r) => r.id === id)!;

describe('formatRatio()', () => {
  it('states numerator, denominator and its kind, as the issue asks', () => {
    expect(formatRatio(ratio('antivirus_protected_of_registered'), 'en')).toBe('36 / 50 registered (72.0 %)');
    expect(formatRatio(ratio('antivirus_protected_of_reporting'), 'en')).toBe('36 / 47 reporting (76.6 %)');
    expect(formatRatio(ratio('antivirus_protected_of_registered'), 'vi')).toBe(
      '36 / 50 máy trong sổ (72,0 %)',
    );
    expect(formatRatio(ratio('ups_on_battery_of_expected'), 'en')).toBe(
      '0 / 0 expected cycles (no denominator (0))',
    );
  });
});

describe('reportHtml()', () => {
  const en = reportHtml(octoberContent, 'en', meta);
  const vi = reportHtml(octoberContent, 'vi', meta);

  it('puts the summary (ratios with denominators, availability by level, readiness) before the tables', () => {
    const summaryAt = en.indexOf('<section class="summary">');
    const firstTable = en.indexOf('<section class="table"');
    expect(summaryAt).toBeGreaterThan(0);
    expect(firstTable).toBeGreaterThan(summaryAt);
    const summary = en.slice(summaryAt, firstTable);
    expect(summary).toContain('<strong>36 / 50 registered (72.0 %)</strong>');
    expect(summary).toContain('<strong>36 / 47 reporting (76.6 %)</strong>');
    expect(summary).toContain('41,760 / 89,280 (46.8 %)');
    expect(summary).toContain('Rated-1');
    expect(summary).toContain('reporting, not registered</dt><dd>1</dd>');
  });

  it('is written in the language asked for, with its number format', () => {
    expect(vi).toMatch(/^<!doctype html>\n<html lang="vi">/);
    expect(vi).toContain('Ảnh chụp tuân thủ');
    expect(vi).toContain('<strong>36 / 47 máy có báo cáo (76,6 %)</strong>');
    expect(vi).toContain('41.760 / 89.280 (46,8 %)');
    expect(vi).toContain('<h2>Phần mềm diệt virus theo máy</h2>');
    expect(en).toContain('<h2>Antivirus per machine</h2>');
  });

  it('loads nothing from outside: inline style, no scripts, a CSP forbidding every load', () => {
    expect(en).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    expect(en).not.toMatch(/<script|<link|<img|src=|url\(/i);
    expect(en).toContain('@media print');
    expect(en).toContain('break-before: page');
    expect(en).toContain('<section class="table wide" id="t-antivirus">');
    expect(en).toContain('<section class="table" id="t-outages">');
  });

  it('escapes everything that comes from the data', () => {
    const hostile: SnapshotContent = structuredClone(octoberContent);
    hostile.tables[0]!.rows[0]!.hostname = '<script>alert(1)</script>';
    hostile.tables[0]!.title.en = 'A & B "quoted"';
    hostile.requested_by = "<img src=x onerror='x'>";
    hostile.queries = ['SELECT * FROM "a" WHERE b < 3'];
    const html = reportHtml(hostile, 'en', meta);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('A &amp; B &quot;quoted&quot;');
    expect(html).toContain('SELECT * FROM &quot;a&quot; WHERE b &lt; 3');
    expect(escapeHtml(`<>&"'`)).toBe('&lt;&gt;&amp;&quot;&#39;');
  });

  it('shows each table with titles, units, formatted cells and its CSV file', () => {
    expect(en).toContain('<th scope="col">Signature age (days)</th>');
    expect(en).toContain('<code>data/antivirus.csv</code>, 51 rows.');
    expect(en).toContain('<td class="n">104,400</td>');
    expect(vi).toContain('<td class="n">104.400</td>');
    expect(en).toContain('<td>yes</td>');
    expect(vi).toContain('<td>có</td>');
  });

  it('prints the first rows of a long table when asked, saying how many and where all of them are', () => {
    const antivirus = octoberContent.tables.find((t) => t.name === 'antivirus')!;
    const hosts = antivirus.rows.map((r) => String(r.hostname));
    const cut = reportHtml(octoberContent, 'en', meta, { maxRows: 10 });
    expect(cut).toContain(
      '<code>data/antivirus.csv</code>, 51 rows. This print shows the first 10 of 51; all are in data/antivirus.csv, report.xlsx.',
    );
    expect(cut).toContain(`<td>${hosts[9]}</td>`);
    expect(cut).not.toContain(`<td>${hosts[10]}</td>`);
    expect(reportHtml(octoberContent, 'en', meta, { maxRows: 1 })).toContain(
      `This print shows the first 1 of ${octoberContent.queries.length}; all are in manifest.json.`,
    );
    expect(reportHtml(octoberContent, 'vi', meta, { maxRows: 10 })).toContain(
      'Bản in này chỉ có 10 dòng đầu trong 51; đủ cả trong data/antivirus.csv, report.xlsx.',
    );
    // Whole: every row, no notice.
    expect(en).toContain(`<td>${hosts[50]}</td>`);
    expect(en).not.toContain('This print shows');
  });
});
