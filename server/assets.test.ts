import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../lib/config.js';
import { assetRegisterFile } from './assets.js';

const dir = mkdtempSync(join(tmpdir(), 'hatang-assets-source-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'assets.yaml');

/** Written beside and renamed, as `hatang assets import --out` does. */
function write(text: string) {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

const one = 'assets:\n  - { site: so-tttt, agency: Sở A, hostname: pc-01 }\n';
const two = `${one}  - { site: so-tttt, agency: Sở A, hostname: pc-02, asset_tag: T2 }\n`;

describe('assetRegisterFile', () => {
  it('refuses to start with a broken register, naming the line', () => {
    write('assets:\n  - { site: so-khac, agency: Sở A, hostname: pc-01 }\n');
    let caught: unknown;
    try {
      assetRegisterFile(file, { log: pino({ level: 'silent' }), sites: ['so-tttt'] });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems).toEqual([
      `${file}:2:13 assets[0].site: "so-khac" is not a site of the server (auth.sites: so-tttt)`,
    ]);
  });

  it('serves an edit without a restart, keeps the last good register after a bad edit, with its digest', () => {
    write(one);
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const source = assetRegisterFile(file, { log, sites: ['so-tttt'], checkEveryMs: 0 });
    expect(source.current().assets.map((a) => a.hostname)).toEqual(['pc-01']);
    write(two);
    const state = source.current();
    expect(state.assets.map((a) => a.hostname)).toEqual(['pc-01', 'pc-02']);
    expect(state.source).toEqual({
      file,
      sha256: createHash('sha256').update(readFileSync(file)).digest('hex'),
    });
    write(`${two}  - { site: so-tttt, agency: Sở A, hostname: PC-01 }\n`);
    expect(source.current().assets).toHaveLength(2);
    expect(lines.join('')).toContain(
      'asset register: 1 problem in the edited file, keeping the last good one',
    );
  });
});
