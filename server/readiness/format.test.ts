import { describe, expect, it } from 'vitest';
import { evaluateSite } from './evaluate.js';
import { formatHeadline, formatScorecard } from './format.js';
import { rated4Evidence, rated4Site, testNow } from './testing.js';

const opts = { now: testNow, staleAfterMs: 10 * 60_000 };

describe('the scorecard as text', () => {
  const live = rated4Evidence();
  Object.assign(live.ups[0] as object, { on_battery: true });
  const card = evaluateSite(rated4Site(), live, opts);

  it('labels itself a self-assessment, gives the overall rating and the blocking criteria with their fixes', () => {
    const text = formatScorecard(card, 'en');
    expect(text).toContain('** readiness self-assessment, not a certification **');
    expect(text).toContain('target Rated-4; overall below Rated-1');
    expect(text).toMatch(/^ {2}1\. E5 \(Rated-1, failed\): a1 on battery$/m);
    expect(text).toMatch(/^ {5}→ to pass: restore mains to a1$/m);
    expect(text).toMatch(
      /^ {2}E4 {2}pass {2}pass {2}pass {2}pass {3}Fuel autonomy.*source UNV \[unverified threshold\]; declared$/m,
    );
  });

  it('speaks Vietnamese when asked, keeping ids and evidence', () => {
    const text = formatScorecard(card, 'vi');
    expect(text).toContain('** tự đánh giá mức sẵn sàng, không phải chứng nhận **');
    expect(text).toContain('mục tiêu Rated-4; tổng thể chưa đạt Rated-1');
    expect(text).toContain('[ngưỡng chưa kiểm chứng]');
    expect(formatHeadline(card, 'vi', 1)).toBe(
      'Mức sẵn sàng TIA-942 dc-test: tổng thể chưa đạt Rated-1, mục tiêu Rated-4 (tự đánh giá mức sẵn sàng, không phải chứng nhận)\n  E5 không đạt @ Rated-1: a1 on battery\n',
    );
  });

  it('shows time in band as a KPI with its numerator and denominator', () => {
    const withKpi = rated4Evidence();
    withKpi.timeInBand = [
      {
        device: 'env-1',
        sensor: 'inlet A3',
        window: '30d',
        band: 'recommended',
        in_band: 42_000,
        readings: 43_200,
      },
    ];
    const m6 = evaluateSite(rated4Site(), withKpi, opts).criteria.find((c) => c.id === 'M6');
    expect(m6?.evidence.map((e) => e.text)).toContain(
      'inlet A3: in the recommended band 42000/43200 readings over 30d (97.2 %; a KPI, not a criterion)',
    );
    expect(m6?.levels.map((l) => l.status)).toEqual(['pass', 'pass', 'pass', 'pass']);
  });
});
