import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config.js';
import { importEndpointsCsv } from './csv.js';
import { loadEndpoints, loadRegistry, threeTierLevels, twoTierLevels } from './index.js';

const exampleFile = new URL('../../config/endpoints.example.csv', import.meta.url);

function problems(text: string, source = 'endpoints.csv'): string[] {
  try {
    importEndpointsCsv(text, source);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError, the sheet imported');
}

/** The YAML an import produced, read back by the registry loader: what `hatang endpoints import` writes. */
const loadBack = (yaml: string) => loadEndpoints('imported.yaml', { text: yaml });

const viHeader = 'Mã,Tên,Cấp,Huyện,Cấp trên,Địa chỉ IP,Vĩ độ,Kinh độ';

describe('importEndpointsCsv on good sheets', () => {
  it('imports the example export (Excel "CSV UTF-8": BOM, CRLF, Vietnamese headers, STT and Ghi chú columns)', () => {
    const bytes = readFileSync(exampleFile);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.toString('utf8')).toContain('\r\n');
    const { levels, endpoints, yaml, delimiter, tagColumns } = importEndpointsCsv(
      bytes.toString('utf8'),
      'config/endpoints.example.csv',
    );
    expect(delimiter).toBe(',');
    expect(levels).toEqual(twoTierLevels);
    expect(tagColumns).toEqual([
      { header: 'Huyện cũ', tag: 'former_district' },
      { header: 'Nhà mạng', tag: 'carrier' },
      { header: 'Mã mạch', tag: 'circuit' },
    ]);
    expect(endpoints).toHaveLength(12);
    expect(endpoints.map((e) => e.level)).toEqual([
      ...['province', 'province', 'province', 'province', 'province'],
      ...['commune', 'commune', 'commune', 'commune', 'province', 'commune', 'commune'],
    ]);
    expect(endpoints.find((e) => e.id === 'so-vh-tt-dl')?.name).toBe('Sở Văn hóa, Thể thao và Du lịch');
    // The example is a slice of the demo registry: the same rows, field for field.
    const demo = new Map(loadEndpoints('config/endpoints.yaml').map((e) => [e.id, e]));
    for (const e of endpoints) expect(e).toEqual(demo.get(e.id));
    expect(loadBack(yaml)).toEqual(endpoints);
    expect(loadRegistry('imported.yaml', { text: yaml }).levels).toEqual(twoTierLevels);
    expect(yaml).toMatch(/^# Endpoints of the provincial dedicated network/);
    expect(yaml).toContain(
      'Imported from config/endpoints.example.csv by `hatang endpoints import`: 12 endpoints',
    );
  });

  it('imports a two-tier sheet, keeping Nhà mạng, Huyện cũ and columns it does not know as tags', () => {
    const text = [
      'STT;Mã;Tên;Cấp;Cấp trên;Địa chỉ IP;Địa chỉ IP WAN;Nhà mạng;Huyện cũ;Khu vực;Mã mạch;Ghi chú',
      '1;trung-tam-thdl;Trung tâm Tích hợp dữ liệu;Tỉnh;;127.1.0.1;;VNPT;;;;lõi',
      '2;xa-xuan-quan;UBND xã Xuân Quan;Xã;trung-tam-thdl;127.1.4.3;113.160.1.3;VNPT;Văn Giang;Bắc;HY-0403;',
      '3;phuong-my-hao;UBND phường Mỹ Hào;Phường;trung-tam-thdl;127.1.2.1;113.160.2.1;Viettel;TX Mỹ Hào;Bắc;;',
      '4;dac-khu-x;UBND đặc khu X;Đặc khu;trung-tam-thdl;127.1.9.1;;Viettel;;Nam;;',
    ].join('\r\n');
    const { levels, endpoints, yaml, tagColumns } = importEndpointsCsv(text, 'hai-cap.csv');
    expect(levels).toEqual(twoTierLevels);
    expect(tagColumns.map((c) => `${c.header} → ${c.tag}`)).toEqual([
      'Địa chỉ IP WAN → dia_chi_ip_wan',
      'Nhà mạng → carrier',
      'Huyện cũ → former_district',
      'Khu vực → area',
      'Mã mạch → circuit',
    ]);
    expect(endpoints.map((e) => e.level)).toEqual(['province', 'commune', 'commune', 'commune']);
    expect(endpoints[1]).toEqual({
      id: 'xa-xuan-quan',
      name: 'UBND xã Xuân Quan',
      level: 'commune',
      parent: 'trung-tam-thdl',
      address: '127.1.4.3',
      tags: {
        dia_chi_ip_wan: '113.160.1.3',
        carrier: 'VNPT',
        former_district: 'Văn Giang',
        area: 'Bắc',
        circuit: 'HY-0403',
      },
    });
    expect(endpoints[3]?.tags).toEqual({ carrier: 'Viettel', area: 'Nam' });
    const back = loadRegistry('imported.yaml', { text: yaml });
    expect(back).toEqual({ levels: twoTierLevels, endpoints });
    expect(yaml).toMatch(/^levels:\n {2}- province\n {2}- commune\n/m);
  });

  it('reads a sheet with a district (Huyện) column as the old three-tier registry', () => {
    const text = `${viHeader}\ncore,Trung tâm,Tỉnh,TP Hưng Yên,,127.1.0.1,,\nubnd-vg,UBND huyện Văn Giang,Huyện,Văn Giang,core,127.1.4.1,,\n`;
    const { levels, endpoints, yaml } = importEndpointsCsv(text, 'cu.csv');
    expect(levels).toEqual(threeTierLevels);
    expect(endpoints[1]).toMatchObject({ level: 'district', district: 'Văn Giang' });
    expect(loadRegistry('imported.yaml', { text: yaml }).levels).toEqual(threeTierLevels);
  });

  it('reads English headers with a BOM and CRLF line ends', () => {
    const text =
      '\uFEFFid,name,level,district,parent,address,lat,lon\r\n' +
      'core,Trung tâm THDL,province,TP Hưng Yên,,127.1.0.1,20.6465,106.0515\r\n' +
      'ubnd-van-giang,UBND huyện Văn Giang,district,Văn Giang,core,127.1.4.1,20.935,105.935\r\n';
    const { endpoints } = importEndpointsCsv(text, 'en.csv');
    expect(endpoints).toEqual([
      {
        id: 'core',
        name: 'Trung tâm THDL',
        level: 'province',
        district: 'TP Hưng Yên',
        address: '127.1.0.1',
        lat: 20.6465,
        lon: 106.0515,
      },
      {
        id: 'ubnd-van-giang',
        name: 'UBND huyện Văn Giang',
        level: 'district',
        district: 'Văn Giang',
        parent: 'core',
        address: '127.1.4.1',
        lat: 20.935,
        lon: 105.935,
      },
    ]);
  });

  it('sniffs ; and reads decimal commas, as a Vietnamese-locale LibreOffice writes them', () => {
    const text = `${viHeader.replaceAll(',', ';')}\ncore;Trung tâm THDL;Tỉnh;TP Hưng Yên;;127.1.0.1;20,6465;106,0515\n`;
    const result = importEndpointsCsv(text, 'vi.csv');
    expect(result.delimiter).toBe(';');
    expect(result.endpoints[0]).toMatchObject({ lat: 20.6465, lon: 106.0515, level: 'province' });
  });

  it('follows an Excel "sep=" first line and counts lines after it', () => {
    const text = `sep=;\n${viHeader.replaceAll(',', ';')}\ncore;Trung tâm;Tỉnh;TP Hưng Yên;;127.1.0.1;;\nx;X;Xã;TP Hưng Yên;core;10.0.0.300;;\n`;
    expect(problems(text)).toEqual([
      'endpoints.csv:4: address "10.0.0.300" is not an IP address or hostname',
    ]);
  });

  it('reads tab-separated text pasted out of a spreadsheet', () => {
    const text = `${viHeader.replaceAll(',', '\t')}\ncore\tTrung tâm, lõi\tTỉnh\tTP Hưng Yên\t\t::1\t\t\n`;
    const result = importEndpointsCsv(text, 'tab.tsv');
    expect(result.delimiter).toBe('\t');
    expect(result.endpoints[0]).toMatchObject({ name: 'Trung tâm, lõi', address: '::1' });
  });

  it('keeps commas, doubled quotes and line breaks inside quoted fields', () => {
    const text = [
      `STT,${viHeader},Ghi chú`,
      '1,core,"Sở Văn hóa, Thể thao và Du lịch",Tỉnh,TP Hưng Yên,,127.1.0.16,,,"Phòng máy chủ,',
      'tầng 3 — ""ưu tiên"""',
      '2,xa-a,"UBND xã ""Xuân Quan""",Xã,Văn Giang,core,127.1.4.3,,,',
      '3,xa-b,UBND xã Cửu Cao,Xã,Văn Giang,core,10.0.0.300,,,',
    ].join('\r\n');
    expect(problems(text)).toEqual([
      'endpoints.csv:5: address "10.0.0.300" is not an IP address or hostname',
    ]);
    const { endpoints } = importEndpointsCsv(text.replace('10.0.0.300', '127.1.4.5'), 'q.csv');
    expect(endpoints.map((e) => e.name)).toEqual([
      'Sở Văn hóa, Thể thao và Du lịch',
      'UBND xã "Xuân Quan"',
      'UBND xã Cửu Cao',
    ]);
  });

  it('matches Vietnamese headers and level words in any case, with or without diacritics, and keeps names in NFC', () => {
    const text = [
      'MÃ;TEN;Cap;huyen;CAP TREN;Dia chi IP;Vi do;Kinh do;Nhãn',
      'core;Trung tâm;Cấp tỉnh;TP Hưng Yên;;127.1.0.1;;;role=core-router',
      `ubnd-my-hao;${'UBND thị xã Mỹ Hào'.normalize('NFD')};Thị xã;TX Mỹ Hào;core;127.1.2.1;;;`,
      'my-hao-di-su;UBND phường Dị Sử;Phường;TX Mỹ Hào;ubnd-my-hao;127.1.2.5;;;carrier=vnpt, circuit=HY-0123',
      'van-lam-nhu-quynh;UBND thị trấn Như Quỳnh;THỊ TRẤN;Văn Lâm;core;127.1.3.2;;;',
    ].join('\n');
    const { endpoints } = importEndpointsCsv(text, 'hoa.csv');
    expect(endpoints.map((e) => e.level)).toEqual(['province', 'district', 'commune', 'commune']);
    expect(endpoints[1]?.name).toBe('UBND thị xã Mỹ Hào'.normalize('NFC'));
    expect(endpoints[0]?.tags).toEqual({ role: 'core-router' });
    expect(endpoints[2]?.tags).toEqual({ carrier: 'vnpt', circuit: 'HY-0123' });
  });

  it('takes a parent given by its office name, as sheets often do, and stores its id', () => {
    const text = [
      viHeader,
      'core,Trung tâm THDL tỉnh,Tỉnh,TP Hưng Yên,,127.1.0.1,,',
      'ubnd-van-giang,UBND huyện Văn Giang,Huyện,Văn Giang,trung tâm thdl tỉnh,127.1.4.1,,',
      'van-giang-xuan-quan,UBND xã Xuân Quan,Xã,Văn Giang,UBND huyện Văn Giang,127.1.4.3,,',
    ].join('\n');
    const { endpoints, yaml } = importEndpointsCsv(text, 'ten.csv');
    expect(endpoints.map((e) => e.parent)).toEqual([undefined, 'core', 'ubnd-van-giang']);
    expect(loadBack(yaml)).toEqual(endpoints);
  });

  it('skips the empty rows a formatted sheet exports', () => {
    const text = `${viHeader}\n,,,,,,,\ncore,Trung tâm,Tỉnh,TP Hưng Yên,,127.1.0.1,,\n,,,,,,,\n\n`;
    expect(importEndpointsCsv(text, 'e.csv').endpoints.map((e) => e.id)).toEqual(['core']);
  });
});

describe('importEndpointsCsv on bad sheets', () => {
  it('reports every bad row at once by its line, as the operator sees it in the sheet', () => {
    const rows = ['core,Trung tâm THDL,Tỉnh,TP Hưng Yên,,127.1.0.1,20.6465,106.0515'];
    for (let n = 2; n <= 15; n++) rows.push(`xa-${n},UBND xã ${n},Xã,Văn Giang,core,127.1.4.${n},,`);
    rows.push('xa-bad,UBND xã Mễ Sở,Xã,Văn Giang,core,10.0.0.300,,'); // line 17
    rows.push('Xã Thắng Lợi,UBND xã Thắng Lợi,Thôn,Văn Giang,core,127.1.4.40,20.9,'); // line 18
    rows.push(',UBND xã Liên Nghĩa,Xã,,core,127.1.4.41,hai mươi,105.9'); // line 19
    expect(problems(`${viHeader}\n${rows.join('\n')}\n`)).toEqual([
      'endpoints.csv:17: address "10.0.0.300" is not an IP address or hostname',
      'endpoints.csv:18: id "Xã Thắng Lợi" is not a slug (lowercase letters, digits and single - between them): try "xa-thang-loi"',
      'endpoints.csv:18: lon required when lat is set',
      'endpoints.csv:18: level "Thôn" is not a level: use province, district or commune (Tỉnh, Huyện, Xã in spreadsheets)',
      'endpoints.csv:19: lat "hai mươi" is not a number',
      'endpoints.csv:19: id is empty',
      'endpoints.csv:19: district is empty',
    ]);
  });

  it('runs the registry rules across rows, naming the other row by line', () => {
    const text = [
      viHeader,
      'core,Trung tâm,Tỉnh,TP Hưng Yên,so-y-te,127.1.0.1,,',
      'so-y-te,Sở Y tế,Tỉnh,TP Hưng Yên,core,127.1.0.19,,',
      'ubnd-van-giang,UBND huyện Văn Giang,Huyện,Văn Giang,core,127.1.0.19,,',
      'so-y-te,Sở Y tế,Tỉnh,TP Hưng Yên,core,127.1.0.20,,',
      'xa-a,UBND xã A,Xã,Văn Lâm,ubnd-van-giang,127.1.3.9,,',
      'xa-b,UBND xã B,Xã,Văn Lâm,ubnd-van-lam,127.1.3.10,,',
      'xa-c,UBND xã C,Xã,TP Hưng Yên,Sở Y tế,127.1.1.10,,',
    ].join('\n');
    expect(problems(text)).toEqual([
      'endpoints.csv:2: parent forms a cycle: core → so-y-te → core',
      'endpoints.csv:4: address "127.1.0.19" is already the address of so-y-te (line 3)',
      'endpoints.csv:5: id "so-y-te" is already used at line 3',
      'endpoints.csv:6: parent "ubnd-van-giang" is the point of district Văn Giang, not Văn Lâm',
      'endpoints.csv:7: parent "ubnd-van-lam" is not the id of any endpoint',
      'endpoints.csv:8: parent "Sở Y tế" is the name of 2 rows (lines 3, 5): give the id instead',
    ]);
  });

  it('refuses a header it cannot read, naming every duplicated and missing column', () => {
    expect(
      problems('Mã;Tên;Loại;Địa chỉ;Địa chỉ IP;IP;Nhà mạng;Carrier\nx;X;Tỉnh;Số 1;127.0.0.1;127.0.0.1;a;b\n'),
    ).toEqual([
      'endpoints.csv:1: columns "Địa chỉ IP" and "IP" both give address',
      'endpoints.csv:1: columns "Nhà mạng" and "Carrier" both give tag carrier',
      'endpoints.csv:1: missing column level (Cấp)',
    ]);
  });

  it('names the line of a bad value in an extra column, as in any other column', () => {
    const text = [
      'Mã,Tên,Cấp,Cấp trên,Địa chỉ IP,Nhà mạng,Ghi chú kỹ thuật',
      'core,Trung tâm,Tỉnh,,127.1.0.1,vnpt,',
      'xa-a,UBND xã A,Xã,core,127.1.4.2,"vnpt\\",x',
      'xa-b,UBND xã B,Huyện,core,127.1.4.3,viettel,',
    ].join('\n');
    expect(problems(text)).toEqual([
      'endpoints.csv:3: tags.carrier must not end with a backslash',
      'endpoints.csv:4: level "district" is not a level: use province or commune (Tỉnh, Xã/Phường/Đặc khu in spreadsheets): districts were dissolved in July 2025, keep it as tags.former_district',
    ]);
  });

  it('names the line where a quoted field is never closed', () => {
    const text = `${viHeader}\ncore,Trung tâm,Tỉnh,TP Hưng Yên,,127.1.0.1,,\nxa-a,"UBND xã A,Xã,Văn Giang,core,127.1.4.2,,\nxa-b,B,Xã,Văn Giang,core,127.1.4.3,,\n`;
    expect(problems(text)).toEqual([
      'endpoints.csv:3: a quoted field opened here is never closed (a " is missing)',
    ]);
  });

  it('says a row has more fields than the header, the usual unquoted comma in a name', () => {
    const text = `${viHeader}\ncore,Sở Văn hóa, Thể thao và Du lịch,Tỉnh,TP Hưng Yên,,127.1.0.1,20.6465,106.0515\n`;
    expect(problems(text)).toEqual([
      'endpoints.csv:2: 9 fields, the header has 8: is a "," missing its quotes?',
    ]);
  });

  it('refuses text that was not UTF-8 when decoded, instead of importing garbled names', () => {
    const text = `${viHeader}\ncore,S\uFFFD Y t\uFFFD,Tỉnh,TP Hưng Yên,,127.1.0.1,,\n`;
    expect(problems(text)).toEqual([
      'endpoints.csv:2: not UTF-8 text: save the sheet as "CSV UTF-8" (Excel) or pick UTF-8 (LibreOffice)',
    ]);
  });

  it('refuses an empty sheet and a sheet with only its header', () => {
    expect(problems('\uFEFF\r\n')).toEqual([
      'endpoints.csv:1: no header row: expected columns such as Mã, Tên, Cấp, Huyện, Cấp trên, Địa chỉ IP',
    ]);
    expect(problems(`${viHeader}\r\n`)).toEqual([
      'endpoints.csv:1: no endpoints: the sheet has a header and no rows',
    ]);
  });

  it('refuses tags that are not name=value pairs', () => {
    const text = `${viHeader},Nhãn\ncore,Trung tâm,Tỉnh,TP Hưng Yên,,127.1.0.1,,,vnpt\nb,B,Tỉnh,TP Hưng Yên,,127.1.0.2,,,Nhà mạng=vnpt\n`;
    expect(problems(text)).toEqual([
      'endpoints.csv:2: tags "vnpt" is not a list of name=value pairs',
      'endpoints.csv:3: tags.Nhà mạng tag name must be snake_case ([a-z][a-z0-9_]*)',
    ]);
  });
});
