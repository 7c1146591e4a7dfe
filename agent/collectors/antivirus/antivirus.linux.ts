import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CollectContext } from '../../collector.js';
import { databaseDirectory, readClamdConf, readDailyDb } from './clamav.js';
import type { AntivirusConfig } from './config.js';
import { detectionFailed, type Finding, noProduct } from './finding.js';
import { isRunning, processNames } from './procs.js';

export const CLAMAV_PRODUCT = 'ClamAV';

/** Files whose presence says ClamAV is installed even when clamd.conf is absent. */
const clamavBinaries = [
  '/usr/sbin/clamd',
  '/usr/local/sbin/clamd',
  '/usr/bin/clamscan',
  '/usr/bin/freshclam',
];

/**
 * Other Linux products hatang recognises by their daemon and install directory. Their own status tools
 * (kesl-control, mdatp health, …) are not queried, so they are never reported `protected`: a running
 * daemon gives `unknown`/`state_not_read` with enabled=true, an install without its daemon
 * `unknown`/`daemon_not_found` (the daemon may have a name this table does not know).
 */
export const otherLinuxProducts: readonly {
  product: string;
  processes: readonly string[];
  dirs: readonly string[];
}[] = [
  { product: 'Kaspersky Endpoint Security for Linux', processes: ['kesl'], dirs: ['/opt/kaspersky/kesl'] },
  {
    product: 'ESET Endpoint Antivirus for Linux',
    processes: ['oaeventd', 'esets_daemon'],
    dirs: ['/opt/eset/eea', '/opt/eset/efs', '/opt/eset/esets'],
  },
  {
    product: 'Sophos Protection for Linux',
    processes: ['sophos_threat_detector', 'savd'],
    dirs: ['/opt/sophos-spl', '/opt/sophos-av'],
  },
  {
    product: 'Bitdefender Endpoint Security Tools',
    processes: ['bdsecd'],
    dirs: ['/opt/bitdefender-security-tools'],
  },
  { product: 'Microsoft Defender for Endpoint', processes: ['wdavdaemon'], dirs: ['/opt/microsoft/mdatp'] },
];

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Resolves a host path under root_dir (the host's / seen from a container). */
function onHost(cfg: AntivirusConfig, path: string): string {
  return cfg.root_dir === '/' ? path : join(cfg.root_dir, path);
}

/**
 * Linux: ClamAV from clamd.conf, the daily database header and the clamd process; the products in
 * `otherLinuxProducts` by daemon and directory; product "none" when nothing is found.
 */
export async function detectLinux(cfg: AntivirusConfig, ctx: CollectContext): Promise<Finding[]> {
  let procs: Set<string> | undefined;
  try {
    procs = await processNames(cfg.proc_dir, ctx.signal);
  } catch (err) {
    if (ctx.signal.aborted) throw new Error('antivirus process scan: run aborted', { cause: err });
    ctx.log.debug({ err, proc_dir: cfg.proc_dir }, 'cannot list processes');
  }
  const findings: Finding[] = [];
  const clam = await detectClamAv(cfg, ctx, procs);
  if (clam) findings.push(clam);
  for (const p of otherLinuxProducts) {
    const running = procs ? p.processes.some((n) => isRunning(procs, n)) : undefined;
    const installed = (await Promise.all(p.dirs.map((d) => exists(onHost(cfg, d))))).some(Boolean);
    if (!running && !installed) continue;
    findings.push({
      product: p.product,
      source: 'process',
      state: 'unknown',
      reason: procs === undefined ? 'proc_unreadable' : running ? 'state_not_read' : 'daemon_not_found',
      ...(running ? { enabled: true } : {}),
    });
  }
  if (findings.length > 0) return findings;
  // Without a process list a product known only by its daemon could have been missed.
  return [procs === undefined ? detectionFailed('process', 'proc_unreadable') : noProduct('none')];
}

async function detectClamAv(
  cfg: AntivirusConfig,
  ctx: CollectContext,
  procs: Set<string> | undefined,
): Promise<Finding | undefined> {
  const conf = await readClamdConf(onHost(cfg, cfg.clamd_conf));
  const dbDir = onHost(cfg, databaseDirectory(conf.kind === 'text' ? conf.text : ''));
  const daemon = procs ? isRunning(procs, 'clamd') : undefined;
  const updater = procs ? isRunning(procs, 'freshclam') : undefined;
  const daily = await readDailyDb(dbDir);
  const installed =
    conf.kind !== 'missing' ||
    daily.kind !== 'missing' ||
    daemon === true ||
    (await Promise.all(clamavBinaries.map((b) => exists(onHost(cfg, b))))).some(Boolean);
  if (!installed) return undefined;

  const base: Finding = {
    product: CLAMAV_PRODUCT,
    source: 'clamav',
    state: 'unknown',
    reason: '',
    ...(daemon === undefined ? {} : { enabled: daemon }),
    ...(updater === undefined ? {} : { updaterRunning: updater }),
  };
  let facts = base;
  if (daily.kind === 'found') {
    const h = daily.db.header;
    // A header dated ahead of the agent's clock (clock behind) counts as brand new, not negative age.
    const ageMs = Math.max(0, ctx.now() - h.buildTime);
    facts = {
      ...base,
      upToDate: ageMs <= cfg.max_signature_age,
      signatureAgeDays: ageMs / 86_400_000,
      signatureTimeS: Math.floor(h.buildTime / 1000),
      signatureVersion: String(h.version),
    };
    ctx.log.debug({ file: daily.db.file, version: h.version }, 'clamav daily database');
  }
  // A stopped daemon protects nothing whatever its signatures are, so that fact comes first.
  if (daemon === false) return { ...facts, state: 'unprotected', reason: 'daemon_not_running' };
  if (conf.kind === 'unreadable') return { ...facts, reason: 'config_unreadable' };
  if (daemon === undefined) return { ...facts, reason: 'proc_unreadable' };
  if (daily.kind === 'bad') return { ...facts, reason: daily.error };
  if (daily.kind === 'missing')
    return { ...facts, state: 'unprotected', reason: 'no_signatures', upToDate: false };
  if (facts.upToDate === false) return { ...facts, state: 'unprotected', reason: 'signatures_out_of_date' };
  return { ...facts, state: 'protected', reason: 'ok' };
}
