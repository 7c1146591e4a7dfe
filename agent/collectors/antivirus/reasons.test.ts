import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { antivirusReasons } from '../../../protocol/index.js';

/**
 * The reason codes the catalogue declares (dashboards map each to text in both languages) are the
 * ones this collector's README documents: a new code added to one and not the other fails here.
 */
describe('antivirus reason codes', () => {
  it('the catalogue lists exactly the codes of the README table (`code:<detail>` as the prefix `code:`)', () => {
    const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
    const documented = [
      ...readme.matchAll(/^\| `([a-z_]+)(:<[a-z_]+>|:exit_<n>)?` +\| (protected|unprotected|unknown) /gm),
    ].map(([, code, detail]) => (detail ? `${code}:` : code));
    expect(documented.length).toBeGreaterThan(20);
    expect([...documented].sort()).toEqual([...antivirusReasons].sort());
  });
});
