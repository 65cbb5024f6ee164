import { describe, expect, it } from 'vitest';
import { chartCsv, csvCell, percent } from './csv';
import { analyzeLink, decodeState, defaultState, encodeState, requestOf } from './state';

const NOW = Date.UTC(2024, 2, 15, 12);

describe('Analyze URL state', () => {
  it('round-trips through the URL', () => {
    const s = { ...defaultState(NOW), chart: 'funnel' as const, steps: [{ event: 'view' }, { event: 'buy', where: [{ property: 'price', op: 'gt' as const, value: 5 }] }], segments: [{ cohortId: 'c1' }, { cohortId: 'c1', negate: true }] };
    expect(decodeState(new URLSearchParams(encodeState(s).slice(1)), NOW)).toEqual(s);
  });

  it('falls back to the defaults for broken or foreign parts', () => {
    expect(decodeState(new URLSearchParams('s=%7Bnot json'), NOW)).toEqual(defaultState(NOW));
    const d = decodeState(new URLSearchParams(`s=${encodeURIComponent(JSON.stringify({ chart: 'pie', periods: 'many', interval: 'week' }))}`), NOW);
    expect(d).toEqual({ ...defaultState(NOW), interval: 'week' });
    expect(defaultState(NOW)).toMatchObject({ from: '2024-02-14', to: '2024-03-16' });
  });

  it('builds the request body of the chart, or null until its events are chosen', () => {
    const s = defaultState(NOW);
    expect(requestOf(s)).toBeNull();
    expect(requestOf({ ...s, event: { event: 'view' } })).toEqual({ event: { event: 'view' }, measure: 'uniques', interval: 'day', from: s.from, to: s.to, segments: [{ all: true }] });
    expect(requestOf({ ...s, chart: 'retention', start: { event: 'a' }, ret: { event: 'b' } })).toEqual({ start: { event: 'a' }, return: { event: 'b' }, period: 'week', periods: 8, from: s.from, to: s.to, segments: [{ all: true }] });
  });

  it('links a cohort page to a funnel of the cohort against everyone else', () => {
    const s = decodeState(new URLSearchParams(analyzeLink('c9').split('?')[1]));
    expect(s.chart).toBe('funnel');
    expect(s.segments).toEqual([{ cohortId: 'c9' }, { cohortId: 'c9', negate: true }]);
  });
});

describe('chart CSV', () => {
  it('quotes what needs it and never lets a label run as a formula', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(null)).toBe('');
    expect(percent(1, 3)).toBe(33.3);
    expect(percent(1, 0)).toBeNull();
  });

  it('writes one row per bucket, step or segment', () => {
    const segment = { all: true as const };
    expect(chartCsv({ chart: 'segmentation', data: { asOf: 'x', buckets: ['2024-03-04T00:00:00.000Z', '2024-03-11T00:00:00.000Z'], series: [{ segment, label: 'All users', values: [3, null] }] } }))
      .toBe('bucket,All users\r\n2024-03-04T00:00:00.000Z,3\r\n2024-03-11T00:00:00.000Z,\r\n');
    expect(chartCsv({ chart: 'funnel', data: { asOf: 'x', series: [{ segment, label: 'VIP', steps: [{ event: 'view', users: 4 }, { event: 'buy', users: 1 }] }] } }))
      .toBe('segment,step,event,users,conversion_from_first_pct,conversion_from_previous_pct\r\nVIP,1,view,4,100,\r\nVIP,2,buy,1,25,25\r\n');
    expect(chartCsv({ chart: 'retention', data: { asOf: 'x', series: [{ segment, label: 'All users', users: 2, retained: [2, 1] }] } }))
      .toBe('segment,users,period_0,period_1\r\nAll users,2,2,1\r\n');
  });
});
