import { describe, expect, it } from 'vitest';
import type { AgentStatus, Enrollment } from '../agent/runtime/state.js';
import { UsageError } from '../lib/config.js';
import { agentCommand, statusLines } from './agent-command.js';

const enrollment: Enrollment = {
  agent_id: 'pc-1-abc123',
  site_id: 'so-test',
  credential: 'a.e30.c',
  role: 'agent',
  issued_at: '2026-01-01T00:00:00.000Z',
  expires_at: '2026-01-31T00:00:00.000Z',
  enrolled_at: '2026-01-01T00:00:00.000Z',
  server: 'https://hatang1:8443',
};
const status: AgentStatus = {
  pid: 1,
  version: '1.0.0',
  updated_at: '2026-01-02T00:00:00.000Z',
  queue: { batches: 2, points: 30, bytes: 4096 },
  reserve_points: 12,
  last_write_error: 'queue 0000000000000009-3.json: ENOSPC: no space left on device',
  counters: {
    dropped_points: 15,
    dropped_queue_full_points: 5,
    dropped_disk_full_points: 10,
    rejected_points: 3,
    corrupt_queue_files: 1,
    corrupt_queue_points: 40,
  },
  collectors: {},
};

describe('hatang agent status', () => {
  it('shows the credential role, expiry and when renewal starts (a third of the lifetime before expiry)', () => {
    expect(statusLines({ status: undefined, enrollment, running: false, statusFile: 's' })).toContain(
      'credential:  role agent, expires 2026-01-31T00:00:00.000Z, renewal due from 2026-01-21T00:00:00.000Z',
    );
  });

  it('shows drops by reason, damaged files, the in-memory reserve and why the queue cannot be written', () => {
    const lines = statusLines({ status, enrollment, running: false, statusFile: 's' });
    expect(lines).toContain('dropped:     15 points (queue full 5, disk full 10)');
    expect(lines).toContain(
      'rejected:    3 points refused by the server; 1 damaged queue files (40 points), kept in queue/rejected/',
    );
    expect(lines).toContain(
      'queue:       2 batches, 30 points, 4096 bytes; 12 agent_health/collector_run points held in memory',
    );
    expect(lines).toContain(
      'disk:        cannot write the queue: queue 0000000000000009-3.json: ENOSPC: no space left on device',
    );
  });

  it('reads the status file of an older agent, which counted drops without reasons', () => {
    const old = { ...status, counters: { dropped_points: 4, rejected_points: 0 } } as unknown as AgentStatus;
    expect(statusLines({ status: old, enrollment: undefined, running: false, statusFile: 's' })).toContain(
      'dropped:     4 points (queue full 4, disk full 0)',
    );
  });

  it('says why the agent is not enrolled, from its last attempt, instead of a bare "no"', () => {
    const refused = {
      ...status,
      last_error: {
        at: '2026-01-02T00:00:00.000Z',
        message: 'enrollment refused by https://h:8443: 401 token: not a valid enrollment token for any site',
      },
    };
    const lines = statusLines({ status: refused, enrollment: undefined, running: true, statusFile: 's' });
    expect(lines[0]).toBe(
      'enrolled:    no: enrollment refused by https://h:8443: 401 token: not a valid enrollment token for any site (at 2026-01-02T00:00:00.000Z)',
    );
    expect(lines.some((l) => l.startsWith('last error:'))).toBe(false);
  });
});

describe('agentCommand --server / --token-file', () => {
  it.skipIf(process.platform === 'win32')(
    'refuses them when running on Linux, pointing to `install` (they seed a missing config only for the Windows service)',
    async () => {
      const run = agentCommand(['--config', '/nonexistent/agent.yaml', '--server', 'https://x:8443']);
      await expect(run).rejects.toThrow(UsageError);
      await expect(run).rejects.toThrow(/--server and --token-file go to `hatang agent install`/);
    },
  );
});
