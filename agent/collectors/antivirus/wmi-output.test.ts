import { describe, expect, it } from 'vitest';
import { fixture } from './test-helpers.js';
import { isInvalidNamespace, readRecords } from './wmi-output.js';

describe('readRecords', () => {
  it('reads the single-object WMI JSON capture as one record', () => {
    const r = readRecords(fixture('av/securitycenter2-defender-wmi-json.txt'));
    expect(r.ok && r.format).toBe('json');
    expect(r.ok && r.records[0]?.productState).toBe(397568);
  });

  it('reads Get-MpComputerStatus list output, keeping empty values as null', () => {
    const r = readRecords(fixture('av/mpcomputerstatus-server2022-normal-msdocs.txt'));
    if (!r.ok) throw new Error(r.error);
    expect(r.records).toHaveLength(1);
    expect(r.records[0]).toMatchObject({
      AMRunningMode: 'Normal',
      AntivirusSignatureAge: '1',
      ComputerID: null,
    });
    expect(r.records[0]?.DeviceControlPoliciesLastUpdated).toBe('12/31/1600 4:00:00 PM');
  });

  it('reads wmic /format:list with blank lines between entries as one record', () => {
    const r = readRecords(fixture('av/mpcomputerstatus-wmic-list-server2022-azure-TRUNCATED-issue.txt'));
    if (!r.ok) throw new Error(r.error);
    expect(r.records).toHaveLength(1);
    expect(r.records[0]).toMatchObject({
      AMRunningMode: 'Normal',
      AntivirusEnabled: 'TRUE',
      IsVirtualMachine: 'TRUE',
    });
  });

  it('ignores the prompt lines of a pasted session and reads the record after them', () => {
    const r = readRecords(fixture('av/securitycenter2-fsecure-wmic-list-TRUNCATED-issue.txt'));
    if (!r.ok) throw new Error(r.error);
    expect(r.records).toEqual([
      {
        displayName: 'F-Secure Client Security 12.00',
        instanceGuid: '{0F70A6C4-76E4-6A3B-2695-519F428B1C20}',
        pathToSignedProductExe: 'C:\\Program Files (x86)\\F-Secure\\Anti-Virus\\fsavwsch.exe',
      },
    ]);
  });

  it('splits several Format-List objects into several records', () => {
    const one = fixture('av/securitycenter2-defender-win8-comment-sample.txt');
    const r = readRecords(`${one}\n\n${one}`);
    expect(r.ok && r.records).toHaveLength(2);
  });

  it('reads wmic "no instances" (French) as zero records', () => {
    expect(readRecords('Aucune instance disponible.\r\n')).toEqual({ ok: true, records: [], format: 'list' });
  });

  it.each([
    ['empty output', '', 'parse_error:empty_output'],
    ['whitespace and a BOM', '\uFEFF  \r\n', 'parse_error:empty_output'],
    ['JSON cut in the middle', '[{"displayName":"Windows Defender","productSta', 'parse_error:not_json'],
    ['a JSON scalar list', '[1,2]', 'parse_error:unexpected_shape'],
    ['binary garbage', '\u0000\u0001\u00ff\u00fe garbage', 'parse_error:no_records'],
    ['a PowerShell error', 'Get-CimInstance : Access denied\r\n', 'parse_error:no_records'],
  ])('refuses %s with a reason', (_what, text, error) => {
    expect(readRecords(text)).toEqual({ ok: false, error });
  });
});

describe('isInvalidNamespace', () => {
  it('recognises the French wmic error capture', () => {
    expect(isInvalidNamespace(fixture('av/wmic-namespace-invalid-server-fr-issue.txt'))).toBe(true);
  });

  it('recognises the HRESULT PowerShell prints in any language', () => {
    const err =
      'Get-CimInstance : Ungültiger Namespace\r\n    + FullyQualifiedErrorId : HRESULT 0x8004100e,Microsoft.Management.Infrastructure.CimCmdlets.GetCimInstanceCommand';
    expect(isInvalidNamespace(err)).toBe(true);
  });

  it('does not take another WMI error for a missing namespace', () => {
    expect(isInvalidNamespace('Get-CimInstance : Access denied\r\n HRESULT 0x80041003')).toBe(false);
  });
});
