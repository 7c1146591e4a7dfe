import { describe, expect, it } from 'vitest';
import { octoberContent } from '../testdata/content.js';
import type { SnapshotTable } from '../types.js';
import { csvCell, tableCsv } from './csv.js';

const table = (name: string) => octoberContent.tables.find((t) => t.name === name)!;

describe('tableCsv()', () => {
  it('starts with the UTF-8 BOM and keeps Vietnamese text as UTF-8 bytes', () => {
    const csv = tableCsv(table('outages'));
    expect([...csv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(csv.includes(Buffer.from('mất điện lưới, UPS cạn', 'utf8'))).toBe(true);
    // "ấ" is U+1EA5: three bytes in UTF-8, not one Windows-1258 byte.
    expect(csv.includes(Buffer.from([0xe1, 0xba, 0xa5]))).toBe(true);
  });

  it('has a header row of the column keys, CRLF line ends and one line per row', () => {
    const t = table('antivirus');
    const text = tableCsv(t).subarray(3).toString('utf8');
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(
      'site,hostname,asset_tag,owner,registered,state,reason,product,signature_age_days,last_seen',
    );
    expect(lines.at(-1)).toBe('');
    expect(lines).toHaveLength(t.rows.length + 2);
    expect(text.replaceAll('\r\n', '')).not.toMatch(/[\r\n]/);
    expect(lines[1]).toBe(
      'ubnd-xa-tan-phu,UBND-XA-TAN-PHU-PC001,TS-2024-1001,Trần Thị Bích,true,protected,,Kaspersky Endpoint Security 12.3,1,2026-10-31T09:15:00.000Z',
    );
  });

  it('quotes per RFC 4180 and writes numbers, booleans and nulls plainly', () => {
    expect(csvCell('WDC WD10EZEX, "1 TB"')).toBe('"WDC WD10EZEX, ""1 TB"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('plain text')).toBe('plain text');
    expect(csvCell(476.9)).toBe('476.9');
    expect(csvCell(104_400)).toBe('104400');
    expect(csvCell(false)).toBe('false');
    expect(csvCell(null)).toBe('');
  });

  it('defuses text a spreadsheet would run as a formula', () => {
    expect(csvCell('=HYPERLINK("http://example.invalid")')).toBe(
      '"\'=HYPERLINK(""http://example.invalid"")"',
    );
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('-')).toBe('-');
    expect(csvCell(-5)).toBe('-5');
    expect(tableCsv(table('hardware-changes')).toString('utf8')).toContain('"\'=HYPERLINK(');
  });

  it('writes an empty cell for a key a row lacks, and just the header for no rows', () => {
    const t: SnapshotTable = {
      name: 'x',
      title: { vi: 'x', en: 'x' },
      description: { vi: '', en: '' },
      columns: [
        { key: 'a', title: { vi: 'a', en: 'a' } },
        { key: 'b', title: { vi: 'b', en: 'b' } },
      ],
      rows: [{ a: 1 }],
    };
    expect(tableCsv(t).subarray(3).toString()).toBe('a,b\r\n1,\r\n');
    expect(
      tableCsv({ ...t, rows: [] })
        .subarray(3)
        .toString(),
    ).toBe('a,b\r\n');
  });
});
