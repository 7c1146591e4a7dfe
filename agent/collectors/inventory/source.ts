import type { Systeminformation } from 'systeminformation';
import { si } from '../../runtime/sysinfo.js';

/**
 * What one inventory pass reads from the OS, as systeminformation returns it. This is the seam of the
 * collector: tests swap in a captured `RawInventory` (testdata/) instead of reading this machine.
 */
export interface RawInventory {
  system: Systeminformation.SystemData;
  bios: Systeminformation.BiosData;
  baseboard: Systeminformation.BaseboardData;
  cpu: Systeminformation.CpuData;
  /** Only `total` is used: MemTotal, what os.totalmem() reports. */
  mem: Pick<Systeminformation.MemData, 'total'>;
  memLayout: Systeminformation.MemLayoutData[];
  diskLayout: Systeminformation.DiskLayoutData[];
  osInfo: Systeminformation.OsData;
  networkInterfaces: Systeminformation.NetworkInterfacesData[];
}

/** Reads a RawInventory; `signal` aborts the wait (the child process systeminformation started runs out). */
export type InventorySource = (opts: { signal: AbortSignal; callTimeoutMs: number }) => Promise<RawInventory>;

/**
 * Waits for one systeminformation call, bounded by the run's signal and its own timeout. The library
 * takes no AbortSignal, so what is bounded is our wait, not the process it spawned.
 */
async function bounded<T>(
  what: string,
  call: () => Promise<T>,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<T> {
  signal.throwIfAborted();
  const stop = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(stop.reason);
    stop.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([call(), aborted]);
  } catch (cause) {
    const why =
      (cause as Error)?.name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : String((cause as Error)?.message ?? cause);
    throw new Error(`inventory ${what}: ${why}`, { cause });
  } finally {
    stop.removeEventListener('abort', onAbort);
  }
}

/**
 * The real source: systeminformation, one call after the other. Each call spawns processes (dmidecode,
 * lsblk, smartctl, ip, or powershell.exe on Windows); running them in sequence keeps the pass from
 * starting a dozen processes at once on an office PC. getStaticData() and versions() are never called:
 * they cost seconds and tens of processes.
 */
export const systemInformationSource: InventorySource = async ({ signal, callTimeoutMs }) => {
  const call = <T>(what: string, fn: () => Promise<T>) => bounded(what, fn, signal, callTimeoutMs);
  const system = await call('system', () => si.system());
  const bios = await call('bios', () => si.bios());
  const baseboard = await call('baseboard', () => si.baseboard());
  const cpu = await call('cpu', () => si.cpu());
  const mem = await call('mem', () => si.mem());
  const memLayout = await call('memLayout', () => si.memLayout());
  const diskLayout = await call('diskLayout', () => si.diskLayout());
  const osInfo = await call('osInfo', () => si.osInfo());
  const nics = await call('networkInterfaces', () => si.networkInterfaces());
  return {
    system,
    bios,
    baseboard,
    cpu,
    mem: { total: mem.total },
    memLayout,
    diskLayout,
    osInfo,
    networkInterfaces: Array.isArray(nics) ? nics : [nics],
  };
};
