import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { octoberContent } from '../testdata/content.js';
import type { SnapshotContent } from '../types.js';
import { reportXlsx } from './xlsx.js';

const createdAt = Date.parse('2026-11-01T01:02:03.000Z');

async function readBack(buf: Buffer) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(buf as unknown as ExcelJS.Buffer);
  return wb;
}

const rowValues = (ws: ExcelJS.Worksheet, n: number) => (ws.getRow(n).values as ExcelJS.CellValue[]).slice(1);

describe('reportXlsx()', () => {
  it('has a summary sheet first, then one sheet per table named after it', async () => {
    const wb = await readBack(await reportXlsx(octoberContent, 'vi', createdAt));
    expect(wb.worksheets.map((w) => w.name)).toEqual([
      'summary',
      ...octoberContent.tables.map((t) => t.name),
    ]);
  });

  it('states every ratio with numerator, denominator and its kind on the summary sheet', async () => {
    const wb = await readBack(await reportXlsx(octoberContent, 'en', createdAt));
    const ws = wb.getWorksheet('summary')!;
    const rows = Array.from({ length: ws.rowCount }, (_, i) => rowValues(ws, i + 1));
    expect(rows).toContainEqual([
      'Máy có diệt virus hoạt động / Machines with working antivirus',
      36,
      50,
      'registered',
      72,
      '36 / 50 registered (72.0 %)',
    ]);
    expect(rows).toContainEqual([
      'Máy có diệt virus hoạt động / Machines with working antivirus',
      36,
      47,
      'reporting',
      76.6,
      '36 / 47 reporting (76.6 %)',
    ]);
    expect(rows.find((r) => r[0] === 'Chu kỳ UPS chạy pin / UPS cycles on battery')?.[5]).toBe(
      '0 / 0 expected cycles (no denominator (0))',
    );
    expect(rows).toContainEqual(['Cấp xã / Commune', 2, 89_280, 41_760, 40_020, 46.8, 95.8]);
  });

  it('writes a bilingual header row with units and typed cells', async () => {
    const wb = await readBack(await reportXlsx(octoberContent, 'vi', createdAt));
    const ws = wb.getWorksheet('antivirus')!;
    expect(rowValues(ws, 1)).toEqual([
      'Đơn vị / Site',
      'Tên máy / Hostname',
      'Mã tài sản / Asset tag',
      'Người sử dụng / Owner',
      'Có trong sổ / Registered',
      'Trạng thái / State',
      'Lý do / Reason',
      'Sản phẩm / Product',
      'Tuổi mẫu nhận diện / Signature age (days)',
      'Lần cuối thấy / Last seen',
    ]);
    expect(ws.rowCount).toBe(1 + 51);
    const row48 = ws.getRow(1 + 48);
    expect(row48.getCell(2).value).toBe('SO-TTTT-PC048');
    expect(row48.getCell(5).value).toBe(true);
    expect(row48.getCell(7).value).toBe('không thấy trong 30 ngày');
    expect(row48.getCell(8).value).toBeNull();
    expect(ws.getRow(2).getCell(9).value).toBe(1);
    // Text that looks like a formula stays text in a workbook.
    const changes = wb.getWorksheet('hardware-changes')!;
    expect(changes.getRow(4).getCell(5).value).toBe('=HYPERLINK("http://example.invalid")');
  });

  it('keeps sheet names within 31 characters, unique, without the characters Excel refuses', async () => {
    const content: SnapshotContent = structuredClone(octoberContent);
    const base = content.tables[0]!;
    content.tables = [
      { ...base, name: 'antivirus-per-machine-in-the-asset-register-a' },
      { ...base, name: 'antivirus-per-machine-in-the-asset-register-b' },
      { ...base, name: 'summary' },
    ];
    const wb = await readBack(await reportXlsx(content, 'vi', createdAt));
    const names = wb.worksheets.map((w) => w.name);
    expect(names).toEqual([
      'summary',
      'antivirus-per-machine-in-the-as',
      'antivirus-per-machine-in-the-~2',
      'summary~2',
    ]);
    for (const n of names) expect(n.length).toBeLessThanOrEqual(31);
  });

  it('gives the same bytes for the same content and time', async () => {
    const a = await reportXlsx(octoberContent, 'vi', createdAt);
    expect((await reportXlsx(structuredClone(octoberContent), 'vi', createdAt)).equals(a)).toBe(true);
  });
});
