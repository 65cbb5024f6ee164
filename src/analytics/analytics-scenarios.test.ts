/**
 * Hand-computed answers for the rules of analytics.md that are easiest to get
 * wrong (week starts Monday, month buckets, strict funnel ordering and ties,
 * the conversion window's closed end, retention[0] at or after the start,
 * asOf), each checked on the reference implementation and on the compiled SQL
 * of every engine (DuckDB, ClickHouse 18.16 server, chdb: cohort/test-support/cohort-engines.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalData } from '../cohort/reference-evaluator.js';
import { data, ev, one, resolver } from '../cohort/test-support/duckdb-fixture.js';
import { openCohortEngines, type CohortEngine } from '../cohort/test-support/cohort-engines.js';
import type { AnalyticsDialect } from './analytics-dialect.js';
import { clickhouseAnalyticsDialect } from './dialects/clickhouse.js';
import { duckdbAnalyticsDialect } from './dialects/duckdb.js';
import { funnelRequestSchema, retentionRequestSchema, segmentationRequestSchema } from '../schemas/analytics.js';
import { compileFunnel, compileRetention, compileSegmentation, type CompiledChart, type Row } from './analytics-compiler.js';
import { funnelReference, retentionReference, segmentationReference } from './reference.js';

interface ChartEngine {
  engine: CohortEngine;
  charts: AnalyticsDialect;
  materialized(): ReturnType<CohortEngine['materialized']>;
}
let engines: ChartEngine[] = [];
beforeAll(async () => {
  engines = (await openCohortEngines({ hot: [['price']] })).map((engine) => ({
    engine,
    charts: engine.dialect.name === 'duckdb' ? duckdbAnalyticsDialect : clickhouseAnalyticsDialect,
    materialized: () => engine.materialized(),
  }));
});
afterAll(async () => {
  for (const e of engines) await e.engine.close();
});

const USERS = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
const cohorts = resolver({ S: 'static', BUYERS: one({ type: 'event', event: 'buy' }) });
const ctx = (asOf: string) => ({ asOf: new Date(asOf), resolveCohort: cohorts });

/** The reference's numbers, after checking the compiled SQL of every engine gives the same (with and without hot columns). */
async function both<T>(d: EvalData, reference: T, compile: (hot: boolean, e: ChartEngine) => CompiledChart<T>): Promise<T> {
  for (const e of engines) {
    await e.engine.load(d);
    for (const hot of [false, true]) {
      const q = compile(hot, e);
      const rows: Row[] = await e.engine.rows(q);
      expect(q.decode(rows), `SQL on ${e.engine.name} (hot columns: ${hot})`).toEqual(reference);
    }
  }
  return reference;
}

