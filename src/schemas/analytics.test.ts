import { describe, expect, it } from 'vitest';
import { funnelRequestSchema, retentionRequestSchema, segmentationRequestSchema } from './analytics.js';

const seg = { event: { event: 'view' }, measure: 'uniques', interval: 'week', from: '2024-03-01', to: '2024-04-01' };
const messages = (r: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  (r.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);

describe('analytics request schemas', () => {
  it('segments default to all users', () => {
    expect(segmentationRequestSchema.parse(seg).segments).toEqual([{ all: true }]);
  });

  it('accepts the three segment forms and at most 10 segments', () => {
    const segments = [{ all: true }, { cohortId: 'c1', negate: true }, { definition: { match: 'all', rules: [{ type: 'event', event: 'buy' }] }, name: 'Buyers' }];
    expect(segmentationRequestSchema.parse({ ...seg, segments }).segments).toEqual(segments);
    const r = segmentationRequestSchema.safeParse({ ...seg, segments: Array.from({ length: 11 }, () => ({ all: true })) });
    expect(messages(r)).toEqual(['segments: at most 10 segments']);
  });

  it('names the segment form at fault', () => {
    expect(messages(segmentationRequestSchema.safeParse({ ...seg, segments: [{ all: false }] }))).toEqual(['segments.0.all: all must be true']);
    expect(messages(segmentationRequestSchema.safeParse({ ...seg, segments: [{ cohortId: 'c', negated: true }] }))[0]).toMatch(/^segments\.0: .*negated/);
    expect(messages(segmentationRequestSchema.safeParse({ ...seg, segments: [{ definition: { match: 'all', rules: [] } }] }))).toEqual(['segments.0.definition.rules: a group needs at least 1 rule']);
    expect(messages(segmentationRequestSchema.safeParse({ ...seg, segments: ['everyone'] }))[0]).toMatch(/^segments\.0: a segment is/);
  });

  it('needs from before to, Instants, a known measure', () => {
    expect(messages(segmentationRequestSchema.safeParse({ ...seg, to: '2024-03-01' }))).toEqual(['to: from must be before to (the range is from <= ts < to)']);
    expect(messages(segmentationRequestSchema.safeParse({ ...seg, from: 'yesterday' }))[0]).toMatch(/^from: is not/);
    expect(segmentationRequestSchema.safeParse({ ...seg, measure: { fn: 'median', property: 'x' } }).success).toBe(false);
    expect(segmentationRequestSchema.safeParse({ ...seg, measure: { fn: 'sum', property: 'price' } }).success).toBe(true);
  });

  it('funnel steps 2..10, retention periods 1..60 of day or week', () => {
    const f = { steps: [{ event: 'a' }], conversionWindow: { amount: 7, unit: 'day' }, from: '2024-03-01', to: '2024-04-01' };
    expect(messages(funnelRequestSchema.safeParse(f))).toEqual(['steps: a funnel needs at least 2 steps']);
    expect(funnelRequestSchema.safeParse({ ...f, steps: Array.from({ length: 11 }, () => ({ event: 'a' })) }).success).toBe(false);
    const r = { start: { event: 'a' }, return: { event: 'b' }, period: 'week', periods: 8, from: '2024-03-01', to: '2024-04-01' };
    expect(retentionRequestSchema.safeParse(r).success).toBe(true);
    expect(messages(retentionRequestSchema.safeParse({ ...r, periods: 61 }))).toEqual(['periods: periods must be at most 60']);
    expect(retentionRequestSchema.safeParse({ ...r, period: 'month' }).success).toBe(false);
  });
});
