import { describe, expect, it } from 'vitest';
import { decodeProductState, interpretSecurityCenter2 } from './securitycenter2.js';
import { fixture, testdata } from './test-helpers.js';
import { readRecords, type WmiRecord } from './wmi-output.js';

const DAY = 86_400_000;
const STALE = 30 * DAY;

function records(text: string): WmiRecord[] {
  const r = readRecords(text);
  if (!r.ok) throw new Error(r.error);
  return r.records;
}

describe('decodeProductState', () => {
  // Expectations read off the documented layout: hex nibbles 0xT S V G 0 where S (bits 12-15) is the
  // switch (0 off, 1 on, 2 snoozed, 3 expired), V (bits 8-11) 1 = Microsoft, G (bits 4-7) 0 = up to date.
  it.each([
    [397568, '0x061100', 'on', 'microsoft', 'up_to_date'],
    [397584, '0x061110', 'on', 'microsoft', 'out_of_date'],
    [262144, '0x040000', 'off', 'third_party', 'up_to_date'],
    [266240, '0x041000', 'on', 'third_party', 'up_to_date'],
    [266256, '0x041010', 'on', 'third_party', 'out_of_date'],
    [393472, '0x060100', 'off', 'microsoft', 'up_to_date'],
    [401664, '0x062100', 'snoozed', 'microsoft', 'up_to_date'],
    [405760, '0x063100', 'expired', 'microsoft', 'up_to_date'],
    [409856, '0x064100', 'unknown', 'microsoft', 'up_to_date'],
    [397600, '0x061120', 'on', 'microsoft', 'unknown'],
  ])('%i (%s) is %s, %s, signatures %s', (state, hex, sw, vendor, signatures) => {
    expect(state.toString(16).padStart(6, '0')).toBe(hex.slice(2));
    expect(decodeProductState(state)).toEqual({ switch: sw, vendor, signatures });
  });
});

describe('interpretSecurityCenter2', () => {
  const defender = records(testdata('securitycenter2-defender.json'))[0] as WmiRecord;

  it('reports Defender on and up to date (397568) as protected', () => {
    expect(interpretSecurityCenter2([defender], STALE)).toEqual([
      {
        product: 'Windows Defender',
        source: 'securitycenter2',
        state: 'protected',
        reason: 'ok',
        enabled: true,
        upToDate: true,
        productState: 397568,
        vendor: 'microsoft',
        registrations: 1,
      },
    ]);
  });

  it('reads the raw WMI JSON capture (with __ system properties) the same way', () => {
    const [f] = interpretSecurityCenter2(records(fixture('av/securitycenter2-defender-wmi-json.txt')), STALE);
    expect(f).toMatchObject({ product: 'Windows Defender', state: 'protected', reason: 'ok' });
  });

  it.each([
    [397584, 'unprotected', 'signatures_out_of_date'],
    [393472, 'unprotected', 'disabled'],
    [401664, 'unprotected', 'snoozed'],
    [405760, 'unprotected', 'expired'],
    [409856, 'unknown', 'product_state_unknown'],
    [397600, 'unknown', 'product_state_unknown'],
  ])('reports productState %i as %s (%s)', (productState, state, reason) => {
    const [f] = interpretSecurityCenter2([{ ...defender, productState }], STALE);
    expect(f).toMatchObject({ state, reason, productState });
  });

  it('accepts productState as text (list output)', () => {
    const [f] = interpretSecurityCenter2([{ ...defender, productState: '397568' }], STALE);
    expect(f?.state).toBe('protected');
  });

  it('reports the truncated F-Secure capture (no productState) as unknown', () => {
    const [f] = interpretSecurityCenter2(
      records(fixture('av/securitycenter2-fsecure-wmic-list-TRUNCATED-issue.txt')),
      STALE,
    );
    expect(f).toMatchObject({
      product: 'F-Secure Client Security 12.00',
      state: 'unknown',
      reason: 'parse_error:missing_productState',
    });
  });

  it('reports the edited Win8 sample, whose displayName key lost its first letter, as unknown', () => {
    const found = interpretSecurityCenter2(
      records(fixture('av/securitycenter2-defender-win8-comment-sample.txt')),
      STALE,
    );
    expect(found).toEqual([
      expect.objectContaining({ state: 'unknown', reason: 'parse_error:missing_displayName' }),
    ]);
  });

  it.each([['-1'], ['abc'], [4294967296], [true]])('refuses productState %j', (productState) => {
    const [f] = interpretSecurityCenter2([{ ...defender, productState }], STALE);
    expect(f).toMatchObject({ state: 'unknown', reason: 'parse_error:bad_productState' });
  });

  it('reports a third-party product and disabled Defender as two findings', () => {
    const kaspersky = {
      ...defender,
      displayName: 'Kaspersky Endpoint Security for Windows',
      productState: 266240,
    };
    const found = interpretSecurityCenter2([{ ...defender, productState: 393472 }, kaspersky], STALE);
    expect(found.map((f) => [f.product, f.state, f.reason, f.vendor])).toEqual([
      ['Windows Defender', 'unprotected', 'disabled', 'microsoft'],
      ['Kaspersky Endpoint Security for Windows', 'protected', 'ok', 'third_party'],
    ]);
  });

  it('keeps the newest of two entries with the same displayName', () => {
    const old = { ...defender, productState: 397584, timestamp: 'Mon, 29 Jul 2024 10:00:00 GMT' };
    const found = interpretSecurityCenter2([defender, old], STALE);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ state: 'protected', registrations: 2 });
    // Order does not matter.
    expect(interpretSecurityCenter2([old, defender], STALE)[0]).toMatchObject({ state: 'protected' });
  });

  it('keeps the least protected duplicate when timestamps cannot tell them apart', () => {
    const a = { ...defender, timestamp: null };
    const b = { ...defender, productState: 393472, timestamp: 'not a date' };
    for (const list of [
      [a, b],
      [b, a],
    ]) {
      expect(interpretSecurityCenter2(list, STALE)[0]).toMatchObject({
        state: 'unprotected',
        reason: 'disabled',
      });
    }
  });

  it('never reports a stale registration (far older than the newest) as protected', () => {
    const oldAv = {
      ...defender,
      displayName: 'BKAV Pro',
      productState: 266240,
      timestamp: 'Fri, 25 Oct 2013 14:31:11 GMT',
    };
    const found = interpretSecurityCenter2([{ ...defender, productState: 393472 }, oldAv], STALE);
    expect(found.find((f) => f.product === 'BKAV Pro')).toMatchObject({
      state: 'unknown',
      reason: 'stale_registration',
    });
  });

  it('does not call an entry stale when it is within stale_registration_age of the newest', () => {
    const other = {
      ...defender,
      displayName: 'BKAV Pro',
      productState: 266240,
      timestamp: 'Mon, 15 Jul 2024 15:06:30 GMT',
    };
    const found = interpretSecurityCenter2([defender, other], STALE);
    expect(found.find((f) => f.product === 'BKAV Pro')).toMatchObject({ state: 'protected' });
  });

  it('returns no finding for zero instances', () => {
    expect(interpretSecurityCenter2([], STALE)).toEqual([]);
  });
});
