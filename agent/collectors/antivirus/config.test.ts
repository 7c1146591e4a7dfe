import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../../../lib/config.js';
import { agentConfigSchema } from '../../config.js';
import { antivirusConfig } from './config.js';

const collectorsOnly = z.strictObject({ collectors: agentConfigSchema.shape.collectors });
const example = fileURLToPath(new URL('./example.yaml', import.meta.url));

function problems(text: string): string[] {
  try {
    loadConfig('agent.yaml', collectorsOnly, { text });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('antivirus config', () => {
  it('parses example.yaml through the agent schema, and its values are the defaults', () => {
    const cfg = loadConfig(example, collectorsOnly);
    const { type, interval, timeout, ...own } = cfg.collectors[0] as Record<string, unknown>;
    expect({ type, interval, timeout }).toEqual({ type: 'antivirus', interval: 900_000, timeout: 120_000 });
    expect(own).toEqual(antivirusConfig.parse({}));
    expect(own.max_signature_age).toBe(3 * 86_400_000);
  });

  it.each([
    [
      'max_signature_age: 3 days',
      'agent.yaml:3:24 collectors[0].max_signature_age: "3 days" is not a duration (examples: 500ms, 30s, 5m, 1h, 7d)',
    ],
    [
      'clamd_conf: etc/clamav/clamd.conf',
      'agent.yaml:3:17 collectors[0].clamd_conf: must be an absolute path',
    ],
    ['root_dir: host', 'agent.yaml:3:15 collectors[0].root_dir: must be an absolute path'],
    ['max_age: 3d', 'agent.yaml:3:5 collectors[0].max_age: unknown key'],
  ])('refuses `%s` naming line, column and path', (line, message) => {
    expect(problems(`collectors:\n  - type: antivirus\n    ${line}\n`)).toEqual([message]);
  });
});
