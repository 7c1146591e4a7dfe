import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { UsageError } from '../lib/config.js';
import { catalogue, type MeasurementSpec } from '../protocol/index.js';
import type { AlertingFile } from './alerts.js';
import { buildDashboards, buildFiles, defaultBuildOptions, influxUrlEnv } from './build.js';
import { dashboardsCommand, staleFiles } from './cli.js';
import { enumMappings, importInput, influxDatasource, mixedDatasource, panelDatasources } from './grafana.js';
import { languages, type Messages, messages } from './messages.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const files = buildFiles({ ...defaultBuildOptions, languages });
const json = (path: string) => JSON.parse(files.get(path) as string) as Record<string, unknown>;
const dashboardPaths = [...files.keys()].filter((p) => /^\w+\/dashboards\/.*\.json$/.test(p));
const importPaths = [...files.keys()].filter((p) => /^\w+\/import\/.*\.json$/.test(p));
const rulesFile = (lang: string) =>
  parse(files.get(`${lang}/provisioning/alerting/hatang-rules-${lang}.yaml`) as string) as AlertingFile;
const provisioned = new Set<string>([influxDatasource.uid, mixedDatasource.uid]);
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
    expect(ids.length).toBeGreaterThan(1);
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
    // Every panel with queries names its datasource (the one its queries share, or Mixed).
    for (const p of json(path).panels as {
      type: string;
      targets?: unknown[];
      datasource?: { uid: string };
    }[])
      if ((p.targets ?? []).length > 0) expect(p.datasource?.uid, p.type).toBeDefined();
    const targets = [...walk(json(path))]
      .filter(([k]) => k === 'targets')
      .flatMap(([, v]) => v as Record<string, unknown>[]);
    for (const t of targets.filter((x) => x.query)) {
      expect(t).toMatchObject({ datasource: influxDatasource, rawQuery: true });
      expect(['time_series', 'table']).toContain(t.resultFormat);
    }
  });

  it.each(languages)(
    '%s: the map needs no internet by default; the OpenStreetMap one waits in a collapsed row',
    (lang) => {
      type Layer = { type: string; config?: { src?: string } };
      type MapPanel = {
        type: string;
        title: string;
        datasource?: { uid: string };
        targets: { datasource: { uid: string } }[];
        options: { basemap: Layer; layers: Layer[] };
        panels?: MapPanel[];
        collapsed?: boolean;
      };
      const panels = json(`${lang}/dashboards/hatang-wan.json`).panels as MapPanel[];
      const offline = panels.find((p) => p.type === 'geomap') as MapPanel;
      expect(offline.title).toBe(messages[lang].wan.map);
      // Grafana's bundled world map as the background: no tile server.
      expect(offline.options.basemap).toMatchObject({
        type: 'geojson',
        config: { src: 'public/maps/countries.geojson' },
      });
      const online = ['osm-standard', 'xyz', 'carto', 'esri-xyz', 'default'];
      for (const l of [offline.options.basemap, ...offline.options.layers])
        expect(online).not.toContain(l.type);
      expect(offline.options.layers.map((l) => l.type)).toEqual(['markers']);
      // One datasource for both queries, named on the panel (Mixed only where queries differ).
      const uids = new Set(offline.targets.map((t) => t.datasource.uid));
      expect(uids).toEqual(new Set([influxDatasource.uid]));
      expect(offline.datasource?.uid).toBe(influxDatasource.uid);
      const row = panels.find((p) => p.type === 'row' && p.panels?.some((c) => c.type === 'geomap'));
      expect(row?.collapsed).toBe(true);
      expect(row?.panels?.[0]?.options.basemap.type).toBe('osm-standard');
      expect(row?.panels?.[0]?.datasource?.uid).toBe(influxDatasource.uid);
    },
  );

  it('a panel whose queries go to different datasources is Mixed', () => {
    for (const path of dashboardPaths) {
      const all = (json(path).panels as { panels?: unknown[] }[]).flatMap((p) => [
        p,
        ...(p.panels ?? []),
      ]) as {
        datasource?: { uid: string };
        targets?: { datasource?: { uid: string } }[];
      }[];
      for (const p of all) {
        const uids = new Set((p.targets ?? []).map((t) => t.datasource?.uid));
        if (uids.size > 1) expect(p.datasource).toEqual(mixedDatasource);
        else if (uids.size === 1) expect(p.datasource?.uid).toBe([...uids][0]);
      }
    }
    const mixed = panelDatasources({
      title: 't',
      panels: [
        {
          type: 'geomap',
          targets: [
            { refId: 'A', datasource: influxDatasource },
            { refId: 'B', datasource: { type: 'grafana-testdata-datasource', uid: 'testdata' } },
          ],
        },
      ],
    } as never);
    expect((mixed.panels ?? [])[0]).toMatchObject({ datasource: mixedDatasource });
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
    expect(shape(rulesFile('vi'))).toEqual(shape(rulesFile('en')));
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
    const brands =
      /^(hatang|Agent|CPU|UPS|BIOS|Microsoft|Microsoft Defender|Windows Security Center|ClamAV)$/;
    expect(same.filter((t) => !brands.test(t))).toEqual([]);
  });

  it('the same InfluxQL is built whatever the language', () => {
    const q = (lang: 'en' | 'vi') =>
      JSON.stringify(buildDashboards(lang).map((b) => [...walk(b.dashboard)].filter(([k]) => k === 'query')));
    expect(q('vi')).toBe(q('en'));
  });
});

