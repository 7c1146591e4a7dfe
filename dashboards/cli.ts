import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../lib/config.js';
import { type Notifier, notifiers } from './alerts.js';
import { buildFiles, defaultBuildOptions, influxUrlEnv } from './build.js';
import { type Language, languages } from './messages.js';

export const dashboardsUsage = `usage:
  hatang dashboards build [--lang vi|en|all] [--out dashboards/build] [--influx-url URL]
                          [--database hatang] [--dashboards-path ${defaultBuildOptions.dashboardsPath}]
                          [--notify ${defaultBuildOptions.notify.join(',')}]
  hatang dashboards check [same options]   exit 1 when the files under --out differ from a fresh build

  --influx-url  bake this InfluxDB URL into the datasource (default: Grafana reads $${influxUrlEnv})
  --notify      contact point integrations: email ($HATANG_ALERT_EMAIL), webhook ($HATANG_ALERT_WEBHOOK)`;

function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Files under `out` (for the built languages) that differ from `files`, are missing, or are left over. */
export function staleFiles(out: string, files: Map<string, string>, langs: readonly Language[]): string[] {
  const stale: string[] = [];
  for (const [path, content] of files) {
    let current: string | undefined;
    try {
      current = readFileSync(join(out, path), 'utf8');
    } catch {
      current = undefined;
    }
    if (current !== content) stale.push(path);
  }
  for (const lang of langs) {
    for (const file of filesUnder(join(out, lang))) {
      const path = relative(out, file);
      if (!files.has(path)) stale.push(path);
    }
  }
  return stale.sort();
}

/** `hatang dashboards build|check`: dashboards JSON and Grafana provisioning files per language. */
export async function dashboardsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      lang: { type: 'string', default: 'all' },
      out: { type: 'string', default: 'dashboards/build' },
      'influx-url': { type: 'string' },
      notify: { type: 'string', default: defaultBuildOptions.notify.join(',') },
      database: { type: 'string', default: defaultBuildOptions.database },
      'dashboards-path': { type: 'string', default: defaultBuildOptions.dashboardsPath },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(dashboardsUsage);
    return 0;
  }
  const [sub, ...extra] = positionals;
  if ((sub !== 'build' && sub !== 'check') || extra.length > 0) {
    throw new UsageError(`hatang dashboards: expected "build" or "check"\n${dashboardsUsage}`);
  }
  const lang = values.lang;
  if (lang !== 'all' && !(languages as readonly string[]).includes(lang)) {
    throw new UsageError(`--lang: "${lang}" is not one of ${[...languages, 'all'].join(', ')}`);
  }
  let influxUrl: URL | undefined;
  if (values['influx-url'] !== undefined) {
    try {
      influxUrl = new URL(values['influx-url']);
    } catch {
      throw new UsageError(`--influx-url: "${values['influx-url']}" is not a URL`);
    }
  }
  const notify = values.notify.split(',').filter(Boolean);
  const unknown = notify.filter((n) => !Object.hasOwn(notifiers, n));
  if (notify.length === 0 || unknown.length > 0) {
    throw new UsageError(
      `--notify: "${values.notify}" must list one or more of ${Object.keys(notifiers).join(', ')}`,
    );
  }
  if (!/^[A-Za-z0-9_.-]+$/.test(values.database)) {
    throw new UsageError(`--database: "${values.database}" must be letters, digits, _ . or -`);
  }
  if (!values['dashboards-path'].startsWith('/')) {
    throw new UsageError(
      `--dashboards-path: "${values['dashboards-path']}" must be an absolute path on the Grafana host`,
    );
  }
  const langs: readonly Language[] = lang === 'all' ? languages : [lang as Language];
  const files = buildFiles({
    languages: langs,
    influxUrl: influxUrl?.href.replace(/\/$/, ''),
    database: values.database,
    dashboardsPath: values['dashboards-path'],
    notify: [...new Set(notify)] as Notifier[],
  });
  const out = values.out;
  const stale = staleFiles(out, files, langs);

  if (sub === 'check') {
    if (stale.length === 0) {
      console.log(`${out}: up to date (${files.size} files)`);
      return 0;
    }
    console.error(`${out}: stale, run "hatang dashboards build":\n${stale.map((p) => `  ${p}`).join('\n')}`);
    return 1;
  }
  for (const path of stale) {
    const target = join(out, path);
    if (files.has(path)) {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, files.get(path) as string);
    } else {
      rmSync(target);
    }
  }
  console.log(`${out}: ${files.size} files for ${langs.join(', ')} (${stale.length} changed)`);
  return 0;
}
