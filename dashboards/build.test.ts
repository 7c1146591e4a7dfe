import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { UsageError } from '../lib/config.js';
import type { AlertingFile } from './alerts.js';
import { buildDashboards, buildFiles, defaultBuildOptions } from './build.js';
import { dashboardsCommand, staleFiles } from './cli.js';
import { influxDatasource } from './grafana.js';
import { languages, type Messages, messages } from './messages.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const files = buildFiles({ ...defaultBuildOptions, languages });
const json = (path: string) => JSON.parse(files.get(path) as string) as Record<string, unknown>;
const dashboardPaths = [...files.keys()].filter((p) => p.endsWith('.json'));
const provisioned = new Set([influxDatasource.uid]);
const tmp = mkdtempSync(join(tmpdir(), 'hatang-dashboards-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Every value in a JSON tree, with its key. */
function* walk(node: unknown, key = ''): Generator<[string, unknown]> {
  yield [key, node];
  if (Array.isArray(node)) for (const v of node) yield* walk(v, key);
  else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) yield* walk(v, k);
}

/** The tree with every string replaced by "" (keys kept): what two languages must share. */
function shape(node: unknown): unknown {
  if (typeof node === 'string') return '';
  if (Array.isArray(node)) return node.map(shape);
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, shape(v)]));
  }
  return node;
}

describe('built dashboards', () => {
  it.each(dashboardPaths)('%s has unique panel ids', (path) => {
    const ids = (json(path).panels as { id: number }[]).map((p) => p.id);
    expect(ids.length).toBeGreaterThan(5);
    expect(new Set(ids).size).toBe(ids.length);
    expect(json(path).schemaVersion).toBe(42);
  });

  it.each(dashboardPaths)('%s defines every variable its queries and titles use', (path) => {
    const d = json(path);
    const defined = new Set((d.templating as { list: { name: string }[] }).list.map((v) => v.name));
    const used = new Set<string>();
    for (const [, value] of walk(d)) {
      if (typeof value !== 'string') continue;
      for (const m of value.matchAll(/\$\{(\w+)[^}]*\}|\$(\w+)/g)) used.add((m[1] ?? m[2]) as string);
    }
    // Grafana's own ($timeFilter, $__interval) and the InfluxDB alias patterns ($tag_x, $col).
    const builtIn = (v: string) =>
      v === 'timeFilter' || v.startsWith('__') || v.startsWith('tag_') || v === 'col';
    expect([...used].filter((v) => !builtIn(v) && !defined.has(v))).toEqual([]);
    expect([...used].filter((v) => defined.has(v)).length).toBeGreaterThan(0);
  });

  it.each(dashboardPaths)('%s references only the provisioned datasources', (path) => {
    const refs = [...walk(json(path))]
      .filter(([k]) => k === 'datasource')
      .map(([, v]) => v as { uid: string; type: string });
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(provisioned, JSON.stringify(ref)).toContain(ref.uid);
    const targets = [...walk(json(path))]
      .filter(([k]) => k === 'targets')
      .flatMap(([, v]) => v as Record<string, unknown>[]);
    for (const t of targets.filter((x) => x.query)) {
      expect(t).toMatchObject({ datasource: influxDatasource, rawQuery: true });
      expect(['time_series', 'table']).toContain(t.resultFormat);
    }
  });

  it('stat, pie and bar gauge panels reduce with lastNotNull', () => {
    for (const path of dashboardPaths) {
      for (const p of json(path).panels as {
        type: string;
        options?: { reduceOptions?: { calcs: string[] } };
      }[]) {
        if (['stat', 'piechart', 'bargauge'].includes(p.type))
          expect(p.options?.reduceOptions?.calcs).toEqual(['lastNotNull']);
      }
    }
  });

  it('bakes nothing of the endpoint registry in: no counts, names or coordinates, only queries', () => {
    for (const lang of languages) {
      const text = files.get(`${lang}/dashboards/hatang-wan.json`) as string;
      expect(text).not.toMatch(/\b166\b/);
      expect(text).not.toContain('csvContent');
      expect(text).not.toContain('trung-tam-thdl');
      expect(text).not.toContain('Văn Giang');
    }
    const wan = json('en/dashboards/hatang-wan.json');
    const queries = [...walk(wan)].filter(([k]) => k === 'query').map(([, v]) => String(v));
    expect(queries.some((q) => /last\("lat"\)/.test(q))).toBe(true);
  });

  it('both languages build the same dashboards and differ only in text', () => {
    for (const path of dashboardPaths.filter((p) => p.startsWith('en/'))) {
      const en = json(path);
      const vi = json(path.replace(/^en\//, 'vi/'));
      expect(shape(vi)).toEqual(shape(en));
      const queries = (d: unknown) => [...walk(d)].filter(([k]) => k === 'query').map(([, v]) => v);
      expect(queries(vi)).toEqual(queries(en));
      expect(vi.title).not.toBe(en.title);
    }
    const alerts = (lang: string) => parse(files.get(`${lang}/provisioning/alerting/hatang.yaml`) as string);
    expect(shape(alerts('vi'))).toEqual(shape(alerts('en')));
  });

  it('every message is translated and keeps its Grafana variables and alert templates', () => {
    const strings = (m: Messages) =>
      [...walk(m)].filter(([, v]) => typeof v === 'string') as [string, string][];
    const en = strings(messages.en);
    const vi = strings(messages.vi);
    expect(vi.map(([k]) => k)).toEqual(en.map(([k]) => k));
    const tokens = (s: string) => [...s.matchAll(/\$\w+|\{\{[^}]*\}\}/g)].map((x) => x[0]).sort();
    en.forEach(([key, text], i) => {
      const other = vi[i]?.[1] ?? '';
      expect(other.length, key).toBeGreaterThan(0);
      expect(tokens(other), key).toEqual(tokens(text));
    });
    const same = en.filter(([, t], i) => t === vi[i]?.[1]).map(([, t]) => t);
    expect(same.every((t) => /^(hatang|CPU|UPS)$/.test(t))).toBe(true);
  });

  it('the same InfluxQL is built whatever the language', () => {
    const q = (lang: 'en' | 'vi') =>
      JSON.stringify(buildDashboards(lang).map((b) => [...walk(b.dashboard)].filter(([k]) => k === 'query')));
    expect(q('vi')).toBe(q('en'));
  });
});

