import { linuxGateway } from './gateway.linux.js';
import { windowsGateway } from './gateway.windows.js';

/** Finds the default gateway; a missing one is data (`error`), not an exception. */
export type GatewayLookup = (
  routeFile: string,
  signal: AbortSignal,
) => Promise<{ address: string } | { error: string }>;

/** The one place the platform's gateway lookup is chosen. */
export const findGateway: GatewayLookup = process.platform === 'win32' ? windowsGateway : linuxGateway;
