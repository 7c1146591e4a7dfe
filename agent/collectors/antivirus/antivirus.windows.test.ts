import { describe, expect, it } from 'vitest';
import { checkAgainstCatalogue } from '../../../protocol/index.js';
import {
  defenderScript,
  detectWindows,
  type PowerShellRunner,
  securityCenter2Script,
} from './antivirus.windows.js';
import { toPoints } from './finding.js';
import { type CommandResult, CommandTimeoutError } from './run-command.js';
import { config, context, fixture, testdata } from './test-helpers.js';

const ok = (stdout: string): CommandResult => ({ stdout, stderr: '', exitCode: 0 });
const failed = (stderr: string): CommandResult => ({ stdout: '', stderr, exitCode: 1 });
const namespaceInvalidFr = failed(fixture('av/wmic-namespace-invalid-server-fr-issue.txt'));

/** The seam: answers each of the two scripts with a captured output, and records what was asked. */
function runner(answers: { sc?: CommandResult | Error; mp?: CommandResult | Error }) {
  const asked: string[] = [];
  const run: PowerShellRunner = async (script) => {
    const which = script === securityCenter2Script ? 'sc' : script === defenderScript ? 'mp' : 'other';
    asked.push(which);
    const a = which === 'sc' ? answers.sc : which === 'mp' ? answers.mp : undefined;
    if (a === undefined) throw new Error(`unexpected script ${which}`);
    if (a instanceof Error) throw a;
    return a;
  };
  return { run, asked };
}

function points(findings: Parameters<typeof toPoints>[0]) {
  const pts = toPoints(findings, 'pc-kt-07').map((p) => ({ ...p, time: Date.UTC(2026, 0, 1) }));
  expect(checkAgainstCatalogue(pts)).toEqual([]);
  return pts;
}

describe('detectWindows', () => {
  it('reports a client with Defender on (SecurityCenter2 JSON) as protected, asking only SecurityCenter2', async () => {
    const { run, asked } = runner({ sc: ok(testdata('securitycenter2-defender.json')) });
    const found = await detectWindows(config(), context(), run);
    expect(asked).toEqual(['sc']);
    expect(points(found)).toEqual([
      {
        measurement: 'antivirus',
        tags: { hostname: 'pc-kt-07', product: 'Windows Defender' },
        fields: {
          state: 'protected',
          reason: 'ok',
          host_state: 'protected',
          source: 'securitycenter2',
          enabled: true,
          up_to_date: true,
          product_state: 397568,
          vendor: 'microsoft',
          registrations: 1,
        },
        time: Date.UTC(2026, 0, 1),
      },
    ]);
  });

  it('reports a client with no product registered as product "none", unprotected, no_product', async () => {
    const { run } = runner({ sc: ok('[]') });
    const [p] = points(await detectWindows(config(), context(), run));
    expect(p?.tags.product).toBe('none');
    expect(p?.fields).toMatchObject({
      state: 'unprotected',
      reason: 'no_product',
      host_state: 'unprotected',
    });
  });

  it('falls back to Defender on a server without SecurityCenter2 (French "Espace de noms non valide")', async () => {
    const { run, asked } = runner({
      sc: namespaceInvalidFr,
      mp: ok(testdata('mpcomputerstatus-server2022-normal.json')),
    });
    const [p] = points(await detectWindows(config(), context(), run));
    expect(asked).toEqual(['sc', 'mp']);
    expect(p?.tags.product).toBe('Windows Defender');
    expect(p?.fields).toMatchObject({
      state: 'protected',
      source: 'defender',
      signature_age_days: 1,
      running_mode: 'Normal',
    });
  });

  it('reports unknown/no_securitycenter when neither SecurityCenter2 nor Defender exists (Server 2012 R2 capture)', async () => {
    const { run } = runner({ sc: namespaceInvalidFr, mp: namespaceInvalidFr });
    const [p] = points(await detectWindows(config(), context(), run));
    expect(p?.tags.product).toBe('unknown');
    expect(p?.fields).toMatchObject({ state: 'unknown', reason: 'no_securitycenter', host_state: 'unknown' });
  });

  it('reports the truncated Defender capture on a server as unknown', async () => {
    const { run } = runner({
      sc: namespaceInvalidFr,
      mp: ok(testdata('mpcomputerstatus-kaspersky-notrunning-TRUNCATED.json')),
    });
    const [p] = points(await detectWindows(config(), context(), run));
    expect(p?.fields).toMatchObject({
      state: 'unknown',
      reason: 'parse_error:missing_RealTimeProtectionEnabled',
    });
  });

  it.each([
    ['garbage', ok('\u0000\u0001 not json'), 'parse_error:no_records'],
    ['empty output', ok(''), 'parse_error:empty_output'],
    ['JSON cut short', ok(testdata('securitycenter2-defender.json').slice(0, 60)), 'parse_error:not_json'],
    [
      'access denied',
      failed('Get-CimInstance : Access denied\r\nHRESULT 0x80041003'),
      'command_failed:exit_1',
    ],
    ['killed by a signal', { stdout: '', stderr: '', exitCode: null }, 'command_failed:exit_signal'],
    ['a timeout', new CommandTimeoutError('powershell.exe', 30_000), 'command_timeout'],
    ['powershell missing', new Error('powershell.exe: cannot start'), 'powershell_unavailable'],
  ])('reports %s from SecurityCenter2 as unknown with reason %s', async (_what, answer, reason) => {
    const { run } = runner({ sc: answer });
    const [p] = points(await detectWindows(config(), context(), run));
    expect(p?.tags.product).toBe('unknown');
    expect(p?.fields).toMatchObject({ state: 'unknown', reason });
  });

  it('throws, naming the query, when the run itself is aborted', async () => {
    const ac = new AbortController();
    const run: PowerShellRunner = async () => {
      ac.abort(new Error('timed out after 120000 ms'));
      throw ac.signal.reason;
    };
    await expect(detectWindows(config(), context({ signal: ac.signal }), run)).rejects.toThrow(
      'antivirus securitycenter2 query: run aborted',
    );
  });

  it('marks host_state protected when one of several products protects', async () => {
    const defender = JSON.parse(testdata('securitycenter2-defender.json'))[0];
    const sc = [
      { ...defender, productState: 393472 },
      { ...defender, displayName: 'Kaspersky Standard', productState: 266240 },
    ];
    const { run } = runner({ sc: ok(JSON.stringify(sc)) });
    const pts = points(await detectWindows(config(), context(), run));
    expect(pts.map((p) => [p.tags.product, p.fields.state, p.fields.host_state])).toEqual([
      ['Windows Defender', 'unprotected', 'protected'],
      ['Kaspersky Standard', 'protected', 'protected'],
    ]);
  });

  it('keeps a product name with control characters and a trailing backslash a valid tag', async () => {
    const defender = JSON.parse(testdata('securitycenter2-defender.json'))[0];
    const { run } = runner({ sc: ok(JSON.stringify([{ ...defender, displayName: 'BKAV\nPro \\' }])) });
    const [p] = points(await detectWindows(config(), context(), run));
    expect(p?.tags.product).toBe('BKAV Pro');
  });
});
