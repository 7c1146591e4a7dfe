import { createHash } from 'node:crypto';
import { contentId } from './canonical.js';
import { tableCsv, utf8Bom } from './formats/csv.js';
import { reportHtml } from './formats/html.js';
import { findChromium, renderPdf } from './formats/pdf.js';
import { reportXlsx } from './formats/xlsx.js';
import type { Manifest, ManifestFile, SnapshotContent, SnapshotSigner } from './types.js';
import { unsafeName, writeZip, type ZipFile } from './zip.js';

/** Names of a bundle's fixed files. */
export const bundleFiles = {
  manifest: 'manifest.json',
  signature: 'manifest.sig',
  readme: 'README.txt',
  html: 'report.html',
  xlsx: 'report.xlsx',
  pdf: 'report.pdf',
  key: (keyId: string) => `keys/${keyId}.pem`,
  table: (name: string) => `data/${name}.csv`,
} as const;

export const manifestFormat = 'hatang-snapshot/1';

/**
 * Rows of a table the PDF prints (it says so under the table, and where all rows are): 2,000
 * machines in three tables made a 325-page PDF that took Chromium 28 s; at 100 rows a table it was
 * 42 pages in 3.7–4.0 s, at 50 rows 27 pages in 2.6 s (tagged for screen readers: ~1.3 s of it). The
 * CSV and XLSX hold every row and report.html shows them all.
 */
export const pdfRowsPerTable = 50;

export interface BundleOptions {
  lang: 'vi' | 'en';
  /** Creation time, ms (default now): stamped in the manifest, the zip entries, the XLSX and the PDF. */
  createdAt?: number;
  /** Chromium for the PDF: a path, null for no PDF, absent to look in the usual places. */
  chromium?: string | null;
  signal?: AbortSignal;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** manifest.json's exact bytes: 2-space JSON with a final newline (the bytes manifest.sig signs). */
export function manifestBytes(manifest: Manifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
}

function readme(m: Manifest): string {
  const key = bundleFiles.key(m.key_id);
  const pdfNote = m.omitted?.length
    ? m.omitted.map((o) => `  - ${o.path}: ${o.reason}`).join('\n')
    : '  (none)';
  return `hatang compliance snapshot / Ảnh chụp tuân thủ hatang
=====================================================
id:         ${m.id}
window:     ${m.window.from} -> ${m.window.to}
as of:      ${m.as_of}
created at: ${m.created_at}
key id:     ${m.key_id}

TIẾNG VIỆT
----------
Gói này gồm: manifest.json (mô tả kỳ số liệu, mẫu số, truy vấn và mã SHA-256 của từng tệp),
manifest.sig (chữ ký Ed25519 dạng nhị phân 64 byte trên đúng các byte của manifest.json),
${key} (khóa công khai), data/*.csv (UTF-8 có BOM, mở được bằng Excel), report.xlsx,
report.html và report.pdf (nếu máy chủ có Chromium; bản in chỉ có ${pdfRowsPerTable} dòng đầu
của mỗi bảng dài hơn, đủ cả trong data/*.csv, report.xlsx và report.html).

Kiểm tra bằng hatang (không cần mạng):
  hatang snapshot verify <gói.zip> --public-key <khóa.pem hoặc JSON các khóa lấy từ API máy chủ>
Không có --public-key thì chỉ biết các tệp chưa bị sửa kể từ khi ký bằng khóa nằm trong gói;
hãy lấy khóa công khai từ máy chủ (hoặc từ văn bản công bố) để biết ai đã ký.

Kiểm tra bằng OpenSSL 3 (giải nén trước):
  openssl pkeyutl -verify -pubin -inkey ${key} -rawin -in manifest.json -sigfile manifest.sig
  jq -r '.files[] | "\\(.sha256)  \\(.path)"' manifest.json | sha256sum -c
Lệnh thứ nhất in "Signature Verified Successfully"; lệnh thứ hai in "OK" cho mỗi tệp.
So sánh mã khóa ${m.key_id} với khóa được công bố.

Ô CSV bắt đầu bằng = + - @ được thêm dấu ' ở đầu để Excel không chạy như công thức.

ENGLISH
-------
This bundle holds: manifest.json (window, denominators, queries and each file's SHA-256),
manifest.sig (raw 64-byte Ed25519 signature over the exact bytes of manifest.json),
${key} (the public key), data/*.csv (UTF-8 with BOM, opens in Excel), report.xlsx,
report.html and report.pdf (when the server had Chromium; it prints the first ${pdfRowsPerTable} rows of
longer tables, all of them are in data/*.csv, report.xlsx and report.html).

Verify with hatang (offline):
  hatang snapshot verify <bundle.zip> --public-key <key.pem or the keys JSON from the API>
Without --public-key it only shows the files are unchanged since they were signed with the key
inside the bundle; get the public key from the server (or a published notice) to know who signed.

Verify with OpenSSL 3 (unzip first):
  openssl pkeyutl -verify -pubin -inkey ${key} -rawin -in manifest.json -sigfile manifest.sig
  jq -r '.files[] | "\\(.sha256)  \\(.path)"' manifest.json | sha256sum -c
The first prints "Signature Verified Successfully"; the second prints "OK" for every file.
Compare the key id ${m.key_id} with the published key.

CSV cells starting with = + - @ get a leading ' so spreadsheets do not run them as formulas.

Omitted files / Tệp không có trong gói:
${pdfNote}
`;
}

/**
 * Turns a snapshot's content into one signed zip: the files are made first, the manifest lists
 * each one's SHA-256, size and rows, manifest.sig signs manifest.json's exact bytes, and the zip
 * holds manifest.json, manifest.sig, keys/<key_id>.pem, README.txt, data/<table>.csv,
 * report.html, report.xlsx and report.pdf (when a Chromium is found; else the manifest's `omitted`
 * says why). The same content, time, language and key give the same bytes.
 * @example
 * const { manifest, zip } = await buildBundle(content, signer, { lang: 'vi' });
 * writeFileSync(`${manifest.id}.zip`, zip);
 */
export async function buildBundle(
  content: SnapshotContent,
  signer: SnapshotSigner,
  o: BundleOptions,
): Promise<{ manifest: Manifest; zip: Buffer }> {
  const createdAtMs = o.createdAt ?? Date.now();
  const createdAt = new Date(createdAtMs).toISOString();
  const id = contentId(content);
  const tableNames = new Set<string>();
  for (const t of content.tables) {
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(t.name))
      throw new Error(`bundle: table name "${t.name}": expected kebab-case ASCII`);
    if (tableNames.has(t.name)) throw new Error(`bundle: table name "${t.name}": used twice`);
    tableNames.add(t.name);
    const problem = unsafeName(bundleFiles.table(t.name));
    if (problem) throw new Error(`bundle: table name "${t.name}": ${problem}`);
  }

