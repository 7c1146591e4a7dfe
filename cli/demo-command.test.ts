import { describe, expect, it } from 'vitest';
import { lookAround } from './demo-command.js';

const o = {
  hatang: 'node dist/cli/hatang.js',
  serverYaml: '.data/demo/server.yaml',
  agentYaml: '.data/demo/agent.yaml',
  dashboards: 'dashboards/build',
};

describe("the demo's closing guidance", () => {
  it('with InfluxDB and the server running: status, API with an auditor token, influx, readiness, dashboards', () => {
    const text = lookAround({ ...o, running: true });
    expect(text).toContain(
      '  agent       node dist/cli/hatang.js agent status --config .data/demo/agent.yaml',
    );
    expect(text).toContain(
      '  API         TOKEN=$(node dist/cli/hatang.js token issue --role auditor --subject demo-auditor --config .data/demo/server.yaml)',
    );
    expect(text).toMatch(/^ {2}InfluxDB {4}influx -port \d+ -database hatang -execute 'SHOW MEASUREMENTS'$/m);
    expect(text).toContain(
      '  readiness   node dist/cli/hatang.js readiness --config .data/demo/server.yaml --lang vi',
    );
    expect(text).toContain('  dashboards  dashboards/build/vi and dashboards/build/en: ');
    expect(text).toMatch(
      /^ {2}auditors {4}http:\/\/127\.0\.0\.1:\d+\/audit\/ in a browser: sign in with \$TOKEN/m,
    );
  });

  it('once everything is stopped: only what works without them (no curl, no influx, no readiness)', () => {
    const text = lookAround({ ...o, running: false });
    expect(text).toContain('agent status --config .data/demo/agent.yaml');
    expect(text).toContain('dashboards/README.md');
    expect(text).not.toContain('curl');
    expect(text).not.toContain('influx -port');
    expect(text).not.toContain('readiness --config');
    expect(text).not.toContain('/audit/');
  });
});
