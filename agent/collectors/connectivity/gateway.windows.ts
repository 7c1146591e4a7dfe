import type { GatewayLookup } from './gateway.js';

/**
 * Not implemented: detecting the gateway on Windows means parsing `route print` or PowerShell's
 * Get-NetRoute output, and no genuine capture of either is available to test a parser against.
 * Until one is, Windows agents set `gateway: <address>` in their config.
 */
export const windowsGateway: GatewayLookup = async () => ({
  error: 'gateway auto-detection is not available on Windows: set gateway to the address in the config',
});
