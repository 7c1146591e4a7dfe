import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { UsageError } from '../lib/config.js';
import { loadServerConfig, type ServerConfig } from '../server/config.js';
import { requestTime } from '../server/routes/snapshots.js';
import { auditLogCsv, openAuditLog } from '../server/snapshot/audit-log.js';
import { openSnapshotKeys } from '../server/snapshot/keys.js';
import { vietnamDate } from '../server/snapshot/period.js';
import { type Actor, SnapshotRequestError, snapshotsDir } from '../server/snapshot/service.js';
import { openSnapshotServiceFromConfig } from '../server/snapshot/setup.js';
import { openSnapshotStore } from '../server/snapshot/store.js';
import { configEnv, findConfig, sayWhichConfig } from './config-path.js';

type Command = (argv: string[]) => Promise<number>;

const time = (flag: string, text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const r = requestTime.safeParse(text);
  if (!r.success) throw new UsageError(`${flag}: ${r.error.issues[0]?.message ?? 'not a time'}`);
  return r.data;
};

const cliActor = (): Actor => ({
  subject: `cli:${userInfo().username}`,
  role: null,
  source: 'local',
  via: 'cli',
});

/** The server's config where the other commands find it (./config, /etc/hatang, $HATANG_CONFIG_DIR). */
function serverConfig(given: string | undefined): ServerConfig {
  const found = findConfig('server', given);
  const env = configEnv(found.file);
  sayWhichConfig(found, env.file);
  return loadServerConfig(found.file, { env: env.env });
}

/**
 * `hatang snapshot create --from <date|time> --to <date|time> [--scope site]… [--lang vi|en] [--out file.zip]`:
 * makes a snapshot with the server's config: reads InfluxDB directly, signs with the server's key,
 * keeps it in the server's store (a running server lists it) and writes it to --out.
 * `--to` is excluded: `--from 2026-11-01 --to 2026-12-01` is November (Vietnam time).
 */
const create: Command = async (argv) => {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      from: { type: 'string' },
      to: { type: 'string' },
      scope: { type: 'string', multiple: true },
      lang: { type: 'string' },
      out: { type: 'string', short: 'o' },
    },
  });
  const from = time('--from', values.from);
  const to = time('--to', values.to);
  if (from === undefined || to === undefined) throw new UsageError('--from and --to are required');
  if (values.lang !== undefined && values.lang !== 'vi' && values.lang !== 'en') {
    throw new UsageError(`--lang: expected vi or en, got "${values.lang}"`);
  }
  const config = serverConfig(values.config);
  const log = pino({ level: 'silent' });
  const service = openSnapshotServiceFromConfig(config, log);
  const { entry, created } = await service
    .create(
      { from, to, sites: values.scope ?? [], ...(values.lang ? { lang: values.lang as 'vi' | 'en' } : {}) },
      cliActor(),
    )
    .catch((err) => {
      throw err instanceof SnapshotRequestError ? new UsageError(err.message) : err;
    });
  if (values.out) {
    const found = await service.download(entry.id, cliActor());
    if (found) writeFileSync(values.out, found.zip);
  }
  process.stdout.write(
    `${created ? 'made' : 'already kept'}: ${entry.id}\n  window ${entry.window.from} .. ${entry.window.to}\n  ${entry.bytes} bytes${values.out ? `, written to ${values.out}` : ''}\n`,
  );
  return 0;
};

/** `hatang snapshot list [--json]`: the kept snapshots, newest first. */
const list: Command = async (argv) => {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean' },
    },
  });
  const entries = openSnapshotStore(snapshotsDir(serverConfig(values.config))).list();
  if (values.json) {
    process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
    return 0;
  }
  if (entries.length === 0) process.stdout.write('no snapshot kept yet\n');
  for (const e of entries) {
    const window = `${vietnamDate(Date.parse(e.window.from))}..${vietnamDate(Date.parse(e.window.to) - 1)}`;
    const scope = e.scope.sites.length ? e.scope.sites.join(',') : 'all';
    process.stdout.write(
      `${e.id}  ${e.created_at}  ${window}  scope=${scope}  by=${e.requested_by ?? '-'}${e.schedule ? `  schedule=${e.schedule}` : ''}  ${e.bytes} B\n`,
    );
  }
  return 0;
};

/** `hatang snapshot keys list|rotate [--json]`: the signing keys; rotate makes a new one that signs from now on. */
const keys: Command = async (argv) => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean' },
    },
  });
  const [sub] = positionals;
  if (sub !== 'list' && sub !== 'rotate') throw new UsageError('snapshot keys: expected list or rotate');
  const config = serverConfig(values.config);
  const store = openSnapshotKeys(snapshotsDir(config));
  if (sub === 'rotate') {
    const { current, retired } = store.rotate();
    await openAuditLog(snapshotsDir(config)).append({
      subject: cliActor().subject,
      source: 'local',
      action: 'rotate_keys',
      detail: `cli: ${retired ? `retired ${retired.key_id}, ` : ''}now signing with ${current.key_id}`,
    });
    process.stdout.write(
      `${retired ? `retired ${retired.key_id}\n` : ''}signing with ${current.key_id} from now on\n${current.public_key_pem}`,
    );
    return 0;
  }
  const all = store.list();
  if (values.json) process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
  else if (all.length === 0) process.stdout.write('no signing key yet (the first snapshot makes one)\n');
  else {
    for (const k of all) {
      process.stdout.write(
        `${k.key_id}  created ${k.created_at}  ${k.retired_at ? `retired ${k.retired_at}` : 'current'}\n`,
      );
    }
  }
  return 0;
};

/** `hatang snapshot audit-log [--from] [--to] [--format json|csv] [--out file]`. */
const auditLog: Command = async (argv) => {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string', default: 'json' },
      out: { type: 'string', short: 'o' },
    },
  });
  if (values.format !== 'json' && values.format !== 'csv') {
    throw new UsageError(`--format: expected json or csv, got "${values.format}"`);
  }
  const from = time('--from', values.from);
  const to = time('--to', values.to);
  const log = openAuditLog(snapshotsDir(serverConfig(values.config)));
  const records = await log.read({
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
  });
  const out = values.format === 'csv' ? auditLogCsv(records) : `${JSON.stringify(records, null, 2)}\n`;
  if (values.out) writeFileSync(values.out, out);
  else process.stdout.write(out);
  return 0;
};

/** The keeping subcommands of `hatang snapshot` (verify lives with the bundle). */
export const snapshotKeepCommands = {
  create,
  list,
  keys,
  'audit-log': auditLog,
} satisfies Record<string, Command>;
