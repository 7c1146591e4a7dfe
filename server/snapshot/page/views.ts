import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { vietnamDate } from '../period.js';
import type { StoredSnapshot } from '../store.js';
import type { Bilingual, SnapshotEntry, VerifyResult } from '../types.js';
import { type Lang, text } from './text.js';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;
type Words = { vi: string; en: string };

/** What every page needs to draw its frame. */
export interface Frame {
  lang: Lang;
  /** The path of this page, for the language switch. */
  path: string;
  /** Present when signed in. */
  session?: { subject: string; role: string; expiresAt: number; csrf: string };
}

const t = (lang: Lang, w: Words) => w[lang];
const bi = (lang: Lang, b: Bilingual) => b[lang];
const when = (ms: number, lang: Lang) =>
  new Date(ms).toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: 'Asia/Ho_Chi_Minh' });
const pct = (p: number | null, lang: Lang) =>
  p === null
    ? t(lang, text.unknown)
    : `${p.toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB', { maximumFractionDigits: 1, minimumFractionDigits: 1 })} %`;
const num = (n: number, lang: Lang) => n.toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB');
const bytes = (n: number) =>
  n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`;
/** The window as the inclusive dates an auditor typed. */
const windowText = (w: { from: string; to: string }) =>
  `${vietnamDate(Date.parse(w.from))} → ${vietnamDate(Date.parse(w.to) - 1)}`;

export function page(frame: Frame, title: string, body: Html): Html {
  const { lang } = frame;
  const other: Lang = lang === 'vi' ? 'en' : 'vi';
  return html`<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${t(lang, text.title)}</title>
<link rel="stylesheet" href="/audit/style.css">
<link rel="icon" href="/audit/icon.svg" type="image/svg+xml">
</head>
<body>
<a class="skip" href="#main">${t(lang, text.skip)}</a>
<header>
<h1><a href="/audit/">${t(lang, text.title)}</a></h1>
<nav aria-label="${t(lang, text.language)}">
<a href="${frame.path}?lang=${other}" lang="${other}" hreflang="${other}">${other === 'en' ? 'English' : 'Tiếng Việt'}</a>
${
  frame.session
    ? html`<span>${t(lang, text.signedInAs)} <strong>${frame.session.subject}</strong> (${frame.session.role}), ${t(lang, text.sessionUntil)} ${when(frame.session.expiresAt, lang)}</span>
<form method="post" action="/audit/sign-out">${csrfField(frame.session.csrf)}<button class="link" type="submit">${t(lang, text.signOut)}</button></form>`
    : ''
}
</nav>
</header>
<main id="main" tabindex="-1">
${body}
</main>
</body>
</html>`;
}

const csrfField = (token: string) => html`<input type="hidden" name="csrf" value="${token}">`;

export function signInPage(frame: Frame, csrf: string, error?: string): Html {
  const { lang } = frame;
  return page(
    frame,
    t(lang, text.signInTitle),
    html`<section aria-labelledby="sign-in-title">
<h2 id="sign-in-title">${t(lang, text.signInTitle)}</h2>
${error ? html`<div class="msg bad" role="alert"><strong>${t(lang, text.refused)}:</strong> ${error}</div>` : ''}
<p class="help" id="credential-help">${t(lang, text.signInHelp)}</p>
<form method="post" action="/audit/sign-in">
${csrfField(csrf)}
<label for="credential">${t(lang, text.credential)}</label>
<textarea id="credential" name="credential" required autocomplete="off" spellcheck="false" aria-describedby="credential-help" autofocus></textarea>
<button type="submit">${t(lang, text.signIn)}</button>
</form>
</section>`,
  );
}

export interface HomeData {
  entries: SnapshotEntry[];
  sites: readonly string[];
  defaultFrom: string;
  defaultTo: string;
  message?: { ok: boolean; text: string };
}

export function homePage(frame: Frame & { session: NonNullable<Frame['session']> }, d: HomeData): Html {
  const { lang, session } = frame;
  const rows = d.entries.map(
    (e) => html`<tr>