describe('segmentation', () => {
  it('weeks start on Monday; from and to bound the events, not the buckets', async () => {
    const d = data(USERS, [
      ev('u1', 'view', '2024-03-05T12:00:00Z'), // before from (same week as from)
      ev('u1', 'view', '2024-03-10T23:59:59Z'), // Sunday: week of Monday 03-04
      ev('u2', 'view', '2024-03-11T00:00:00Z'), // Monday: next week
      ev('u1', 'view', '2024-03-11T05:00:00Z'),
      ev('u1', 'view', '2024-03-12T05:00:00Z'),
      ev('u3', 'view', '2024-03-19T08:00:00Z'),
      ev('u3', 'view', '2024-03-20T00:00:00Z'), // at to: outside
      ev('u4', 'other', '2024-03-12T00:00:00Z'),
    ]);
    const req = (measure: string) =>
      segmentationRequestSchema.parse({ event: { event: 'view' }, measure, interval: 'week', from: '2024-03-06', to: '2024-03-20' });
    const c = ctx('2024-04-01');
    const uniques = await both(d, segmentationReference(d, req('uniques'), c), (hot, e) => compileSegmentation(req('uniques'), { ...c, materialized: hot ? e.materialized() : [] }, e.charts));
    expect(uniques.buckets.map((b) => new Date(b).toISOString().slice(0, 10))).toEqual(['2024-03-04', '2024-03-11', '2024-03-18']);
    expect(uniques.values).toEqual([[1, 2, 1]]);
    const totals = await both(d, segmentationReference(d, req('totals'), c), (hot, e) => compileSegmentation(req('totals'), { ...c, materialized: hot ? e.materialized() : [] }, e.charts));
    expect(totals.values).toEqual([[1, 3, 1]]);
  });

  it('month buckets; sum/avg/min/max over numeric values (numeric strings count), null where there are none; events after asOf ignored', async () => {
    const d = data(USERS, [
      ev('u1', 'buy', '2024-01-20T00:00:00Z', { price: '2.5' }),
      ev('u2', 'buy', '2024-01-31T23:00:00Z', { price: 3 }),
      ev('u2', 'buy', '2024-01-31T23:30:00Z', { price: 'abc' }),
      ev('u1', 'buy', '2024-02-10T00:00:00Z', { price: 'n/a' }),
      ev('u1', 'buy', '2024-03-01T10:00:00Z', { price: 100 }), // after asOf
    ]);
    const c = ctx('2024-03-01T09:00:00Z');
    const run = async (fn: string) => {
      const req = segmentationRequestSchema.parse({ event: { event: 'buy' }, measure: { fn, property: 'price' }, interval: 'month', from: '2024-01-15', to: '2024-03-02' });
      return both(d, segmentationReference(d, req, c), (hot, e) => compileSegmentation(req, { ...c, materialized: hot ? e.materialized() : [] }, e.charts));
    };
    const sum = await run('sum');
    expect(sum.buckets.map((b) => new Date(b).toISOString().slice(0, 10))).toEqual(['2024-01-01', '2024-02-01', '2024-03-01']);
    expect(sum.values).toEqual([[5.5, null, null]]);
    expect((await run('avg')).values).toEqual([[2.75, null, null]]);
    expect((await run('min')).values).toEqual([[2.5, null, null]]);
    expect((await run('max')).values).toEqual([[3, null, null]]);
  });

  it('segments: a static cohort, not in it, a saved dynamic cohort and an unsaved definition evaluated as of asOf', async () => {
    const d = data(
      USERS,
      [ev('u1', 'view', '2024-03-01T10:00:00Z'), ev('u2', 'view', '2024-03-01T11:00:00Z'), ev('u3', 'view', '2024-03-02T10:00:00Z'),
        ev('u3', 'buy', '2024-03-02T12:00:00Z'), ev('u2', 'buy', '2024-03-09T12:00:00Z')],
      [],
      { S: ['u1', 'u2'] },
    );
    const req = segmentationRequestSchema.parse({
      event: { event: 'view' }, measure: 'uniques', interval: 'day', from: '2024-03-01', to: '2024-03-03',
      segments: [{ cohortId: 'S' }, { cohortId: 'S', negate: true }, { cohortId: 'BUYERS' }, { definition: one({ type: 'event', event: 'buy', negate: true }), name: 'Never bought' }, { all: true }],
    });
    const c = ctx('2024-03-05'); // u2's purchase is after asOf: not a buyer yet
    const r = await both(d, segmentationReference(d, req, c), (_hot, e) => compileSegmentation(req, c, e.charts));
    expect(r.values).toEqual([[2, 0], [0, 1], [0, 1], [2, 0], [2, 1]]);
  });
});

