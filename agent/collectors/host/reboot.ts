import { access } from 'node:fs/promises';
import * as linux from './reboot.linux.js';
import * as windows from './reboot.windows.js';

/**
 * Whether the OS says a reboot is pending; undefined where it cannot say. The one place the platform
 * is chosen.
 */
export async function pendingReboot(signal: AbortSignal): Promise<boolean | undefined> {
  if (process.platform === 'win32') return windows.rebootRequired(signal);
  if (process.platform === 'linux') {
    // Only Debian-family systems maintain the marker file; elsewhere its absence proves nothing.
    const debianFamily = await access('/etc/debian_version').then(
      () => true,
      () => false,
    );
    return linux.rebootRequired(debianFamily);
  }
  return undefined;
}
