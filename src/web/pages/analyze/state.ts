/**
 * The Analyze page's state: everything a chart request needs, kept in the URL
 * (`?s=` JSON) so a chart can be shared as a link. Reading a URL never
 * throws: what cannot be read falls back to the defaults.
 */
import type { ChartKind, EventRef, Interval, Measure, Period, Segment } from '../../api/analytics';
import type { Duration } from '../../api/definition';

export interface AnalyzeState {
  chart: ChartKind;
  /** Dates (YYYY-MM-DD, UTC midnight) or Instants; the range is from <= ts < to. */
  from: string;
  to: string;
  segments: Segment[];
  event: EventRef;
  measure: Measure;
  interval: Interval;
  steps: EventRef[];
  window: Duration;
  start: EventRef;
  ret: EventRef;
  period: Period;
  periods: number;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function defaultState(now = Date.now()): AnalyzeState {
  return {
    chart: 'segmentation',
    from: day(now - 30 * 86_400_000),
    to: day(now + 86_400_000),
    segments: [{ all: true }],
    event: { event: '' },
    measure: 'uniques',
    interval: 'day',
    steps: [{ event: '' }, { event: '' }],
    window: { amount: 7, unit: 'day' },
    start: { event: '' },
    ret: { event: '' },
    period: 'week',
    periods: 8,
  };
}

const CHARTS: ChartKind[] = ['segmentation', 'funnel', 'retention'];

export function encodeState(s: AnalyzeState): string {
  return `?s=${encodeURIComponent(JSON.stringify(s))}`;
}

/** The state a URL's query holds, over the defaults; unknown or broken parts are dropped. */
export function decodeState(search: URLSearchParams, now = Date.now()): AnalyzeState {
  const base = defaultState(now);
  const text = search.get('s');
  if (!text) return base;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return base;
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return base;
  const out: AnalyzeState = { ...base };
  const r = raw as Record<string, unknown>;
  for (const key of Object.keys(base) as (keyof AnalyzeState)[]) {
    const v = r[key];
    if (v === undefined || v === null) continue;
    // The same JSON type as the default (the server validates the rest when the chart runs).
    if (Array.isArray(base[key]) !== Array.isArray(v) || typeof base[key] !== typeof v) {
      if (!(key === 'measure' && typeof v === 'object')) continue;
    }
    (out as unknown as Record<string, unknown>)[key] = v;
  }
  if (!CHARTS.includes(out.chart)) out.chart = base.chart;
  return out;
}

const refDone = (r: EventRef) => r.event.trim() !== '';

/** The request body for the chart, or null while an event is still to be chosen. */
export function requestOf(s: AnalyzeState): object | null {
  const common = { from: s.from, to: s.to, segments: s.segments };
  switch (s.chart) {
    case 'segmentation':
      return refDone(s.event) ? { event: s.event, measure: s.measure, interval: s.interval, ...common } : null;
    case 'funnel':
      return s.steps.every(refDone) ? { steps: s.steps, conversionWindow: s.window, ...common } : null;
    case 'retention':
      return refDone(s.start) && refDone(s.ret) ? { start: s.start, return: s.ret, period: s.period, periods: s.periods, ...common } : null;
  }
}

/** Segments for "this cohort against everyone else" (the cohort page's Analyze button). */
export function cohortSegments(cohortId: string): Segment[] {
  return [{ cohortId }, { cohortId, negate: true }];
}

/** The Analyze page comparing a cohort with everyone else (a funnel to fill in). */
export function analyzeLink(cohortId: string): string {
  return `/analyze${encodeState({ ...defaultState(), chart: 'funnel', segments: cohortSegments(cohortId) })}`;
}
