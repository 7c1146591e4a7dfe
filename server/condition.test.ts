import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { condition } from './condition.js';

function capture() {
  const lines: { msg: string; reason?: string; times_since_last_log?: number }[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { log, lines };
}

describe('condition', () => {
  it('logs a fault held through a thousand retries once when it starts and once when it ends', () => {
    const { log, lines } = capture();
    const down = condition(log, 'influxdb down', 'influxdb back');
    for (let i = 0; i < 1000; i++) down.set('connect ECONNREFUSED');
    expect(down.active).toBe(true);
    expect(down.state?.detail).toBe('connect ECONNREFUSED');
    down.clear();
    down.clear();
    expect(lines.map((l) => l.msg)).toEqual(['influxdb down', 'influxdb back']);
    expect(down.state).toBeUndefined();
  });

  it('logs a flapping fault at most once per quiet period, counting the starts it did not log', () => {
    const { log, lines } = capture();
    const slow = condition(log, 'slow', 'fast again', 60_000);
    for (let i = 0; i < 50; i++) {
      slow.set('no answer within 1000 ms');
      slow.clear();
    }
    expect(lines.map((l) => l.msg)).toEqual(['slow', 'fast again']);
    expect(slow.active).toBe(false);
  });

  it('logs every start when the quiet period is 0', () => {
    const { log, lines } = capture();
    const slow = condition(log, 'slow', 'fast again', 0);
    slow.set('a');
    slow.clear();
    slow.set('b');
    expect(lines.map((l) => l.msg)).toEqual(['slow', 'fast again', 'slow']);
    expect(lines[2]?.reason).toBe('b');
  });
});
