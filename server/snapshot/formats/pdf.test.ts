import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { octoberContent } from '../testdata/content.js';
import { reportHtml } from './html.js';
import { findChromium, renderPdf, stampPdfDates } from './pdf.js';

const chromium = findChromium();
const createdAt = Date.parse('2026-11-01T01:02:03.000Z');
const meta = { id: 'b'.repeat(64), createdAt: '2026-11-01T01:02:03.000Z', keyId: '0123456789abcdef' };

/** Where two PDFs first differ, with the text around it, or null when they are the same bytes. */
function firstDifference(a: Buffer, b: Buffer): string | null {
  if (a.equals(b)) return null;
  let at = 0;
  while (at < a.length && a[at] === b[at]) at++;
  const around = (x: Buffer) => JSON.stringify(x.subarray(Math.max(0, at - 60), at + 60).toString('latin1'));
  return `${a.length} vs ${b.length} bytes, first difference at ${at}: ${around(a)} vs ${around(b)}`;
}

const pdfText = (pdf: Buffer) =>
  execFileSync('pdftotext', ['-layout', '-', '-'], { input: pdf, encoding: 'utf8' });

describe('findChromium()', () => {
  it('returns null when none of the places holds one', () => {
    expect(findChromium(['/nonexistent/chromium'])).toBeNull();
  });
});

describe('stampPdfDates()', () => {
  it('replaces the print time with the creation time, keeping the length', () => {
    const pdf = Buffer.from(
      "%PDF-1.4\n<</CreationDate (D:20261201083202+00'00')\n/ModDate (D:20261201083202+00'00')>>\n",
    );
    const stamped = stampPdfDates(pdf, createdAt);
    expect(stamped.toString('latin1')).toBe(
      "%PDF-1.4\n<</CreationDate (D:20261101010203+00'00')\n/ModDate (D:20261101010203+00'00')>>\n",
    );
    expect(stamped.length).toBe(pdf.length);
  });
});

describe.skipIf(!chromium)('renderPdf() with headless Chromium', () => {
  it('prints the Vietnamese report so that pdftotext reads back its diacritics and figures', async () => {
    const pdf = await renderPdf(reportHtml(octoberContent, 'vi', meta), { chromium: chromium!, createdAt });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const text = pdfText(pdf);
    expect(text).toContain('Ảnh chụp tuân thủ');
    expect(text).toContain('36 / 50 máy trong sổ (72,0 %)');
    expect(text).toContain('36 / 47 máy có báo cáo (76,6 %)');
    expect(text).toContain('mất điện lưới, UPS cạn');
    expect(text).toContain('Phần mềm diệt virus theo máy');
    expect(text).toContain('Sự cố mất kết nối');
    expect(text).toContain('Trung tâm dữ liệu tỉnh');
    expect(pdf.toString('latin1')).toContain("/CreationDate (D:20261101010203+00'00')");
    // The summary on a portrait page, the 10-column antivirus table from page 2 on landscape ones.
    const sizes = execFileSync('pdfinfo', ['-f', '1', '-l', '2', '-'], { input: pdf, encoding: 'utf8' });
    expect(sizes).toMatch(/Page +1 size: +594\.96 x 841\.92 pts \(A4\)/);
    expect(sizes).toMatch(/Page +2 size: +841\.92 x 594\.96 pts \(A4\)/);
  }, 120_000);

  it('prints the English report and makes the same bytes twice', async () => {
    const html = reportHtml(octoberContent, 'en', meta);
    const a = await renderPdf(html, { chromium: chromium!, createdAt });
    const b = await renderPdf(html, { chromium: chromium!, createdAt });
    expect(firstDifference(a, b)).toBeNull();
    const text = pdfText(a);
    expect(text).toContain('Compliance snapshot');
    expect(text).toContain('36 / 50 registered (72.0 %)');
    expect(text).toContain('Antivirus per machine');
  }, 120_000);

  it('names the program when Chromium cannot run', async () => {
    await expect(renderPdf('<p>x</p>', { chromium: '/bin/false', createdAt })).rejects.toThrow(
      'pdf: chromium /bin/false: exit 1',
    );
  });
});