describe('provisioning files', () => {
  it.each(languages)('%s: datasource, dashboard provider and alert rules parse and agree', (lang) => {
    const ds = parse(files.get(`${lang}/provisioning/datasources/hatang.yaml`) as string);
    expect(ds.datasources.map((d: { uid: string }) => d.uid)).toEqual([influxDatasource.uid]);
    expect(ds.datasources[0]).toMatchObject({
      type: 'influxdb',
      url: defaultBuildOptions.influxUrl,
      jsonData: { dbName: 'hatang', version: 'InfluxQL' },
    });
    const provider = parse(files.get(`${lang}/provisioning/dashboards/hatang.yaml`) as string);
    expect(provider.providers[0]).toMatchObject({
      type: 'file',
      options: { path: `${defaultBuildOptions.dashboardsPath}/${lang}` },
    });

    const alerts = parse(files.get(`${lang}/provisioning/alerting/hatang.yaml`) as string) as AlertingFile;
    const rules = alerts.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.uid)).toEqual([
      `hatang-endpoint-down-${lang}`,
      `hatang-link-loss-${lang}`,
      `hatang-ups-on-battery-${lang}`,
      `hatang-unprotected-${lang}`,
      `hatang-spool-growing-${lang}`,
    ]);
    for (const r of rules) {
      const refIds = r.data.map((d) => d.refId);
      expect(refIds, r.uid).toContain(r.condition);
      for (const d of r.data) {
        expect([influxDatasource.uid, '__expr__'], r.uid).toContain(d.datasourceUid);
        const input = (d.model as { expression?: string }).expression;
        if (input)
          for (const ref of input.match(/[A-Z]\b/g) ?? [])
            expect(refIds, `${r.uid} ${input}`).toContain(ref.replace('$', ''));
      }
      expect(r.annotations.summary?.length).toBeGreaterThan(0);
    }
  });
});

describe('hatang dashboards build|check', () => {
  it('the committed dashboards/build is what a fresh build produces (rebuild with: hatang dashboards build)', () => {
    expect(staleFiles(join(repo, 'dashboards/build'), files, languages)).toEqual([]);
  });

  it('build writes one language, check passes, then fails on an edited or extra file', async () => {
    const out = join(tmp, 'out');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    const args = ['--out', out, '--lang', 'vi'];
    try {
      expect(await dashboardsCommand(['build', ...args])).toBe(0);
      expect(await dashboardsCommand(['check', ...args])).toBe(0);
      const wan = join(out, 'vi/dashboards/hatang-wan.json');
      expect(JSON.parse(readFileSync(wan, 'utf8')).title).toBe(messages.vi.wan.title);
      writeFileSync(wan, '{}');
      writeFileSync(join(out, 'vi/dashboards/old.json'), '{}');
      expect(await dashboardsCommand(['check', ...args])).toBe(1);
      expect(err.mock.calls.flat().join('\n')).toContain('vi/dashboards/hatang-wan.json');
      expect(err.mock.calls.flat().join('\n')).toContain('vi/dashboards/old.json');
      expect(await dashboardsCommand(['build', ...args])).toBe(0);
      expect(await dashboardsCommand(['check', ...args])).toBe(0);
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
  });

  it('bad options are refused with a message naming the option', async () => {
    const run = (...a: string[]) => dashboardsCommand(['build', '--out', join(tmp, 'x'), ...a]);
    await expect(run('--lang', 'fr')).rejects.toThrow(
      new UsageError('--lang: "fr" is not one of vi, en, all'),
    );
    await expect(run('--influx-url', 'not a url')).rejects.toThrow('--influx-url: "not a url" is not a URL');
    await expect(run('--database', 'a b')).rejects.toThrow(
      '--database: "a b" must be letters, digits, _ . or -',
    );
    await expect(run('--dashboards-path', 'rel/path')).rejects.toThrow(
      '--dashboards-path: "rel/path" must be an absolute path',
    );
    await expect(dashboardsCommand(['publish'])).rejects.toThrow('expected "build" or "check"');
  });
});
