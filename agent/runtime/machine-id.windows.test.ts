import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMachineGuid } from './machine-id.windows.js';

describe('parseMachineGuid', () => {
  it('reads the GUID from reg query output (captured under Wine 8)', () => {
    const text = readFileSync(new URL('./testdata/reg-query-machineguid-wine8.txt', import.meta.url), 'utf8');
    expect(parseMachineGuid(text)).toBe('14d3d463-6e73-46d4-b528-0f306556daec');
  });

  it('finds nothing in an error message or another value', () => {
    expect(
      parseMachineGuid('ERROR: The system was unable to find the specified registry key or value.'),
    ).toBe(undefined);
    expect(parseMachineGuid('    MachineGuid    REG_DWORD    0x1\r\n')).toBe(undefined);
  });
});
