import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Where Debian, Ubuntu and Chrome put a Chromium that can print headless. */
const candidates = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The first executable Chromium found, or null. */
export function findChromium(paths: string[] = candidates): string | null {
  for (const p of paths) {
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not there: try the next one
    }
  }
  return null;
}

/** PDF date of an instant: D:YYYYMMDDHHmmss+00'00', the form Skia writes. */
function pdfDate(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `D:${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}+00'00'`;
}

/**
 * Replaces the print time Chromium writes into /CreationDate and /ModDate with `createdAt`, keeping
 * every byte offset (the replacement has the same length), so the same HTML gives the same PDF.
 */
export function stampPdfDates(pdf: Buffer, createdAt: number): Buffer {
  const text = pdf.toString('latin1');
  const stamped = text.replace(
    /\/(CreationDate|ModDate) \(D:\d{14}(?:Z|[+-]\d\d'\d\d'?)?\)/g,
    (match, key: string) => {
      const next = `/${key} (${pdfDate(createdAt)})`;
      return next.length === match.length ? next : match;
    },
  );
  return Buffer.from(stamped, 'latin1');
}

export interface PdfOptions {
  chromium: string;
  createdAt: number;
  /** Longest a print may take (default 120 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Prints `html` to PDF (A4, no header or footer) with headless Chromium, from a private temporary
 * directory that is removed afterwards. The page has a CSP forbidding every load, and background
 * networking is off, so printing makes no network traffic.
 * @throws `pdf: chromium …: why`, with Chromium's stderr as the cause
 */
export async function renderPdf(html: string, o: PdfOptions): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'hatang-pdf-'));
  try {
    const page = join(dir, 'report.html');
    const out = join(dir, 'report.pdf');
    writeFileSync(page, html);
    const args = [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-extensions',
      '--no-first-run',
      '--no-default-browser-check',
      '--no-pdf-header-footer',
      `--user-data-dir=${join(dir, 'profile')}`,
      `--print-to-pdf=${out}`,
      pathToFileURL(page).href,
    ];
    await new Promise<void>((resolve, reject) => {
      execFile(
        o.chromium,
        args,
        {
          timeout: o.timeoutMs ?? 120_000,
          signal: o.signal,
          maxBuffer: 4 * 1024 * 1024,
          killSignal: 'SIGKILL',
        },
        (err, _stdout, stderr) => {
          if (err)
            reject(
              new Error(`pdf: chromium ${o.chromium} failed: ${err.message.split('\n')[0]}`, {
                cause: stderr,
              }),
            );
          else resolve();
        },
      );
    });
    let pdf: Buffer;
    try {
      pdf = readFileSync(out);
    } catch (cause) {
      throw new Error(`pdf: chromium ${o.chromium} wrote no PDF`, { cause });
    }
    if (!pdf.subarray(0, 5).equals(Buffer.from('%PDF-')))
      throw new Error(`pdf: chromium ${o.chromium} wrote something that is not a PDF`);
    return stampPdfDates(pdf, o.createdAt);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