describe('funnel', () => {
  const d = data(
    USERS,
    [
      // u1: ties with the previous step never count; reaches all three.
      ev('u1', 'view', '2024-03-01T10:00:00Z'), ev('u1', 'cart', '2024-03-01T10:00:00Z'), ev('u1', 'cart', '2024-03-01T12:00:00Z'),
      ev('u1', 'buy', '2024-03-01T12:00:00Z'), ev('u1', 'buy', '2024-03-01T13:00:00Z'),
      // u2: only a tie.
      ev('u2', 'view', '2024-03-01T10:00:00Z'), ev('u2', 'cart', '2024-03-01T10:00:00Z'),
      // u3: anchor is the first view in range; cart exactly at t1 + window counts, buy 1 ms later does not.
      ev('u3', 'view', '2024-02-29T12:00:00Z'), ev('u3', 'cart', '2024-03-01T11:00:00Z'), ev('u3', 'view', '2024-03-01T12:00:00Z'),
      ev('u3', 'cart', '2024-03-02T12:00:00Z'), ev('u3', 'buy', '2024-03-02T12:00:00.001Z'),
      // u4: a view at `to` does not enter.
      ev('u4', 'view', '2024-03-03T00:00:00Z'), ev('u4', 'cart', '2024-03-03T01:00:00Z'),
      // u5: the cart is after asOf.
      ev('u5', 'view', '2024-03-02T02:00:00Z'), ev('u5', 'cart', '2024-03-03T01:00:00Z'),
      // u6: only the first view anchors; the cart is too late for it (a later view does not help).
      ev('u6', 'view', '2024-03-01T10:00:00Z'), ev('u6', 'view', '2024-03-02T20:00:00Z'), ev('u6', 'cart', '2024-03-02T21:00:00Z'),
    ],
    [],
    { S: ['u1', 'u2'] },
  );
  const req = funnelRequestSchema.parse({
    steps: [{ event: 'view' }, { event: 'cart' }, { event: 'buy' }],
    conversionWindow: { amount: 1, unit: 'day' },
    from: '2024-03-01', to: '2024-03-03', asOf: '2024-03-03T00:30:00Z',
    segments: [{ all: true }, { cohortId: 'S' }, { cohortId: 'S', negate: true }],
  });

  it('strict ordering, ties, the first anchor, a closed window end, asOf', async () => {
    const c = ctx('2024-03-03T00:30:00Z');
    const r = await both(d, funnelReference(d, req, c), (hot, e) => compileFunnel(req, { ...c, materialized: hot ? e.materialized() : [] }, e.charts));
    expect(r).toEqual([[5, 2, 1], [2, 1, 1], [3, 1, 0]]);
  });

  it('a month window is calendar months', async () => {
    const d2 = data(USERS, [ev('u1', 'view', '2024-01-31T10:00:00Z'), ev('u1', 'cart', '2024-02-29T10:00:00Z'), ev('u2', 'view', '2024-01-31T10:00:00Z'), ev('u2', 'cart', '2024-03-01T10:00:00Z')]);
    const r2 = funnelRequestSchema.parse({ steps: [{ event: 'view' }, { event: 'cart' }], conversionWindow: { amount: 1, unit: 'month' }, from: '2024-01-01', to: '2024-02-01' });
    const c = ctx('2024-06-01');
    expect(await both(d2, funnelReference(d2, r2, c), (_hot, e) => compileFunnel(r2, c, e.charts))).toEqual([[2, 1]]);
  });
});

describe('retention', () => {
  const d = data(USERS, [
    ev('u1', 'signup', '2024-03-01T10:00:00Z'), ev('u1', 'open', '2024-03-01T09:00:00Z'), ev('u1', 'open', '2024-03-01T10:00:00Z'), ev('u1', 'open', '2024-03-03T23:00:00Z'),
    ev('u2', 'signup', '2024-03-02T05:00:00Z'), ev('u2', 'open', '2024-03-02T04:00:00Z'), ev('u2', 'open', '2024-03-05T00:00:00Z'), ev('u2', 'open', '2024-03-06T00:00:00Z'),
    ev('u3', 'signup', '2024-03-03T00:00:00Z'), ev('u3', 'open', '2024-03-03T01:00:00Z'),
    ev('u4', 'signup', '2024-02-29T10:00:00Z'), ev('u4', 'signup', '2024-03-02T12:00:00Z'), ev('u4', 'open', '2024-03-02T13:00:00Z'),
  ]);
  const req = retentionRequestSchema.parse({ start: { event: 'signup' }, return: { event: 'open' }, period: 'day', periods: 3, from: '2024-03-01', to: '2024-03-03' });

  it('retained[0] counts returns at or after the start in its bucket; returns may fall after to', async () => {
    const c = ctx('2024-04-01');
    expect(await both(d, retentionReference(d, req, c), (_hot, e) => compileRetention(req, c, e.charts))).toEqual([{ users: 3, retained: [2, 0, 1, 1] }]);
  });

  it('returns after asOf count 0', async () => {
    const c = ctx('2024-03-04T00:00:00Z');
    expect(await both(d, retentionReference(d, req, c), (_hot, e) => compileRetention(req, c, e.charts))).toEqual([{ users: 3, retained: [2, 0, 1, 0] }]);
  });

  it('weekly periods start on Monday', async () => {
    const d2 = data(USERS, [ev('u1', 'signup', '2024-03-03T10:00:00Z'), ev('u1', 'open', '2024-03-04T00:00:00Z'), ev('u2', 'signup', '2024-03-04T10:00:00Z'), ev('u2', 'open', '2024-03-10T23:00:00Z')]);
    const r2 = retentionRequestSchema.parse({ start: { event: 'signup' }, return: { event: 'open' }, period: 'week', periods: 2, from: '2024-03-01', to: '2024-03-08' });
    const c = ctx('2024-04-01');
    expect(await both(d2, retentionReference(d2, r2, c), (_hot, e) => compileRetention(r2, c, e.charts))).toEqual([{ users: 2, retained: [1, 1, 0] }]);
  });
});