<td>${when(Date.parse(e.created_at), lang)}</td>
<td>${windowText(e.window)}</td>
<td>${e.scope.sites.length ? e.scope.sites.join(', ') : t(lang, text.everything)}</td>
<td>${e.requested_by ?? ''}</td>
<td class="num">${bytes(e.bytes)}</td>
<td><a href="/audit/snapshots/${e.id}">${t(lang, text.summary)}<span class="mono"> ${e.id.slice(0, 12)}</span></a> · <a href="/audit/snapshots/${e.id}/download" download>${t(lang, text.download)}</a></td>
</tr>`,
  );
  return page(
    frame,
    t(lang, text.listTitle),
    html`${d.message ? html`<div class="msg ${d.message.ok ? 'ok' : 'bad'}" role="${d.message.ok ? 'status' : 'alert'}">${d.message.text}</div>` : ''}
<div class="grid">
<section aria-labelledby="create-title">
<h2 id="create-title">${t(lang, text.createTitle)}</h2>
<p class="help">${t(lang, text.createHelp)}</p>
<form method="post" action="/audit/snapshots">
${csrfField(session.csrf)}
<label for="from">${t(lang, text.from)}</label>
<input type="date" id="from" name="from" value="${d.defaultFrom}" required>
<label for="to">${t(lang, text.to)}</label>
<input type="date" id="to" name="to" value="${d.defaultTo}" required>
${
  d.sites.length
    ? html`<fieldset><legend>${t(lang, text.scope)}</legend>${d.sites.map(
        (s) => html`<label><input type="checkbox" name="sites" value="${s}"> ${s}</label>`,
      )}</fieldset>`
    : ''
}
<label for="report-lang">${t(lang, text.reportLang)}</label>
<select id="report-lang" name="lang">
<option value="vi"${lang === 'vi' ? raw(' selected') : ''}>Tiếng Việt</option>
<option value="en"${lang === 'en' ? raw(' selected') : ''}>English</option>
</select>
<div><button type="submit">${t(lang, text.create)}</button></div>
</form>
</section>
<section aria-labelledby="verify-title">
<h2 id="verify-title">${t(lang, text.verifyTitle)}</h2>
<p class="help" id="verify-help">${t(lang, text.verifyHelp)}</p>
<form method="post" action="/audit/verify" enctype="multipart/form-data">
${csrfField(session.csrf)}
<label for="bundle">${t(lang, text.bundle)}</label>
<input type="file" id="bundle" name="bundle" accept=".zip,application/zip" required aria-describedby="verify-help">
<div><button type="submit">${t(lang, text.verify)}</button></div>
</form>
</section>
</div>
<section aria-labelledby="list-title">
<h2 id="list-title">${t(lang, text.listTitle)}</h2>
${
  d.entries.length
    ? html`<table>
<thead><tr><th scope="col">${t(lang, text.createdAt)}</th><th scope="col">${t(lang, text.window)}</th><th scope="col">${t(lang, text.scopeCol)}</th><th scope="col">${t(lang, text.by)}</th><th scope="col" class="num">${t(lang, text.size)}</th><th scope="col">${t(lang, text.actions)}</th></tr></thead>
<tbody>${rows}</tbody>
</table>`
    : html`<p>${t(lang, text.none)}</p>`
}
</section>
<section aria-labelledby="log-title">
<h2 id="log-title">${t(lang, text.auditLogTitle)}</h2>
<p class="help">${t(lang, text.auditLogHelp)}</p>
<form method="get" action="/audit/audit-log.csv" class="inline">
<label for="log-from">${t(lang, text.from)}</label>
<input type="date" id="log-from" name="from" value="${d.defaultFrom}" required>
<label for="log-to">${t(lang, text.to)}</label>
<input type="date" id="log-to" name="to" value="${d.defaultTo}" required>
<button type="submit">${t(lang, text.auditLogDownload)}</button>
</form>
</section>`,
  );
}

export function summaryPage(frame: Frame, s: StoredSnapshot, message?: { ok: boolean; text: string }): Html {
  const { lang } = frame;
  const m = s.manifest;
  const d = m.denominators;
  return page(
    frame,
    `${t(lang, text.snapshot)} ${m.id.slice(0, 12)}`,
    html`${message ? html`<div class="msg ${message.ok ? 'ok' : 'bad'}" role="status">${message.text}</div>` : ''}
