import { describe, expect, it } from 'vitest';
import { interpretMpComputerStatus } from './defender.js';
import { fixture, testdata } from './test-helpers.js';
import { readRecords, type WmiRecord } from './wmi-output.js';

const MAX_AGE = 3 * 86_400_000;

function records(text: string): WmiRecord[] {
  const r = readRecords(text);
  if (!r.ok) throw new Error(r.error);
  return r.records;
}

describe('interpretMpComputerStatus', () => {
  const server2022 = records(testdata('mpcomputerstatus-server2022-normal.json'))[0] as WmiRecord;

  it('reports Server 2022 Defender in Normal mode with 1-day signatures as protected (JSON)', () => {
    expect(interpretMpComputerStatus([server2022], MAX_AGE)).toEqual({
      product: 'Windows Defender',
      source: 'defender',
      state: 'protected',
      reason: 'ok',
      enabled: true,
      upToDate: true,
      signatureAgeDays: 1,
      productVersion: '4.18.24050.7',
      signatureVersion: '1.413.102.0',
      runningMode: 'Normal',
    });
  });

  it('reaches the same verdict from the Get-MpComputerStatus list capture it was derived from', () => {
    const fromList = interpretMpComputerStatus(
      records(fixture('av/mpcomputerstatus-server2022-normal-msdocs.txt')),
      MAX_AGE,
    );
    expect(fromList).toEqual(interpretMpComputerStatus([server2022], MAX_AGE));
  });

  it.each([
    ['Passive Mode', 'passive_mode'],
    ['SxS Passive Mode', 'passive_mode'],
    ['EDR Block Mode', 'edr_block_mode'],
    ['Not running', 'not_running'],
  ])('never reports AMRunningMode "%s" as protection (%s)', (AMRunningMode, reason) => {
    const f = interpretMpComputerStatus([{ ...server2022, AMRunningMode }], MAX_AGE);
    expect(f).toMatchObject({ state: 'unprotected', reason, enabled: false, runningMode: AMRunningMode });
  });

  it('reports an unrecognised AMRunningMode as unknown', () => {
    const f = interpretMpComputerStatus([{ ...server2022, AMRunningMode: 'Mode X' }], MAX_AGE);
    expect(f).toMatchObject({ state: 'unknown', reason: 'running_mode_unrecognised' });
  });

  it.each([
    [{ RealTimeProtectionEnabled: false }, 'disabled'],
    [{ AntivirusEnabled: false }, 'disabled'],
    [{ AMServiceEnabled: false }, 'not_running'],
    [{ AntivirusSignatureAge: 4 }, 'signatures_out_of_date'],
    [{ DefenderSignaturesOutOfDate: true }, 'signatures_out_of_date'],
  ])('reports %j as unprotected (%s)', (change, reason) => {
    expect(interpretMpComputerStatus([{ ...server2022, ...change }], MAX_AGE)).toMatchObject({
      state: 'unprotected',
      reason,
    });
  });

  it('uses max_signature_age: 4-day signatures are fine with a 7-day limit', () => {
    const f = interpretMpComputerStatus([{ ...server2022, AntivirusSignatureAge: 4 }], 7 * 86_400_000);
    expect(f).toMatchObject({ state: 'protected', signatureAgeDays: 4 });
  });

  it('omits signature_age_days and says unknown when the age is 65535 (never loaded)', () => {
    const f = interpretMpComputerStatus([{ ...server2022, AntivirusSignatureAge: 65535 }], MAX_AGE);
    expect(f).toMatchObject({ state: 'unknown', reason: 'signature_age_unknown', upToDate: false });
    expect(f.signatureAgeDays).toBeUndefined();
  });

  it('reports the old platform without AMRunningMode as unknown (passive cannot be ruled out)', () => {
    const f = interpretMpComputerStatus(records(testdata('mpcomputerstatus-server2016-old.json')), MAX_AGE);
    expect(f).toMatchObject({ state: 'unknown', reason: 'running_mode_unknown', signatureAgeDays: 0 });
    const fromList = interpretMpComputerStatus(
      records(fixture('av/mpcomputerstatus-server2016-old-msdocs.txt')),
      MAX_AGE,
    );
    expect(fromList).toEqual(f);
  });

  it('reports the truncated Kaspersky-machine capture as unknown, list or derived JSON', () => {
    const list = interpretMpComputerStatus(
      records(fixture('av/mpcomputerstatus-kaspersky-defender-notrunning-TRUNCATED-issue.txt')),
      MAX_AGE,
    );
    const json = interpretMpComputerStatus(
      records(testdata('mpcomputerstatus-kaspersky-notrunning-TRUNCATED.json')),
      MAX_AGE,
    );
    for (const f of [list, json]) {
      expect(f).toMatchObject({ state: 'unknown', reason: 'parse_error:missing_RealTimeProtectionEnabled' });
    }
  });

  it('reports the truncated wmic capture (AMRunningMode Normal, enabled) as unknown, not protected', () => {
    const f = interpretMpComputerStatus(
      records(fixture('av/mpcomputerstatus-wmic-list-server2022-azure-TRUNCATED-issue.txt')),
      MAX_AGE,
    );
    expect(f).toMatchObject({ state: 'unknown', reason: 'parse_error:missing_RealTimeProtectionEnabled' });
  });

  it.each([
    [{ AntivirusEnabled: 'yes' }, 'parse_error:bad_AntivirusEnabled'],
    [{ AntivirusSignatureAge: 'one' }, 'parse_error:bad_AntivirusSignatureAge'],
    [{ AntivirusSignatureAge: null }, 'parse_error:missing_AntivirusSignatureAge'],
  ])('refuses %j', (change, reason) => {
    expect(interpretMpComputerStatus([{ ...server2022, ...change }], MAX_AGE)).toMatchObject({
      state: 'unknown',
      reason,
    });
  });

  it('refuses zero or several instances', () => {
    expect(interpretMpComputerStatus([], MAX_AGE).reason).toBe('parse_error:no_records');
    expect(interpretMpComputerStatus([server2022, server2022], MAX_AGE).reason).toBe(
      'parse_error:several_records',
    );
  });
});
