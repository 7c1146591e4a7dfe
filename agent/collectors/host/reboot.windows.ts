import { execFile } from 'node:child_process';

/**
 * Registry keys whose mere presence means Windows waits for a reboot (Component Based Servicing and
 * Windows Update). `reg query` exits 0 when a key exists and 1 when it does not, so nothing is parsed
 * and the console language does not matter.
 */
export const pendingRebootKeys = [
  'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\RebootPending',
  'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\Auto Update\\RebootRequired',
] as const;

/** Exit code of `reg query <key>`; the seam at the process boundary. */
export type RegQuery = (key: string, signal: AbortSignal) => Promise<number>;

export const regQuery: RegQuery = (key, signal) =>
  new Promise((resolve) => {
    execFile('reg', ['query', key], { signal, timeout: 10_000, windowsHide: true }, (err) => {
      resolve(err ? (typeof err.code === 'number' ? err.code : -1) : 0);
    });
  });

/** True when a pending-reboot key exists; undefined when `reg` could not answer (not 0 or 1). */
export async function rebootRequired(
  signal: AbortSignal,
  query: RegQuery = regQuery,
): Promise<boolean | undefined> {
  let unknown = false;
  for (const key of pendingRebootKeys) {
    const code = await query(key, signal);
    if (code === 0) return true;
    if (code !== 1) unknown = true;
  }
  return unknown ? undefined : false;
}
