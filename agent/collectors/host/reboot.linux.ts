import { access } from 'node:fs/promises';

/**
 * Debian and Ubuntu's package tools create this file when an update needs a reboot
 * (update-notifier-common, unattended-upgrades); it is absent otherwise. Other distributions have no
 * file to read: they report nothing rather than "no reboot needed".
 */
export const rebootMarkers = ['/var/run/reboot-required', '/run/reboot-required'];

export async function rebootRequired(
  distroHasMarker: boolean,
  markers: readonly string[] = rebootMarkers,
): Promise<boolean | undefined> {
  for (const file of markers) {
    try {
      await access(file);
      return true;
    } catch {}
  }
  return distroHasMarker ? false : undefined;
}