<section aria-labelledby="snap-title">
<h2 id="snap-title">${t(lang, text.snapshot)} <span class="mono">${m.id.slice(0, 12)}</span></h2>
<dl>
<dt>${t(lang, text.window)}</dt><dd>${windowText(m.window)} (<span class="mono">${m.window.from} – ${m.window.to}</span>)</dd>
<dt>${t(lang, text.asOf)}</dt><dd>${when(Date.parse(m.as_of), lang)}</dd>
<dt>${t(lang, text.scopeCol)}</dt><dd>${m.scope.sites.length ? m.scope.sites.join(', ') : t(lang, text.everything)}</dd>
<dt>${t(lang, text.by)}</dt><dd>${m.requested_by ?? ''}</dd>
<dt>${t(lang, text.createdAt)}</dt><dd>${when(Date.parse(m.created_at), lang)}</dd>
<dt>${t(lang, text.keyId)}</dt><dd class="mono">${m.key_id}</dd>
<dt>ID</dt><dd class="mono">${m.id}</dd>
</dl>
<p><a href="/audit/snapshots/${m.id}/download" download>${t(lang, text.download)}</a> · <a href="/audit/">${t(lang, text.back)}</a></p>
</section>
<section aria-labelledby="den-title">
<h2 id="den-title">${t(lang, text.denominators)}</h2>
<table><tbody>
<tr><th scope="row">${t(lang, text.registered)}</th><td class="num">${num(d.registered, lang)}</td></tr>
<tr><th scope="row">${t(lang, text.reporting)}</th><td class="num">${num(d.reporting, lang)}</td></tr>
<tr><th scope="row">${t(lang, text.notReporting)}</th><td class="num">${num(d.not_reporting, lang)}</td></tr>
<tr><th scope="row">${t(lang, text.notRegistered)}</th><td class="num">${num(d.not_registered, lang)}</td></tr>
<tr><th scope="row">${t(lang, text.endpoints)}</th><td class="num">${num(d.endpoints, lang)}</td></tr>
<tr><th scope="row">${t(lang, text.lookback)}</th><td class="num">${num(Math.round(d.lookback_s / 86_400), lang)} d</td></tr>
<tr><th scope="row">${t(lang, text.assetRegister)}</th><td>${d.asset_register ? html`<span class="mono">${d.asset_register.file}</span>, ${num(d.asset_register.rows, lang)} ${t(lang, text.rows).toLowerCase()}, SHA-256 <span class="mono">${d.asset_register.sha256}</span>` : t(lang, text.noRegister)}</td></tr>
</tbody></table>
</section>
<section aria-labelledby="ratio-title">
<h2 id="ratio-title">${t(lang, text.ratios)}</h2>
<table>
<thead><tr><th scope="col">${t(lang, text.figure)}</th><th scope="col" class="num">${t(lang, text.numerator)}</th><th scope="col" class="num">${t(lang, text.denominator)}</th><th scope="col">${t(lang, text.denominatorKind)}</th><th scope="col" class="num">${t(lang, text.percent)}</th></tr></thead>
<tbody>${m.summary.ratios.map(
      (r) =>
        html`<tr><td>${bi(lang, r.label)}</td><td class="num">${num(r.numerator, lang)}</td><td class="num">${num(r.denominator, lang)}</td><td>${text.denominatorKinds[r.denominator_kind] ? t(lang, text.denominatorKinds[r.denominator_kind]) : r.denominator_kind}</td><td class="num">${pct(r.percent, lang)}</td></tr>`,
    )}</tbody>
