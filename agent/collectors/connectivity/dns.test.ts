import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveName } from './dns.js';
import { type DnsFixture, startDnsFixture } from './dns-fixture.js';

let server: DnsFixture;
const never = new AbortController().signal;

beforeAll(async () => {
  server = await startDnsFixture({ 'portal.test': ['127.0.0.42', '127.0.0.41'] }, ['slow.test']);
});
afterAll(() => server?.close());

describe('resolveName with configured DNS servers', () => {
  it('reports a name that resolves, with its addresses sorted', async () => {
    const r = await resolveName('portal.test', { servers: [server.server], timeoutMs: 2_000, signal: never });
    expect(r).toMatchObject({
      name: 'portal.test',
      resolved: true,
      addresses: '127.0.0.41,127.0.0.42',
      error: '',
    });
    expect(r.duration_ms).toBeGreaterThan(0);
    expect(server.queries).toContain('portal.test/1');
  });

  it('reports a name the server does not know as unresolved with ENOTFOUND', async () => {
    const r = await resolveName('missing.test', {
      servers: [server.server],
      timeoutMs: 2_000,
      signal: never,
    });
    expect(r).toMatchObject({ resolved: false, addresses: '', error: 'ENOTFOUND' });
  });

  it('reports a server that never answers as a timeout after about the timeout', async () => {
    const r = await resolveName('slow.test', { servers: [server.server], timeoutMs: 300, signal: never });
    expect(r).toMatchObject({ resolved: false, error: 'timeout' });
    expect(r.duration_ms).toBeGreaterThanOrEqual(250);
    expect(r.duration_ms).toBeLessThan(2_000);
  });

  it('stops waiting as soon as the run is aborted', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const r = await resolveName('slow.test', {
      servers: [server.server],
      timeoutMs: 5_000,
      signal: ac.signal,
    });
    expect(r).toMatchObject({ resolved: false, error: 'timeout' });
    expect(r.duration_ms).toBeLessThan(1_000);
  });
});

describe('resolveName with the system resolver', () => {
  // Only names of the hosts file: any other would send a query off this machine.
  it('resolves localhost from the hosts file', async () => {
    const r = await resolveName('localhost', { servers: [], timeoutMs: 2_000, signal: never });
    expect(r.resolved).toBe(true);
    expect(r.addresses.split(',')).toContain('127.0.0.1');
  });
});
