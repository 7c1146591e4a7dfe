import { execFile } from 'node:child_process';

/**
 * The MachineGuid value in `reg query HKLM\SOFTWARE\Microsoft\Cryptography /v MachineGuid` output
 * (locale-independent: key path, value name, type and data), or undefined.
 *
 * @example
 * parseMachineGuid('    MachineGuid    REG_SZ    14d3d463-6e73-46d4-b528-0f306556daec\r\n'); // → '14d3d463-…'
 */
export function parseMachineGuid(text: string): string | undefined {
  return /^\s*MachineGuid\s+REG_SZ\s+([0-9A-Fa-f-]{36})\s*$/m.exec(text)?.[1]?.toLowerCase();
}

/**
 * Windows' own stable machine identity, set at installation: read with reg.exe, present on every
 * Windows and under Wine. (systeminformation's uuid() asks WMI through PowerShell, which can hang
 * where PowerShell is missing or slow, before the agent has even enrolled.)
 */
export function windowsMachineGuid(): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      'reg',
      ['query', 'HKLM\\SOFTWARE\\Microsoft\\Cryptography', '/v', 'MachineGuid'],
      { timeout: 10_000, windowsHide: true },
      (err, stdout) => resolve(err ? undefined : parseMachineGuid(stdout)),
    );
  });
}