</table>
</section>
<section aria-labelledby="avail-title">
<h2 id="avail-title">${t(lang, text.availability)}</h2>
<table>
<thead><tr><th scope="col">${t(lang, text.level)}</th><th scope="col" class="num">${t(lang, text.endpoints)}</th><th scope="col" class="num">${t(lang, text.expected)}</th><th scope="col" class="num">${t(lang, text.recorded)}</th><th scope="col" class="num">${t(lang, text.coverage)}</th><th scope="col" class="num">${t(lang, text.up)}</th><th scope="col" class="num">${t(lang, text.target)}</th></tr></thead>
<tbody>${m.summary.availability_by_level.map(
      (l) =>
        html`<tr><td>${bi(lang, l.label)}</td><td class="num">${num(l.endpoints, lang)}</td><td class="num">${num(l.expected_cycles, lang)}</td><td class="num">${num(l.recorded_cycles, lang)}</td><td class="num">${pct(l.coverage_percent, lang)}</td><td class="num">${pct(l.availability_percent, lang)}</td><td class="num">${l.target_percent === null ? '–' : pct(l.target_percent, lang)}</td></tr>`,
    )}</tbody>
</table>
</section>
<section aria-labelledby="ready-title">
<h2 id="ready-title">${t(lang, text.readiness)}</h2>
${
  m.summary.readiness.length
    ? html`<table>
<thead><tr><th scope="col">${t(lang, text.site)}</th><th scope="col" class="num">${t(lang, text.rating)}</th><th scope="col" class="num">${t(lang, text.target)}</th><th scope="col" class="num">${t(lang, text.gaps)}</th></tr></thead>
<tbody>${m.summary.readiness.map(
        (r) =>
          html`<tr><td>${r.name} (<span class="mono">${r.site}</span>)</td><td class="num">Rated-${r.overall_rating}</td><td class="num">Rated-${r.target_rating}</td><td class="num">${r.gaps}</td></tr>`,
      )}</tbody></table>`
    : html`<p>–</p>`
}
</section>
<section aria-labelledby="files-title">
<h2 id="files-title">${t(lang, text.files)}</h2>
<table>
<thead><tr><th scope="col">${t(lang, text.file)}</th><th scope="col" class="num">${t(lang, text.rows)}</th><th scope="col" class="num">${t(lang, text.size)}</th><th scope="col">SHA-256</th></tr></thead>
<tbody>${m.files.map(
      (f) =>
        html`<tr><td class="mono path">${f.path}</td><td class="num">${f.rows === undefined ? '' : num(f.rows, lang)}</td><td class="num">${bytes(f.bytes)}</td><td class="mono">${f.sha256}</td></tr>`,
    )}</tbody>
</table>
</section>`,
  );
}

export function verifyPage(frame: Frame, fileName: string, r: VerifyResult): Html {
  const { lang } = frame;
  return page(
    frame,
    t(lang, text.verifyTitle),
    html`<section aria-labelledby="verify-result" class="${r.ok ? 'ok' : 'bad'}">
<h2 id="verify-result">${t(lang, text.verifyTitle)}: <span class="mono">${fileName}</span></h2>
${
  r.ok
    ? html`<p role="status"><strong>${t(lang, text.verifyOk)}</strong></p>`
    : html`<p role="alert"><strong>${t(lang, text.verifyBad)}</strong></p>
<table>
<thead><tr><th scope="col">${t(lang, text.problem)}</th><th scope="col">${t(lang, text.file)}</th><th scope="col">${t(lang, text.detail)}</th></tr></thead>
<tbody>${r.problems.map(
        (p) =>
          html`<tr><td>${t(lang, text.kinds[p.kind])}</td><td class="mono path">${p.file ?? ''}</td><td>${p.message}</td></tr>`,
      )}</tbody>
</table>`
}
${(r.notes ?? []).map((n) => html`<p class="help">${n}</p>`)}
${r.manifest ? html`<p>${t(lang, text.snapshot)} <span class="mono">${r.manifest.id}</span> · ${t(lang, text.window)} ${windowText(r.manifest.window)} · ${t(lang, text.keyId)} <span class="mono">${r.manifest.key_id}</span></p>` : ''}
<p><a href="/audit/">${t(lang, text.back)}</a></p>
</section>`,
  );
}

export function messagePage(frame: Frame, title: string, message: string): Html {
  return page(
    frame,
    title,
    html`<section><h2>${title}</h2><div class="msg bad" role="alert">${message}</div><p><a href="/audit/">${t(frame.lang, text.back)}</a></p></section>`,
  );
}