describe('links between dashboards', () => {
  /** Every data link of a dashboard: [panel title, column or '', url]. */
  const linksOf = (d: Record<string, unknown>) =>
    (d.panels as Record<string, unknown>[])
      .flatMap((p) => [p, ...((p.panels as Record<string, unknown>[]) ?? [])])
      .flatMap((p) => {
        const fc = p.fieldConfig as
          | {
              defaults?: { links?: { url: string }[] };
              overrides?: { matcher: { options: string }; properties: { id: string; value: unknown }[] }[];
            }
          | undefined;
        return [
          ...(fc?.defaults?.links ?? []).map((l) => [p.title, '', l.url] as const),
          ...(fc?.overrides ?? []).flatMap((o) =>
            o.properties
              .filter((x) => x.id === 'links')
              .flatMap((x) =>
                (x.value as { url: string }[]).map((l) => [p.title, o.matcher.options, l.url] as const),
              ),
          ),
        ];
      });

  it.each(languages)(
    '%s: every link opens a dashboard of the same language and sets a variable it has',
    (lang) => {
      const byUid = new Map(
        dashboardPaths.filter((p) => p.startsWith(`${lang}/`)).map((p) => [json(p).uid as string, json(p)]),
      );
      let count = 0;
      for (const d of byUid.values()) {
        for (const [panel, column, url] of linksOf(d)) {
          count++;
          const match = /^\/d\/([\w-]+)\?(.*)$/.exec(url);
          expect(match, `${panel} ${column}: ${url}`).not.toBeNull();
          const target = byUid.get(match?.[1] as string);
          expect(target, url).toBeDefined();
          const vars = new Set(
            ((target?.templating as { list?: { name: string }[] } | undefined)?.list ?? []).map(
              (v) => v.name,
            ),
          );
          for (const [, name] of (match?.[2] ?? '').matchAll(/var-(\w+)=/g))
            expect(vars, url).toContain(name);
        }
      }
      expect(count).toBeGreaterThan(8);
    },
  );

  it('an endpoint tile opens its history, a machine its inventory and antivirus, a device its interfaces', () => {
    const m = messages.en;
    const wan = linksOf(json('en/dashboards/hatang-wan.json'));
    expect(wan).toContainEqual([
      m.wan.statusGrid,
      '',
      '/d/hatang-wan-en?var-endpoint=${__field.labels.target_id:percentencode}&from=now-7d&to=now',
    ]);
    expect(wan).toContainEqual([
      m.wan.outages,
      m.vars.endpoint,
      expect.stringContaining('var-endpoint=${__value.raw'),
    ]);
    const fleet = linksOf(json('en/dashboards/hatang-fleet.json'));
    expect(fleet).toContainEqual([
      m.fleet.unprotected,
      m.vars.hostname,
      expect.stringMatching(/^\/d\/hatang-fleet-en\?var-hostname=/),
    ]);
    expect(fleet).toContainEqual([m.fleet.silent, m.vars.hostname, expect.stringContaining('var-hostname=')]);
    const health = linksOf(json('en/dashboards/hatang-health.json'));
    expect(health).toContainEqual([
      m.health.drops,
      m.vars.hostname,
      expect.stringContaining('/d/hatang-fleet-en?'),
    ]);
    const network = linksOf(json('en/dashboards/hatang-network.json'));
    expect(network).toContainEqual([
      m.network.devices,
      m.vars.device,
      expect.stringContaining('/d/hatang-network-en?var-device='),
    ]);
  });
});