describe('exact SQL', () => {
  it('segmentation: one materialized CTE per segment and for the matching events per user and bucket, values bound, hot columns read', () => {
    const req = segmentationRequestSchema.parse({
      event: { event: 'view' }, measure: { fn: 'sum', property: 'price' }, interval: 'week',
      from: '2024-03-01', to: '2024-03-10', segments: [{ all: true }, { cohortId: 'S', negate: true }],
    });
    const q = compileSegmentation(req, { ...ctx('2024-03-10'), materialized: [{ path: ['price'], text: 'hot1_text', number: 'hot1_num' }] });
    expect(q.sql).toBe(
      'WITH seg1 AS MATERIALIZED (SELECT DISTINCT uid FROM cohort_members WHERE cohort_id = ?), ' +
        "m AS MATERIALIZED (SELECT e.uid, epoch_ms(date_trunc('week', e.ts)) AS bucket, sum(e.hot1_num) AS x FROM events_all e " +
        "WHERE e.event = ? AND e.ts <= CAST(? AS TIMESTAMP) AND e.ts >= CAST(? AS TIMESTAMP) AND e.ts < CAST(? AS TIMESTAMP) GROUP BY e.uid, epoch_ms(date_trunc('week', e.ts))) " +
        'SELECT CAST(? AS BIGINT) AS seg, bucket, sum(x) AS value FROM m WHERE true GROUP BY bucket UNION ALL ' +
        'SELECT CAST(? AS BIGINT) AS seg, bucket, sum(x) AS value FROM m WHERE uid NOT IN (SELECT uid FROM seg1) GROUP BY bucket',
    );
    expect(q.params).toEqual(['S', 'view', '2024-03-10 00:00:00.000', '2024-03-01 00:00:00.000', '2024-03-10 00:00:00.000', 0, 1]);
  });

  it('funnel: each step joins the previous one within the window; one reach row per user', () => {
    const req = funnelRequestSchema.parse({ steps: [{ event: 'view' }, { event: 'buy' }], conversionWindow: { amount: 1, unit: 'day' }, from: '2024-03-01', to: '2024-03-10' });
    const q = compileFunnel(req, ctx('2024-03-10'));
    expect(q.sql).toBe(
      'WITH f1 AS MATERIALIZED (SELECT e.uid, min(e.ts) AS t1, min(e.ts) AS t FROM events_all e WHERE e.event = ? AND e.ts <= CAST(? AS TIMESTAMP) AND e.ts >= CAST(? AS TIMESTAMP) AND e.ts < CAST(? AS TIMESTAMP) GROUP BY e.uid), ' +
        'f2 AS MATERIALIZED (SELECT e.uid, p.t1, min(e.ts) AS t FROM events_all e JOIN f1 p ON e.uid = p.uid AND e.ts > p.t AND e.ts <= (p.t1 + to_days(CAST(? AS INTEGER))) WHERE e.event = ? AND e.ts <= CAST(? AS TIMESTAMP) AND e.ts > CAST(? AS TIMESTAMP) AND e.ts <= (CAST(? AS TIMESTAMP) + to_days(CAST(? AS INTEGER))) GROUP BY e.uid, p.t1), ' +
        'reach AS MATERIALIZED (SELECT f1.uid, CASE WHEN f2.uid IS NOT NULL THEN 2 ELSE 1 END AS reached FROM f1 LEFT JOIN f2 ON f2.uid = f1.uid) ' +
        'SELECT CAST(? AS BIGINT) AS seg, reached, count(*) AS users FROM reach WHERE true GROUP BY reached',
    );
    expect(q.params).toEqual(['view', '2024-03-10 00:00:00.000', '2024-03-01 00:00:00.000', '2024-03-10 00:00:00.000', 1, 'buy', '2024-03-10 00:00:00.000', '2024-03-01 00:00:00.000', '2024-03-10 00:00:00.000', 1, 0]);
  });
});