  const files: (ZipFile & { rows?: number })[] = [
    { path: bundleFiles.key(signer.keyId), data: Buffer.from(signer.publicKey.public_key_pem, 'utf8') },
  ];
  for (const t of content.tables)
    files.push({ path: bundleFiles.table(t.name), data: tableCsv(t), rows: t.rows.length });
  const meta = { id, createdAt, keyId: signer.keyId };
  const html = reportHtml(content, o.lang, meta);
  files.push({ path: bundleFiles.html, data: Buffer.from(html, 'utf8') });
  const omitted: { path: string; reason: string }[] = [];
  const chromium = o.chromium === undefined ? findChromium() : o.chromium;
  // Chromium prints in its own processes while the XLSX is built here.
  const pdf = chromium
    ? renderPdf(reportHtml(content, o.lang, meta, { maxRows: pdfRowsPerTable }), {
        chromium,
        createdAt: createdAtMs,
        signal: o.signal,
      })
    : undefined;
  // Awaited (and failing) together: a failed print is not left unobserved while the XLSX is built.
  const [xlsx, pdfBytes] = await Promise.all([reportXlsx(content, o.lang, createdAtMs), pdf]);
  files.push({ path: bundleFiles.xlsx, data: xlsx });
  if (pdfBytes) {
    files.push({ path: bundleFiles.pdf, data: pdfBytes });
  } else {
    omitted.push({
      path: bundleFiles.pdf,
      reason:
        o.chromium === null
          ? 'PDF not requested (no Chromium given); report.html prints the same report'
          : 'no Chromium found on the server; report.html prints the same report',
    });
  }

  const listed: ManifestFile[] = files.map((f) => ({
    path: f.path,
    sha256: sha256(f.data),
    bytes: f.data.length,
    ...(f.rows === undefined ? {} : { rows: f.rows }),
  }));
  const base: Omit<Manifest, 'files'> = {
    format: manifestFormat,
    id,
    created_at: createdAt,
    window: content.window,
    as_of: content.as_of,
    scope: content.scope,
    generator: content.generator,
    requested_by: content.requested_by,
    lang: o.lang,
    denominators: content.denominators,
    summary: content.summary,
    queries: content.queries,
    key_id: signer.keyId,
    ...(omitted.length ? { omitted } : {}),
  };
  // CRLF and a BOM: README.txt is opened with Notepad on the auditors' Windows machines.
  const readmeText = readme({ ...base, files: [] }).replaceAll('\n', '\r\n');
  const readmeData = Buffer.concat([utf8Bom, Buffer.from(readmeText, 'utf8')]);
  listed.splice(1, 0, { path: bundleFiles.readme, sha256: sha256(readmeData), bytes: readmeData.length });
  const manifest: Manifest = { ...base, files: listed };
  const manifestData = manifestBytes(manifest);
  const zip = writeZip(
    [
      { path: bundleFiles.manifest, data: manifestData },
      { path: bundleFiles.signature, data: signer.sign(manifestData) },
      files[0]!,
      { path: bundleFiles.readme, data: readmeData },
      ...files.slice(1),
    ],
    createdAtMs,
  );
  return { manifest, zip };
}
