import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../lib/version.js';
import { startInfluxd } from '../../test/harness/influxd.js';
import {
  agentCredential,
  personCredential,
  startTestServer,
  testServerConfig,
  testSigningKey,
} from '../../test/harness/server.js';
import { issueCredential } from '../credentials.js';
import { previousMonth, vietnamDate } from '../snapshot/period.js';
import { readZip, writeZip } from '../snapshot/zip.js';

/**
 * The auditors' page in a real Chromium against a real server and InfluxDB: sign in (also by
 * keyboard only), make last month's snapshot, download it, verify it, see the file a tampered copy
 * changed; wrong and expired credentials refused; forms without the anti-forgery token refused.
 * Screenshots go to test-artifacts/audit-page/.
 */
const artifacts = join(projectRoot(), 'test-artifacts', 'audit-page');
const dir = mkdtempSync(join(tmpdir(), 'hatang-audit-page-'));
let influxd: Awaited<ReturnType<typeof startInfluxd>>;
let server: Awaited<ReturnType<typeof startTestServer>>;
let browser: Browser;
let auditor: string;

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });

/** A fresh browser context at 1366×768 (a common laptop screen) on the sign-in page. */
async function signInPage(lang = '') {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/audit/${lang}`);
  return { context, page };
}

const activeId = (page: Page) => page.evaluate('document.activeElement && document.activeElement.id');

async function signIn(page: Page, credential: string) {
  await page.fill('#credential', credential);
  await page.click('form[action="/audit/sign-in"] button');
}

/** The session and anti-forgery cookies of a context, as a Cookie header for a plain fetch. */
async function cookieHeader(page: Page) {
  return (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
}

/**
 * Last month as the page's default window will see it: a register of 3 machines, 2 of them and one
 * unregistered machine reporting, and a day of ping for the 2 endpoints of the registry. Written
 * straight to influxd (ingest refuses points older than a week).
 */
async function seedLastMonth() {
  writeFileSync(
    join(dir, 'assets.yaml'),
    `assets:
  - { site: so-tttt, agency: "Sở KH&CN", hostname: PC-01, asset_tag: TS-1, owner: "Nguyễn Thị Lan" }
  - { site: so-tttt, agency: "Sở KH&CN", hostname: PC-02, asset_tag: TS-2, owner: "Trần Văn Hùng" }
  - { site: so-tttt, agency: "Sở KH&CN", hostname: PC-03, asset_tag: TS-3, owner: "Lê Minh Đức" }
`,
  );
  writeFileSync(
    join(dir, 'endpoints.yaml'),
    `endpoints:
  - { id: core, name: "Trung tâm THDL", level: province, district: "TP", address: 127.1.0.1 }
  - { id: c1, name: "UBND xã Đào Dương", level: commune, district: "Ân Thi", parent: core, address: 127.1.1.2 }
`,
  );
  await influxd.query('CREATE DATABASE hatang');
  const { from, to } = previousMonth(Date.now());
  const lines: string[] = [];
  for (const host of ['PC-01', 'PC-02', 'PC-99']) {
    lines.push(
      `agent_health,agent_id=${host.toLowerCase()}-a1,hostname=${host},site_id=so-tttt queue_points=0i ${to - 86_400_000}`,
    );
  }
  for (let t = from + 86_400_000; t < from + 2 * 86_400_000; t += 60_000) {
    lines.push(
      `ping,level=province,source=poller-1,target_id=core up=true,sent=3i,received=3i,interval_s=60i ${t}`,
    );
    lines.push(
      `ping,level=commune,source=poller-1,target_id=c1 up=${t % 3_600_000 !== 0},sent=3i,received=3i,interval_s=60i ${t}`,
    );
  }
  const res = await fetch(`${influxd.url}/write?db=hatang&precision=ms`, {
    method: 'POST',
    body: lines.join('\n'),
  });
  if (res.status !== 204) throw new Error(`seed: ${res.status} ${await res.text()}`);
}

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  influxd = await startInfluxd();
  await seedLastMonth();
  server = await startTestServer(
    testServerConfig(influxd.url, {
      snapshots: { dir: join(dir, 'snapshots') },
      assets: { file: join(dir, 'assets.yaml') },
      endpoints_file: join(dir, 'endpoints.yaml'),
    }),
  );
  auditor = await personCredential('auditor', 'kiem-toan-1');
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
  await influxd?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe("the auditors' page in Chromium", () => {
  it('signs in by keyboard only, with a visible focus ring, in Vietnamese by default', async () => {
    const { context, page } = await signInPage();
    try {
      expect(await page.getAttribute('html', 'lang')).toBe('vi');
      expect(await page.textContent('h2')).toBe('Đăng nhập');
      for (let i = 0; i < 10 && (await activeId(page)) !== 'credential'; i++)
        await page.keyboard.press('Tab');
      expect(await activeId(page)).toBe('credential');
      await page.keyboard.insertText(auditor);
      await page.keyboard.press('Tab');
      // The test project has no DOM types: the browser-side code is passed as text.
      const ring = await page.evaluate(`(() => {
        const s = getComputedStyle(document.activeElement);
        return { tag: document.activeElement.tagName, style: s.outlineStyle, width: s.outlineWidth };
      })()`);
      expect(ring).toEqual({ tag: 'BUTTON', style: 'solid', width: '3px' });
      await shot(page, '01-sign-in-keyboard');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#create-title');
      expect(await page.textContent('header')).toContain('kiem-toan-1');
      const session = (await context.cookies()).find((c) => c.name === 'hatang_audit_session');
      expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/audit' });
      // Fits a laptop screen: nothing wider than the window.
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1366);
      await shot(page, '02-home');
    } finally {
      await context.close();
    }
  });

  it('refuses a wrong credential, an expired one and a machine credential, saying why', async () => {
    const { context, page } = await signInPage();
    try {
      await signIn(page, `${auditor.slice(0, -4)}AAAA`);
      expect(await page.textContent('[role=alert]')).toContain('signature, issuer or format check failed');
      const expired = issueCredential(
        { role: 'auditor', subject: 'het-han' },
        testSigningKey,
        3_600_000,
        Date.now() - 2 * 3_600_000,
      ).credential;
      await signIn(page, expired);
      expect(await page.textContent('[role=alert]')).toMatch(/credential expired at \d{4}-/);
      await shot(page, '03-expired-refused');
      await signIn(page, await agentCredential('pc-1', 'so-tttt'));
      expect(await page.textContent('[role=alert]')).toContain('không phải của kiểm toán viên');
      expect((await context.cookies()).some((c) => c.name === 'hatang_audit_session')).toBe(false);
    } finally {
      await context.close();
    }
  });

  it('makes last month’s snapshot, downloads it, verifies it, and names the file a tampered copy edited', async () => {
    const { context, page } = await signInPage('?lang=en');
    try {
      expect(await page.getAttribute('html', 'lang')).toBe('en');
      await signIn(page, auditor);
      const last = previousMonth(Date.now());
      expect(await page.inputValue('#from')).toBe(vietnamDate(last.from));
      expect(await page.inputValue('#to')).toBe(vietnamDate(last.to - 1));
      await page.click('form[action="/audit/snapshots"] button');
      await page.waitForSelector('#snap-title', { timeout: 90_000 });
      expect(await page.textContent('[role=status]')).toBe('Snapshot made');
      expect(await page.textContent('#ratio-title')).toBe('Ratios (numerator / denominator)');
      // The seeded month, stated with its denominators.
      const cells = async (row: string) =>
        (await page.locator('main tr', { hasText: row }).first().locator('td').allTextContents()).map((c) =>
          c.trim(),
        );
      expect(await cells('Registered machines reporting')).toEqual([
        'Registered machines reporting',
        '2',
        '3',
        'machines registered',
        '66.7 %',
      ]);
      expect(await cells('Reporting, not registered')).toEqual(['1']);
      expect(await page.textContent('#avail-title + table')).toContain('Commune');
      await shot(page, '04-summary');

      const [download] = await Promise.all([page.waitForEvent('download'), page.click('main a[download]')]);
      const file = join(dir, download.suggestedFilename());
      await download.saveAs(file);
      expect(download.suggestedFilename()).toMatch(/^hatang-snapshot-.*\.zip$/);

      await page.goto(`${server.url}/audit/`);
      await page.setInputFiles('#bundle', file);
      await page.click('form[action="/audit/verify"] button');
      expect(await page.textContent('[role=status]')).toContain('Valid');
      await shot(page, '05-verified');

      const files = readZip(readFileSync(file)).map((e) => ({ path: e.path, data: e.read() }));
      const edited = files.find((f) => f.path.startsWith('data/'));
      if (!edited) throw new Error('no data/ file in the bundle');
      edited.data = Buffer.concat([edited.data, Buffer.from('x')]);
      const tampered = join(dir, 'tampered.zip');
      writeFileSync(tampered, writeZip(files, Date.now()));
      await page.goto(`${server.url}/audit/`);
      await page.setInputFiles('#bundle', tampered);
      await page.click('form[action="/audit/verify"] button');
      expect(await page.textContent('[role=alert]')).toBe('NOT valid');
      const row = await page.textContent('main tbody tr');
      expect(row).toContain('edited');
      expect(row).toContain(edited.path);
      await shot(page, '06-tampered');

      await page.goto(`${server.url}/audit/`);
      expect(await page.textContent('main table')).toContain('kiem-toan-1');
      const today = vietnamDate(Date.now());
      const log = await fetch(`${server.url}/audit/audit-log.csv?from=${today}&to=${today}`, {
        headers: { cookie: await cookieHeader(page) },
      });
      expect(log.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      const actions = (await log.text())
        .split('\r\n')
        .filter((l) => l.includes(',kiem-toan-1,auditor,'))
        .map((l) => l.split(',')[3]);
      expect(actions).toEqual(expect.arrayContaining(['sign_in', 'create', 'download', 'verify']));
      expect(actions.filter((a) => a === 'verify')).toHaveLength(2);
      await page.click('header button');
      await page.waitForSelector('#credential');
      expect((await context.cookies()).some((c) => c.name === 'hatang_audit_session')).toBe(false);
    } finally {
      await context.close();
    }
  }, 180_000);

  it('refuses every form posted without its anti-forgery token (403), and serves a strict CSP', async () => {
    const { context, page } = await signInPage();
    try {
      const csp = (await page.goto(`${server.url}/audit/`))?.headers()['content-security-policy'];
      expect(csp).toBe(
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      );
      const noToken = await fetch(`${server.url}/audit/sign-in`, {
        method: 'POST',
        headers: { cookie: await cookieHeader(page), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ credential: auditor }),
        redirect: 'manual',
      });
      expect(noToken.status).toBe(403);
      await signIn(page, auditor);
      await page.waitForSelector('#create-title');
      const cookie = await cookieHeader(page);
      const form = (fields: Record<string, string>) =>
        fetch(`${server.url}/audit/snapshots`, {
          method: 'POST',
          headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(fields),
          redirect: 'manual',
        });
      expect((await form({ from: '2026-10-01', to: '2026-10-31' })).status).toBe(403);
      expect((await form({ from: '2026-10-01', to: '2026-10-31', csrf: 'x'.repeat(43) })).status).toBe(403);
      // The right token sent from another site's page (its Origin) is refused as well.
      const token =
        (await page.getAttribute('form[action="/audit/snapshots"] input[name=csrf]', 'value')) ?? '';
      const foreign = await fetch(`${server.url}/audit/snapshots`, {
        method: 'POST',
        headers: {
          cookie,
          origin: 'http://evil.example',
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ from: '2026-10-01', to: '2026-10-31', csrf: token }),
        redirect: 'manual',
      });
      expect(foreign.status).toBe(403);
      const upload = new FormData();
      upload.set('bundle', new Blob([Buffer.from('PK')]), 'a.zip');
      const verify = await fetch(`${server.url}/audit/verify`, {
        method: 'POST',
        headers: { cookie },
        body: upload,
        redirect: 'manual',
      });
      expect(verify.status).toBe(403);
      const signOut = await fetch(`${server.url}/audit/sign-out`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: '',
        redirect: 'manual',
      });
      expect(signOut.status).toBe(403);
      await shot(page, '07-still-signed-in');
      expect(await page.reload().then(() => page.isVisible('#create-title'))).toBe(true);
    } finally {
      await context.close();
    }
  });
});

describe("the auditors' page over plain HTTP", () => {
  const get = (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, { redirect: 'manual', ...init });

  it('serves the sign-in page in Vietnamese with a strict CSP and an HttpOnly, SameSite=Strict token cookie', async () => {
    const res = await get('/audit/');
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('<html lang="vi">');
    expect(body).toContain('<label for="credential">Thông tin xác thực</label>');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('set-cookie')).toMatch(
      /^hatang_audit_csrf=[\w-]{43}; Max-Age=3600; Path=\/audit; HttpOnly; SameSite=Strict$/,
    );
    expect(await (await get('/audit/?lang=en')).text()).toContain('<html lang="en">');
    const css = await get('/audit/style.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(body).not.toMatch(/<script|style=|https?:\/\//);
  });

  it('sends a visitor who is not signed in to the sign-in page, without reading an upload', async () => {
    const summary = await get(`/audit/snapshots/${'a'.repeat(64)}`);
    expect(summary.status).toBe(303);
    expect(summary.headers.get('location')).toBe('/audit/');
    const upload = new FormData();
    upload.set('bundle', new Blob([Buffer.alloc(1024)]), 'a.zip');
    const verify = await get('/audit/verify', { method: 'POST', body: upload });
    expect(verify.status).toBe(303);
  });

  it('bounds form bodies: 413 past 16 KiB, 415 for another type', async () => {
    const big = await get('/audit/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `credential=${'a'.repeat(17 * 1024)}`,
    });
    expect(big.status).toBe(413);
    expect(await big.text()).toContain('body: larger than 16384 bytes');
    const json = await get('/audit/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(json.status).toBe(415);
  });
});
