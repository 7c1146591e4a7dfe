import { disclaimer, type Subsystem, uptimeInformative } from './criteria.js';
import type { Scorecard, Status } from './evaluate.js';

export type Lang = 'vi' | 'en';

/** Words of the scorecard in both languages; evidence sentences stay as the evaluator wrote them (English). */
export const words = {
  en: {
    title: 'TIA-942 readiness',
    evaluated: 'evaluated',
    target: 'target',
    overall: 'overall',
    subsystems: 'subsystems',
    criteria: 'criteria',
    blocking: (l: number) => `blocking Rated-${l}`,
    none: 'none: every criterion up to the target passes',
    unverified: 'unverified threshold',
    source: 'source',
    decided: { declared: 'declared', live: 'live', both: 'declared + live' },
    passed: 'passed',
    failed: 'failed',
    unknown: 'unknown',
    of: 'of',
    rating: (r: number) => (r === 0 ? 'below Rated-1' : `Rated-${r}`),
    status: { pass: 'pass', fail: 'FAIL', unknown: '?', na: '–' } satisfies Record<Status, string>,
    subsystem: {
      telecommunications: 'telecommunications',
      architectural: 'architectural',
      electrical: 'electrical',
      mechanical: 'mechanical',
    } satisfies Record<Subsystem, string>,
    fix: 'to pass',
    sources:
      'sources: TIA = TIA public page, SEC = secondary summaries, UTI = Uptime Institute, UNV = unverified threshold (check against a purchased copy of the standard), DES = hatang design choice',
    informative: 'informative (Uptime Institute, not TIA): availability',
    legend: 'status per level R1..R4: pass, FAIL, ? unknown (missing or stale evidence), – not required',
  },
  vi: {
    title: 'Mức sẵn sàng TIA-942',
    evaluated: 'đánh giá lúc',
    target: 'mục tiêu',
    overall: 'tổng thể',
    subsystems: 'hạng mục',
    criteria: 'tiêu chí',
    blocking: (l: number) => `đang chặn Rated-${l}`,
    none: 'không có: mọi tiêu chí đến mức mục tiêu đều đạt',
    unverified: 'ngưỡng chưa kiểm chứng',
    source: 'nguồn',
    decided: { declared: 'khai báo', live: 'đo thực tế', both: 'khai báo + đo thực tế' },
    passed: 'đạt',
    failed: 'không đạt',
    unknown: 'chưa rõ',
    of: 'trên',
    rating: (r: number) => (r === 0 ? 'chưa đạt Rated-1' : `Rated-${r}`),
    status: { pass: 'đạt', fail: 'KHÔNG', unknown: '?', na: '–' } satisfies Record<Status, string>,
    subsystem: {
      telecommunications: 'viễn thông',
      architectural: 'kiến trúc',
      electrical: 'điện',
      mechanical: 'cơ điện lạnh',
    } satisfies Record<Subsystem, string>,
    fix: 'để đạt',
    sources:
      'nguồn: TIA = trang công khai của TIA, SEC = tài liệu tóm tắt thứ cấp, UTI = Uptime Institute, UNV = ngưỡng chưa kiểm chứng (đối chiếu với bản tiêu chuẩn có bản quyền), DES = lựa chọn thiết kế của hatang',
    informative: 'tham khảo (Uptime Institute, không phải TIA): độ sẵn sàng',
    legend:
      'trạng thái theo mức R1..R4: đạt, KHÔNG đạt, ? chưa rõ (thiếu hoặc cũ bằng chứng), – không yêu cầu',
  },
} as const;

const pad = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - [...s].length));

/** The scorecard as text for a terminal: subsystems, overall, every criterion per level with its source, the blocking list. */
export function formatScorecard(card: Scorecard, lang: Lang): string {
  const w = words[lang];
  const out: string[] = [];
  out.push(`${w.title}: ${card.name} (${card.site})`);
  out.push(`** ${disclaimer[lang]} **`);
  out.push(
    `${w.evaluated} ${card.evaluated_at}; ${w.target} ${w.rating(card.target_rating)}; ${w.overall} ${w.rating(card.overall_rating)}`,
  );
  out.push('', `${w.subsystems}:`);
  for (const s of card.subsystems) {
    out.push(
      `  ${pad(w.subsystem[s.subsystem], 20)} ${pad(w.rating(s.rating), 18)} ${w.passed} ${s.passed}, ${w.failed} ${s.failed}, ${w.unknown} ${s.unknown} ${w.of} ${s.total}`,
    );
  }
  out.push('', `${w.criteria} (${w.legend}):`);
  for (const c of card.criteria) {
    const st = c.levels.map((l) => pad(w.status[l.status], 6)).join('');
    const req = c.requirement.map((r) => r ?? '–').join(' | ');
    const src = `${w.source} ${c.sources.join(',')}${c.unverified ? ` [${w.unverified}]` : ''}`;
    out.push(`  ${pad(c.id, 3)} ${st} ${c.title[lang]}: ${req}; ${src}; ${w.decided[c.decided_by]}`);
    if (c.contradiction) out.push(`      ! ${c.contradiction}`);
    for (const e of c.evidence) {
      const doc = e.document ? ` [${[e.document, e.date, e.checked_by].filter(Boolean).join(', ')}]` : '';
      const at = e.time ? ` @ ${e.time}` : '';
      out.push(`      ${e.kind === 'live' ? '~' : '·'} ${e.text}${doc}${at}`);
    }
    if (c.note) out.push(`      ✎ ${c.note}`);
  }
  out.push('', `${w.blocking(card.target_rating)}:`);
  if (card.gaps.length === 0) out.push(`  ${w.none}`);
  card.gaps.forEach((g, i) => {
    out.push(
      `  ${i + 1}. ${g.id} (Rated-${g.level}, ${g.status === 'fail' ? w.failed : w.unknown}${g.unverified ? `, ${w.unverified}` : ''}): ${g.reason}`,
    );
    if (g.fix) out.push(`     → ${w.fix}: ${g.fix}`);
  });
  out.push('', w.sources);
  out.push(
    `${w.informative} ${Object.entries(uptimeInformative)
      .map(([l, a]) => `R${l} ${a.percent} % (${a.downtime})`)
      .join(', ')}`,
  );
  return `${out.join('\n')}\n`;
}

/** The first blocking criteria in one line each, for the demo's summary. */
export function formatHeadline(card: Scorecard, lang: Lang, firstGaps = 3): string {
  const w = words[lang];
  const lines = [
    `${w.title} ${card.site}: ${w.overall} ${w.rating(card.overall_rating)}, ${w.target} ${w.rating(card.target_rating)} (${disclaimer[lang]})`,
    ...card.gaps
      .slice(0, firstGaps)
      .map((g) => `  ${g.id} ${g.status === 'fail' ? w.failed : w.unknown} @ Rated-${g.level}: ${g.reason}`),
  ];
  return `${lines.join('\n')}\n`;
}