describe('enumerated values', () => {
  /** Every enumeration of the catalogue: fields with `values`, tags with `tagValues`. */
  const enumerations = Object.values(catalogue).flatMap((spec) => {
    const s = spec as MeasurementSpec;
    return [
      ...Object.entries(s.fields)
        .filter(([, f]) => f.values)
        .map(([field, f]) => [`${s.name}.${field}`, f.values as readonly string[]] as const),
      ...Object.entries(s.tagValues ?? {}).map(
        ([tag, v]) => [`${s.name}.${tag}`, v as readonly string[]] as const,
      ),
    ];
  });

  it('the catalogue declares the enumerations the dashboards show', () => {
    const keys = enumerations.map(([k]) => k);
    for (const k of [
      'ping.level',
      'ping.cause',
      'antivirus.reason',
      'antivirus.state',
      'ups.output_source_text',
    ])
      expect(keys).toContain(k);
    expect(enumerations.find(([k]) => k === 'antivirus.reason')?.[1]).toContain('daemon_not_running');
  });

  it.each(languages)('%s has a text for every enumerated value of the catalogue, and no other', (lang) => {
    const texts = messages[lang].enums as Record<string, Record<string, string>>;
    const missing: string[] = [];
    for (const [key, values] of enumerations)
      for (const v of values) if (!texts[key]?.[v]?.trim()) missing.push(`${key}: ${v}`);
    expect(missing).toEqual([]);
    expect(Object.keys(texts).sort()).toEqual(enumerations.map(([k]) => k).sort());
    for (const [key, values] of enumerations)
      expect(Object.keys(texts[key] ?? {}).sort(), key).toEqual([...values].sort());
  });

  it('Vietnamese texts are Vietnamese: no English value shown as is (brand names apart)', () => {
    const vi = messages.vi.enums as Record<string, Record<string, string>>;
    const en = messages.en.enums as Record<string, Record<string, string>>;
    const brands = /^(Windows Security Center|Microsoft Defender|ClamAV|Microsoft|CPU|BIOS)$/;
    for (const [key, values] of Object.entries(vi))
      for (const [v, text] of Object.entries(values)) {
        expect(text, `${key}: ${v}`).not.toBe(v);
        if (!brands.test(text)) expect(text, `${key}: ${v}`).not.toBe(en[key]?.[v]);
      }
  });

  it('mappings cover every value: a prefix code maps its details too', () => {
    const mappings = enumMappings(messages.vi, 'antivirus.reason');
    const exact = mappings[0] as { options: Record<string, { text: string }> };
    expect(exact.options.daemon_not_running?.text).toBe('Dịch vụ quét virus (clamd) không chạy');
    const regexes = mappings.slice(1) as { options: { pattern: string; result: { text: string } } }[];
    const match = (v: string) =>
      regexes.find((r) => new RegExp(r.options.pattern).test(v))?.options.result.text;
    expect(match('parse_error:not_json')).toBe(messages.vi.enums['antivirus.reason']['parse_error:']);
    expect(match('command_failed:exit_1')).toBe(messages.vi.enums['antivirus.reason']['command_failed:']);
    expect(match('ok')).toBeUndefined();
  });

  it.each(languages)('%s dashboards show enumerated columns through their mappings', (lang) => {
    const text = (path: string) => files.get(`${lang}/dashboards/${path}`) as string;
    const e = messages[lang].enums;
    // The reason codes in the fleet table, the level in the WAN tables, the UPS words, sensor types.
    expect(text('hatang-fleet.json')).toContain(JSON.stringify(e['antivirus.reason'].daemon_not_running));
    expect(text('hatang-wan.json')).toContain(JSON.stringify(e['ping.level'].commune));
    expect(text('hatang-wan.json')).toContain(JSON.stringify(e['ping.cause'].parent_down));
    expect(text('hatang-network.json')).toContain(JSON.stringify(e['ups.output_source_text'].battery));
    expect(text('hatang-network.json')).toContain(JSON.stringify(e['snmp_sensor.type'].dbm));
    expect(text('hatang-readiness.json')).toContain(JSON.stringify(e['dc_criterion.subsystem'].mechanical));
  });
});

