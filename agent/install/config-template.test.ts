import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadAgentConfig } from '../config.js';
import { renderAgentConfig, serverUrl } from './config-template.js';

const dir = mkdtempSync(join(tmpdir(), 'ht-install-template-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const exampleFile = new URL('../../config/agent.example.yaml', import.meta.url);

describe('renderAgentConfig', () => {
  it('writes an agent.yaml the agent accepts, with the given URLs, state dir and the token from the environment', () => {
    const file = join(dir, 'agent.yaml');
    writeFileSync(
      file,
      renderAgentConfig({
        serverUrls: ['https://hatang1.tinh.gov.vn:8443/', 'http://10.0.0.5:8080'],
        stateDir: '/var/lib/hatang-agent',
      }),
    );
    const cfg = loadAgentConfig(file, {
      env: { HATANG_ENROLLMENT_TOKEN: 'enroll-so-tttt-0123456789abcdef' },
    });
    expect(cfg.server.urls).toEqual(['https://hatang1.tinh.gov.vn:8443', 'http://10.0.0.5:8080']);
    expect(cfg.agent.state_dir).toBe('/var/lib/hatang-agent');
    expect(cfg.server.enrollment_token).toBe('enroll-so-tttt-0123456789abcdef');
    expect(cfg.collectors.map((c) => c.type)).toEqual(['host', 'inventory', 'antivirus', 'connectivity']);
    // Once enrolled the token may be gone from the environment.
    expect(loadAgentConfig(file, { env: {} }).server.enrollment_token).toBeUndefined();
  });

  it('on Windows reads the token from a file and logs to a file (paths with spaces and Vietnamese)', () => {
    const home = 'C:\\Users\\Nguyễn Văn An\\hatang';
    const file = join(dir, 'windows.yaml');
    writeFileSync(join(dir, 'token.txt'), 'enroll-so-tttt-0123456789abcdef\r\n');
    const text = renderAgentConfig({
      serverUrls: ['https://hatang1.tinh.gov.vn:8443'],
      stateDir: '/var/lib/hatang-agent',
      tokenFile: join(dir, 'token.txt'),
      logFile: `${home}\\logs\\agent.log`,
    });
    writeFileSync(file, text);
    const cfg = loadAgentConfig(file, { env: {} });
    expect(cfg.server.enrollment_token).toBe('enroll-so-tttt-0123456789abcdef');
    expect(cfg.log).toEqual({
      file: `${home}\\logs\\agent.log`,
      stderr: 'off',
      event_log: 'off',
      max_bytes: 10 * 1024 ** 2,
      keep: 3,
    });
  });

  it('mirrors config/agent.example.yaml: same sections and settings, and at least its collectors', () => {
    const example = parse(readFileSync(exampleFile, 'utf8')) as Record<string, unknown> & {
      collectors: { type: string }[];
    };
    const generated = parse(
      renderAgentConfig({ serverUrls: ['https://x.example'], stateDir: '/var/lib/hatang-agent' }),
    ) as typeof example;
    expect(Object.keys(generated).sort()).toEqual(Object.keys(example).sort());
    for (const key of Object.keys(example).filter((k) => k !== 'server' && k !== 'collectors')) {
      expect(generated[key], key).toEqual(example[key]);
    }
    const { urls: _u, ...exampleServer } = example.server as Record<string, unknown>;
    const { urls: _g, ...generatedServer } = generated.server as Record<string, unknown>;
    expect(generatedServer).toEqual(exampleServer);
    for (const c of example.collectors) expect(generated.collectors).toContainEqual(c);
  });

  it('quotes a state dir that YAML would otherwise misread', () => {
    const text = renderAgentConfig({ serverUrls: ['https://x.example'], stateDir: '/srv/hatang #1' });
    expect((parse(text) as { agent: { state_dir: string } }).agent.state_dir).toBe('/srv/hatang #1');
  });
});

describe('serverUrl', () => {
  it('refuses what is not an http(s) URL, or carries credentials, naming --server', () => {
    expect(() => serverUrl('hatang.tinh.gov.vn')).toThrow(
      '--server: "hatang.tinh.gov.vn" is not a URL (example: https://hatang.tinh.gov.vn:8443)',
    );
    expect(() => serverUrl('ftp://x.example')).toThrow(
      '--server: "ftp://x.example" must start with https:// or http://',
    );
    expect(() => serverUrl('https://u:p@x.example')).toThrow(
      '--server: "https://u:p@x.example" must not carry a user or password',
    );
  });
});
