import type { CollectContext } from '../../collector.js';
import type { AntivirusConfig } from './config.js';
import { interpretMpComputerStatus } from './defender.js';
import { detectionFailed, type Finding, noProduct } from './finding.js';
import { type CommandResult, CommandTimeoutError, runCommand } from './run-command.js';
import { interpretSecurityCenter2 } from './securitycenter2.js';
import { isInvalidNamespace, readRecords } from './wmi-output.js';

/**
 * The process boundary: runs a PowerShell script and returns what it printed. Tests replace it with
 * captured outputs; everything after it is the code the agent runs.
 */
export type PowerShellRunner = (
  script: string,
  o: { signal: AbortSignal; timeoutMs: number },
) => Promise<CommandResult>;

// Console output is UTF-8 so product names in any language survive; the assignment is refused under
// Constrained Language Mode, hence the try. Select-Object keeps CIM metadata out of the JSON, and
// -InputObject @(...) keeps an array even for zero or one instance.
const prelude =
  "$ErrorActionPreference = 'Stop'; try { [Console]::OutputEncoding = [System.Text.Encoding]::UTF8 } catch {}; ";

export const securityCenter2Script = `${prelude}$p = @(Get-CimInstance -Namespace root/SecurityCenter2 -ClassName AntiVirusProduct -OperationTimeoutSec 20 | Select-Object displayName, instanceGuid, pathToSignedProductExe, pathToSignedReportingExe, productState, timestamp); ConvertTo-Json -InputObject $p -Compress`;

export const defenderScript = `${prelude}$p = @(Get-CimInstance -Namespace root/Microsoft/Windows/Defender -ClassName MSFT_MpComputerStatus -OperationTimeoutSec 20 | Select-Object AMProductVersion, AMRunningMode, AMServiceEnabled, AntivirusEnabled, AntivirusSignatureAge, AntivirusSignatureVersion, DefenderSignaturesOutOfDate, RealTimeProtectionEnabled); ConvertTo-Json -InputObject $p -Compress`;

/** Runs powershell.exe with the script passed as -EncodedCommand (UTF-16LE base64: no quoting issues). */
export const runPowerShell: PowerShellRunner = (script, o) =>
  runCommand(
    'powershell.exe',
    [
      '-NoLogo',
      '-NoProfile',
      '-NonInteractive',
      '-EncodedCommand',
      Buffer.from(script, 'utf16le').toString('base64'),
    ],
    o,
  );

type Query =
  | { kind: 'records'; records: Record<string, unknown>[] }
  | { kind: 'no_namespace' }
  | { kind: 'failed'; reason: string };

async function query(
  run: PowerShellRunner,
  script: string,
  what: string,
  cfg: AntivirusConfig,
  ctx: CollectContext,
): Promise<Query> {
  let res: CommandResult;
  try {
    res = await run(script, { signal: ctx.signal, timeoutMs: cfg.command_timeout });
  } catch (err) {
    if (ctx.signal.aborted) throw new Error(`antivirus ${what} query: run aborted`, { cause: err });
    ctx.log.debug({ err, query: what }, 'powershell query failed');
    return {
      kind: 'failed',
      reason: err instanceof CommandTimeoutError ? 'command_timeout' : 'powershell_unavailable',
    };
  }
  const all = `${res.stdout}\n${res.stderr}`;
  if (res.exitCode !== 0) {
    if (isInvalidNamespace(all)) return { kind: 'no_namespace' };
    ctx.log.debug(
      { query: what, exitCode: res.exitCode, stderr: res.stderr.slice(0, 2000) },
      'powershell query failed',
    );
    return { kind: 'failed', reason: `command_failed:exit_${res.exitCode ?? 'signal'}` };
  }
  const read = readRecords(res.stdout);
  if (!read.ok) {
    if (isInvalidNamespace(all)) return { kind: 'no_namespace' };
    ctx.log.debug({ query: what, stdout: res.stdout.slice(0, 2000) }, 'unreadable powershell output');
    return { kind: 'failed', reason: read.error };
  }
  return { kind: 'records', records: read.records };
}

/**
 * Windows: SecurityCenter2 on clients; on servers (no SecurityCenter2, WBEM_E_INVALID_NAMESPACE)
 * Defender's MSFT_MpComputerStatus; with neither, `unknown`/`no_securitycenter`, because a server may
 * run a third-party product that Windows has no channel to report.
 */
export async function detectWindows(
  cfg: AntivirusConfig,
  ctx: CollectContext,
  run: PowerShellRunner = runPowerShell,
): Promise<Finding[]> {
  const sc = await query(run, securityCenter2Script, 'securitycenter2', cfg, ctx);
  if (sc.kind === 'failed') return [detectionFailed('securitycenter2', sc.reason)];
  if (sc.kind === 'records') {
    const found = interpretSecurityCenter2(sc.records, cfg.stale_registration_age);
    return found.length > 0 ? found : [noProduct('securitycenter2')];
  }
  const mp = await query(run, defenderScript, 'defender', cfg, ctx);
  if (mp.kind === 'no_namespace') return [detectionFailed('defender', 'no_securitycenter')];
  if (mp.kind === 'failed') return [detectionFailed('defender', mp.reason)];
  return [interpretMpComputerStatus(mp.records, cfg.max_signature_age)];
}
