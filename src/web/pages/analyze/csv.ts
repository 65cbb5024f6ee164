/** The numbers of a chart as CSV: one row per bucket, step or segment. */
import type { ChartResult } from '../../api/analytics';

/** Quotes where needed; a leading = + - @ is quoted so spreadsheets never run it as a formula. */
export function csvCell(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  if (typeof v === 'number') return s;
  const formula = /^[=+\-@\t\r]/.test(s);
  return /[",\r\n]/.test(s) || formula ? `"${formula ? "'" : ''}${s.replace(/"/g, '""')}"` : s;
}

const line = (cells: (string | number | null)[]) => cells.map(csvCell).join(',');

/** Share of `n` in `of` as a percentage with one decimal, null when `of` is 0. */
export function percent(n: number, of: number): number | null {
  return of === 0 ? null : Math.round((n / of) * 1000) / 10;
}

export function chartCsv(r: ChartResult): string {
  const rows: string[] = [];
  if (r.chart === 'segmentation') {
    rows.push(line(['bucket', ...r.data.series.map((s) => s.label)]));
    r.data.buckets.forEach((b, i) => rows.push(line([b, ...r.data.series.map((s) => s.values[i] ?? null)])));
  } else if (r.chart === 'funnel') {
    rows.push(line(['segment', 'step', 'event', 'users', 'conversion_from_first_pct', 'conversion_from_previous_pct']));
    for (const s of r.data.series) {
      s.steps.forEach((st, k) =>
        rows.push(line([s.label, k + 1, st.event, st.users, percent(st.users, s.steps[0]!.users), k === 0 ? null : percent(st.users, s.steps[k - 1]!.users)])),
      );
    }
  } else {
    const periods = r.data.series[0]?.retained.length ?? 0;
    rows.push(line(['segment', 'users', ...Array.from({ length: periods }, (_, n) => `period_${n}`)]));
    for (const s of r.data.series) rows.push(line([s.label, s.users, ...s.retained]));
  }
  return rows.join('\r\n') + '\r\n';
}
