import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kohort } from '../main.js';
import { caller, startTeamKohort } from './test-support/team.js';

const ADMIN = 'kha_analytics_routes';
let k: Kohort;
let call: ReturnType<typeof caller>;
const ids = { vip: '', buyers: '' };

const track = (userId: string, event: string, timestamp: string, properties: Record<string, unknown> = {}) => ({ type: 'track', userId, event, timestamp, properties });

beforeAll(async () => {
  k = await startTeamKohort(ADMIN);
  call = caller(k);
  const batch = [
    track('u1', 'view', '2024-03-04T10:00:00Z', { price: 10 }), track('u1', 'cart', '2024-03-04T11:00:00Z'), track('u1', 'buy', '2024-03-05T09:00:00Z', { price: '20' }),
    track('u2', 'view', '2024-03-05T10:00:00Z', { price: 5 }), track('u2', 'cart', '2024-03-13T10:00:00Z'),
    track('u3', 'view', '2024-03-11T10:00:00Z'), track('u3', 'cart', '2024-03-11T10:30:00Z'), track('u3', 'buy', '2024-03-11T11:00:00Z', { price: 7 }),
    track('u4', 'view', '2024-03-12T10:00:00Z'),
  ];
  const r = await call(`${ADMIN}_write`, 'POST', '/v1/batch', { batch });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  ids.vip = (await call(ADMIN, 'POST', '/v1/cohorts', { name: 'VIP', kind: 'static' })).body.id;
  expect((await call(ADMIN, 'POST', `/v1/cohorts/${ids.vip}/members`, { userIds: ['u1', 'u2'] })).status).toBe(200);
  ids.buyers = (await call(ADMIN, 'POST', '/v1/cohorts', { name: 'Buyers', definition: { match: 'all', rules: [{ type: 'event', event: 'buy' }] } })).body.id;
});
afterAll(async () => {
  await k?.close();
});

const range = { from: '2024-03-04', to: '2024-03-18', asOf: '2024-04-01T00:00:00Z' };

describe('POST /v1/analytics/*', () => {
  it('funnel segmented by a static cohort, not in it, and a dynamic one, labelled', async () => {
    const r = await call(ADMIN, 'POST', '/v1/analytics/funnel', {
      steps: [{ event: 'view' }, { event: 'cart' }, { event: 'buy' }],
      conversionWindow: { amount: 1, unit: 'day' },
      ...range,
      segments: [{ all: true }, { cohortId: ids.vip }, { cohortId: ids.vip, negate: true }, { cohortId: ids.buyers }],
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.asOf).toBe('2024-04-01T00:00:00.000Z');
    const steps = (users: number[]) => ['view', 'cart', 'buy'].map((event, i) => ({ event, users: users[i] }));
    expect(r.body.series).toEqual([
      { segment: { all: true }, label: 'All users', steps: steps([4, 2, 2]) },
      { segment: { cohortId: ids.vip }, label: 'VIP', steps: steps([2, 1, 1]) },
      { segment: { cohortId: ids.vip, negate: true }, label: 'Not in VIP', steps: steps([2, 1, 1]) },
      { segment: { cohortId: ids.buyers }, label: 'Buyers', steps: steps([2, 2, 2]) },
    ]);
  });

  it('segmentation by week with a property sum, and an unsaved definition segment', async () => {
    const r = await call(ADMIN, 'POST', '/v1/analytics/segmentation', {
      event: { event: 'view' },
      measure: { fn: 'sum', property: 'price' },
      interval: 'week',
      ...range,
      segments: [{ all: true }, { definition: { match: 'all', rules: [{ type: 'event', event: 'cart' }] }, name: 'Carted' }, { definition: { match: 'all', rules: [{ type: 'event', event: 'cart' }] } }],
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.buckets).toEqual(['2024-03-04T00:00:00.000Z', '2024-03-11T00:00:00.000Z']);
    expect(r.body.series.map((s: { label: string; values: unknown[] }) => [s.label, s.values])).toEqual([
      ['All users', [15, null]],
      ['Carted', [15, null]],
      ['Unsaved definition', [15, null]],
    ]);
  });

  it('retention by day', async () => {
    const r = await call(ADMIN, 'POST', '/v1/analytics/retention', { start: { event: 'view' }, return: { event: 'cart' }, period: 'day', periods: 2, ...range });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.series).toEqual([{ segment: { all: true }, label: 'All users', users: 4, retained: [2, 0, 0] }]);
  });

  it('refuses bad input with the error shape, unknown cohorts with 404, unknown references with 400', async () => {
    const bad = await call(ADMIN, 'POST', '/v1/analytics/funnel', { steps: [{ event: 'view' }], conversionWindow: { amount: 1, unit: 'day' }, ...range });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_input');
    expect(bad.body.error.details).toEqual([{ field: 'steps', message: 'a funnel needs at least 2 steps' }]);
    const unknown = await call(ADMIN, 'POST', '/v1/analytics/retention', { start: { event: 'view' }, return: { event: 'cart' }, period: 'day', periods: 2, ...range, segments: [{ cohortId: 'nope' }] });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    const ref = await call(ADMIN, 'POST', '/v1/analytics/retention', {
      start: { event: 'view' }, return: { event: 'cart' }, period: 'day', periods: 2, ...range,
      segments: [{ definition: { match: 'all', rules: [{ type: 'cohort', cohortId: 'nope' }] } }],
    });
    expect(ref.status).toBe(400);
    expect(ref.body.error.code).toBe('invalid_definition');
    const many = await call(ADMIN, 'POST', '/v1/analytics/segmentation', { event: { event: 'view' }, measure: 'totals', interval: 'day', from: '2020-01-01', to: '2030-01-01' });
    expect(many.status).toBe(400);
    expect(many.body.error.message).toMatch(/more than 2000 days/);
  });
});
