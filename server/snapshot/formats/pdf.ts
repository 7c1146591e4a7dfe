import { spawn } from 'node:child_process';
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
  return Buffer.from(renumberStructureIds(stamped), 'latin1');
}

/**
 * Chromium names the tagged PDF's structure elements after its DOM node ids (`/ID (node00000061)`,
 * and the same names in the /IDTree), which depend on what the renderer built before the page, so
 * two prints of one page differ there. Every such name is renumbered 1, 2, 3… in its original order
 * (so the sorted ID tree stays sorted) at the same width (so every byte offset stays put).
 */
function renumberStructureIds(text: string): string {
  const pattern = /\(node(\d{8})\)/g;
  const ids = [...new Set([...text.matchAll(pattern)].map((m) => m[1] as string))].sort();
  if (ids.length === 0 || ids.length > 99_999_999) return text;
  const renamed = new Map(ids.map((id, i) => [id, String(i + 1).padStart(8, '0')]));
  return text.replace(pattern, (_, id: string) => `(node${renamed.get(id)})`);
}

export interface PdfOptions {
  chromium: string;
  createdAt: number;
  /** Longest a print may take (default 300 s: 18,000 table rows took 63 s on a loaded 2-core machine). */
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
      // The sandbox cannot start as root (services and CI run so); the page it would guard is our
      // own escaped HTML with no script and a CSP forbidding every load.
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
      // Nothing to resolve: a report never needs the network, so no name lookup succeeds.
      '--host-resolver-rules=MAP * ~NOTFOUND',
      `--user-data-dir=${join(dir, 'profile')}`,
      `--print-to-pdf=${out}`,
      pathToFileURL(page).href,
    ];
    await runChromium(o.chromium, args, o.timeoutMs ?? 300_000, o.signal);
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

/**
 * Runs Chromium in its own process group and, on timeout or abort, kills that whole group (the
 * browser's renderer and zygote children with it) by its id.
 */
function runChromium(
  chromium: string,
  args: string[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(chromium, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-4096);
    });
    let stopped: string | null = null;
    const stop = (why: string) => {
      stopped = why;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => stop(`no PDF within ${timeoutMs / 1000} s`), timeoutMs);
    const onAbort = () => stop('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    const done = (err: Error | null) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    child.once('error', (cause) => done(new Error(`pdf: chromium ${chromium}: ${cause.message}`, { cause })));
    child.once('close', (code, sig) => {
      if (stopped) return done(new Error(`pdf: chromium ${chromium}: ${stopped}`));
      if (code === 0) return done(null);
      const last = stderr.trim().split('\n').at(-1) ?? '';
      done(new Error(`pdf: chromium ${chromium}: exit ${code ?? sig}${last ? `: ${last}` : ''}`));
    });
  });
}
