import { promises as dns } from 'node:dns';

export interface DnsResult {
  name: string;
  resolved: boolean;
  duration_ms: number;
  /** Sorted, comma-separated. */
  addresses: string;
  /** Resolver error code (ENOTFOUND, ECONNREFUSED…) or "timeout"; "" when resolved. */
  error: string;
}

export interface DnsOptions {
  /** Empty: the system resolver (getaddrinfo: hosts file, then the OS's DNS servers). */
  servers: readonly string[];
  timeoutMs: number;
  signal: AbortSignal;
}

class Timeout extends Error {
  override name = 'Timeout';
}

/**
 * Resolves one name the way the machine's applications would (system resolver) or by asking the
 * given DNS servers directly (A and AAAA). Never throws: failure is a result.
 *
 * The system resolver cannot be cancelled (getaddrinfo runs on libuv's thread pool): past the
 * timeout the result is "timeout" and the lookup finishes in the background.
 */
export async function resolveName(name: string, o: DnsOptions): Promise<DnsResult> {
  const started = performance.now();
  const result = (resolved: boolean, addresses: string[], error: string): DnsResult => ({
    name,
    resolved,
    duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
    addresses: [...new Set(addresses)].sort().join(','),
    error,
  });
  let resolver: dns.Resolver | undefined;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Timeout()), o.timeoutMs);
    onAbort = () => reject(new Timeout());
    o.signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    let addresses: string[];
    if (o.servers.length === 0) {
      const found = await Promise.race([dns.lookup(name, { all: true }), deadline]);
      addresses = found.map((a) => a.address);
    } else {
      resolver = new dns.Resolver({ timeout: o.timeoutMs, tries: 1 });
      resolver.setServers([...o.servers]);
      const r = resolver;
      const settled = await Promise.race([
        Promise.allSettled([r.resolve4(name), r.resolve6(name)]),
        deadline,
      ]);
      addresses = settled.flatMap((s) => (s.status === 'fulfilled' ? s.value : []));
      if (addresses.length === 0) {
        const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
        const code = (failed?.reason as NodeJS.ErrnoException | undefined)?.code;
        return result(false, [], code === 'ETIMEOUT' ? 'timeout' : (code ?? 'ENODATA'));
      }
    }
    return addresses.length > 0 ? result(true, addresses, '') : result(false, [], 'ENODATA');
  } catch (err) {
    if (err instanceof Timeout) return result(false, [], 'timeout');
    return result(false, [], (err as NodeJS.ErrnoException).code ?? 'error');
  } finally {
    clearTimeout(timer);
    if (onAbort) o.signal.removeEventListener('abort', onAbort);
    resolver?.cancel();
  }
}