describe('provisioning files', () => {
  it.each(languages)('%s: datasource, dashboard provider and alert rules parse and agree', (lang) => {
    const ds = parse(files.get(`${lang}/provisioning/datasources/hatang-influxdb.yaml`) as string);
    expect(ds.datasources.map((d: { uid: string }) => d.uid)).toEqual([influxDatasource.uid]);
    // The URL is Grafana's environment variable, not an address baked in at build time.
    expect(ds.datasources[0]).toMatchObject({
      type: 'influxdb',
      url: `$${influxUrlEnv}`,
      jsonData: { dbName: 'hatang', version: 'InfluxQL' },
    });
    // --influx-url bakes an address in for those who want it.
    const baked = buildFiles({
      ...defaultBuildOptions,
      languages: [lang],
      influxUrl: 'http://influx.example:8086',
    });
    expect(
      parse(baked.get(`${lang}/provisioning/datasources/hatang-influxdb.yaml`) as string).datasources[0].url,
    ).toBe('http://influx.example:8086');
    const provider = parse(files.get(`${lang}/provisioning/dashboards/hatang-${lang}.yaml`) as string);
    expect(provider.providers[0]).toMatchObject({
      type: 'file',
      folder: messages[lang].provisioning.folder,
      folderUid: `hatang-${lang}`,
      options: { path: `${defaultBuildOptions.dashboardsPath}/${lang}` },
    });

    const alerts = rulesFile(lang);
    // Rule groups name the dashboards' folder by its (per-language) title: file provisioning has no uid field.
    for (const g of alerts.groups) expect(g.folder).toBe(messages[lang].provisioning.folder);
    const rules = alerts.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.uid)).toEqual([
      `hatang-endpoint-down-${lang}`,
      `hatang-link-loss-${lang}`,
      `hatang-ups-on-battery-${lang}`,
      `hatang-unprotected-${lang}`,
      `hatang-spool-growing-${lang}`,
      `hatang-poller-silent-${lang}`,
      `hatang-site-silent-${lang}`,
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

  it('no rule turns green when its data stops: no-data and error states are chosen per rule, never OK', () => {
    const rules = rulesFile('en').groups.flatMap((g) => g.rules);
    const states = Object.fromEntries(rules.map((r) => [r.uid.replace(/-en$/, ''), r.noDataState]));
    expect(states).toEqual({
      'hatang-endpoint-down': 'NoData',
      'hatang-link-loss': 'NoData',
      'hatang-ups-on-battery': 'NoData',
      'hatang-unprotected': 'KeepLast',
      'hatang-spool-growing': 'Alerting',
      'hatang-poller-silent': 'Alerting',
      'hatang-site-silent': 'Alerting',
    });
    for (const r of rules) expect(r.execErrState, r.uid).not.toBe('OK');
  });

  it('contact points read their addresses from the environment and the policy routes every severity', () => {
    const n = parse(files.get('en/provisioning/alerting/hatang-notifications.yaml') as string);
    const names = n.contactPoints.map((c: { name: string }) => c.name);
    const text = files.get('en/provisioning/alerting/hatang-notifications.yaml') as string;
    expect(text).toContain('addresses: $HATANG_ALERT_EMAIL');
    expect(text).toContain('url: $HATANG_ALERT_WEBHOOK');
    const [root] = n.policies;
    expect(names).toContain(root.receiver);
    const routed = new Map<string, string>(
      root.routes.map((r: { receiver: string; object_matchers: string[][] }) => {
        expect(names).toContain(r.receiver);
        const [label, op, value] = r.object_matchers[0] as string[];
        expect([label, op]).toEqual(['severity', '=']);
        return [value, r.receiver];
      }),
    );
    const severities = new Set(rulesFile('en').groups.flatMap((g) => g.rules.map((r) => r.labels.severity)));
    for (const s of severities) expect(routed.get(s as string), s).toBeDefined();
    expect(routed.get('critical')).not.toBe(routed.get('warning'));
    // Grafana refuses an empty address: a build for email only leaves the webhook out.
    const emailOnly = buildFiles({ ...defaultBuildOptions, languages: ['en'], notify: ['email'] });
    const only = emailOnly.get('en/provisioning/alerting/hatang-notifications.yaml') as string;
    expect(only).toContain('HATANG_ALERT_EMAIL');
    expect(only).not.toContain('webhook');
  });

  it('both languages installed into one provisioning tree collide nowhere: files, folders and uids', () => {
    // What an operator gets by copying vi/ and en/ into the same Grafana directories.
    const installed = new Map<string, string>();
    for (const [path, content] of files) {
      const [, kind, ...rest] = path.split('/');
      const target = kind === 'provisioning' ? `provisioning/${rest.join('/')}` : `${kind}/${path}`;
      const before = installed.get(target);
      // The same file twice is one file (the shared datasource and notifications), never two versions.
      expect(before === undefined || before === content, target).toBe(true);
      installed.set(target, content);
    }
    const defined = new Map<string, string>();
    const define = (kind: string, uid: string, where: string) => {
      const key = `${kind}:${uid}`;
      const at = defined.get(key);
      expect(at === undefined || at === where, `${key} in ${at} and ${where}`).toBe(true);
      defined.set(key, where);
    };
    for (const [target, content] of installed) {
      if (target.startsWith('dashboards/') && target.includes('/dashboards/')) {
        define('dashboard', JSON.parse(content).uid, target);
      } else if (target.startsWith('provisioning/')) {
        const y = parse(content);
        for (const d of y.datasources ?? []) define('datasource', d.uid, target);
        for (const p of y.providers ?? []) {
          define('folder', p.folderUid, target);
          define('folder-title', p.folder, target);
          define('provider', p.name, target);
        }
        for (const g of y.groups ?? []) for (const r of g.rules) define('rule', r.uid, target);
        for (const c of y.contactPoints ?? []) {
          define('contact-point', c.name, target);
          for (const r of c.receivers) define('receiver', r.uid, target);
        }
      }
    }
    const count = (kind: string) => [...defined.keys()].filter((k) => k.startsWith(`${kind}:`)).length;
    expect(count('dashboard')).toBe(dashboardPaths.length);
    expect(count('folder')).toBe(languages.length);
    expect(count('rule')).toBe(languages.length * rulesFile('en').groups.flatMap((g) => g.rules).length);
    expect(count('datasource')).toBe(1);
  });
});

describe('the import flavour (Grafana → Dashboards → Import)', () => {
  it.each(importPaths)('%s asks for an InfluxDB datasource and references only it', (path) => {
    const d = json(path);
    expect(d.__inputs).toEqual([
      expect.objectContaining({ name: importInput, type: 'datasource', pluginId: 'influxdb' }),
    ]);
    const requires = d.__requires as { type: string; id: string }[];
    expect(requires).toContainEqual(expect.objectContaining({ type: 'datasource', id: 'influxdb' }));
    expect(requires).toContainEqual(expect.objectContaining({ type: 'grafana', id: 'grafana' }));
    expect(d.id).toBeNull();
    const inputs = new Set((d.__inputs as { name: string }[]).map((i) => `\${${i.name}}`));
    const refs = [...walk(d)].filter(([k]) => k === 'datasource').map(([, v]) => v as { uid: string });
    expect(refs.length).toBeGreaterThan(0);
    // Resolvable: an input the importer fills in, or Grafana's own Mixed / expression datasources.
    for (const ref of refs) expect([...inputs, mixedDatasource.uid], JSON.stringify(ref)).toContain(ref.uid);
    expect(JSON.stringify(d)).not.toContain(influxDatasource.uid);
    // Every panel type used is required.
    const types = new Set(
      [...walk(d.panels)].filter(([k, v]) => k === 'type' && typeof v === 'string').map(([, v]) => v),
    );
    for (const p of d.panels as { type: string }[])
      if (p.type !== 'row') expect(requires.map((r) => r.id)).toContain(p.type);
    expect(types.size).toBeGreaterThan(0);
  });

  it('is the provisioned dashboard with only datasource references and the import header changed', () => {
    for (const path of importPaths) {
      const { __inputs, __requires, id, ...body } = json(path);
      const provisioned = json(path.replace('/import/', '/dashboards/'));
      const { id: _id, ...rest } = provisioned;
      expect(JSON.stringify(body).replaceAll(`\${${importInput}}`, influxDatasource.uid)).toBe(
        JSON.stringify(rest),
      );
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
    await expect(run('--notify', 'sms')).rejects.toThrow(
      '--notify: "sms" must list one or more of email, webhook',
    );
    await expect(dashboardsCommand(['publish'])).rejects.toThrow('expected "build" or "check"');
  });
});
