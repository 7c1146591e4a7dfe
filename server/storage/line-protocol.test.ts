import { describe, expect, it } from 'vitest';
import { toLineProtocol } from './line-protocol.js';

describe('toLineProtocol', () => {
  it('writes integers with i, floats plain, booleans and quoted strings, tags sorted', () => {
    expect(
      toLineProtocol([
        {
          measurement: 'collector_run',
          tags: { hostname: 'pc-1', collector: 'host' },
          fields: { points: 3, duration_ms: 12, success: true, error: 'ok' },
          time: 1_700_000_000_000,
        },
      ]),
    ).toBe(
      'collector_run,collector=host,hostname=pc-1 points=3i,duration_ms=12,success=true,error="ok" 1700000000000',
    );
  });

  it('writes a big integer sent as digits (a counter past 2^53) as an exact integer, not a string', () => {
    expect(
      toLineProtocol([
        {
          measurement: 'snmp_interface',
          tags: { device: 'qfx', if_index: '501', if_name: 'et-0/0/0' },
          fields: { in_octets: '9007199254740993', out_octets: 12 },
          time: 1,
        },
      ]),
    ).toBe(
      'snmp_interface,device=qfx,if_index=501,if_name=et-0/0/0 in_octets=9007199254740993i,out_octets=12i 1',
    );
  });

  it('escapes what line protocol needs escaped, and only that', () => {
    expect(
      toLineProtocol([
        {
          measurement: 'collector_run',
          tags: { hostname: 'a,site_id=b c' },
          fields: { error: 'say "hi" \\ bye\nnext' },
          time: 1,
        },
      ]),
    ).toBe('collector_run,hostname=a\\,site_id\\=b\\ c error="say \\"hi\\" \\\\ bye\nnext" 1');
  });

  it("leaves a backslash before a quote alone in tags and doubles it in string fields (x\\'y stays x\\'y)", () => {
    expect(
      toLineProtocol([
        { measurement: 'collector_run', tags: { hostname: "x\\'y" }, fields: { error: "x\\'y" }, time: 1 },
      ]),
    ).toBe('collector_run,hostname=x\\\'y error="x\\\\\'y" 1');
  });
});
