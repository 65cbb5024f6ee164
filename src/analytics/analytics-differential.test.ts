/**
 * Property-based differential tests: random small data sets × random chart
 * requests × random asOf and segments (all, static and dynamic cohorts, "not
 * in", unsaved definitions); the compiled SQL on every engine (DuckDB, the
 * ClickHouse 18.16 server of KOHORT_TEST_CLICKHOUSE_URL, chdb: see
 * cohort/test-support/cohort-engines.ts) must give exactly the reference
 * implementation's numbers. Engines reached over a network run fewer cases.
 *
 * Numbers are small integers and halves so that sums are exact in any order.
 * Timestamps sit on a coarse grid so ties (same instant) are common, and the
 * grid crosses week (Monday) and month boundaries.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { CompiledQuery } from '../cohort/cohort-compiler.js';
import type { EvalData, EvalEvent } from '../cohort/reference-evaluator.js';
import { resolver } from '../cohort/test-support/duckdb-fixture.js';
import { cohortEngines, type CohortEngine } from '../cohort/test-support/cohort-engines.js';
import type { AnalyticsDialect } from './analytics-dialect.js';
import { clickhouseAnalyticsDialect } from './dialects/clickhouse.js';
import { duckdbAnalyticsDialect } from './dialects/duckdb.js';
import { funnelRequestSchema, retentionRequestSchema, segmentationRequestSchema } from '../schemas/analytics.js';
import { parseDefinition, type Definition } from '../schemas/definition.js';
import { compileFunnel, compileRetention, compileSegmentation, type CompiledChart, type Row } from './analytics-compiler.js';
import { funnelReference, retentionReference, segmentationReference } from './reference.js';

const HOT_PATHS = [['p'], ['q']];
/** The engine of the describe block running (blocks run one after another), and its chart dialect. */
let engine: CohortEngine;
let charts: AnalyticsDialect;

const BASE = Date.UTC(2023, 0, 25); // a Wednesday; the grid reaches into March
const STEP = 5 * 3_600_000;
const USERS = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
const EVENTS = ['a', 'b', 'c'];

const storedV = fc.constantFrom<unknown>(-1, 0, 0.5, 1, 1.5, 2, 10, '1', '2.5', '1e1', ' 1', 'abc', 'Abc', true, null);
const propsArb = fc.record({ p: storedV, q: storedV }, { requiredKeys: [] });
const gridTs = (k: number) => new Date(BASE + k * STEP);
const eventArb = fc.record({
  userId: fc.constantFrom(...USERS.slice(0, 5)),
  event: fc.constantFrom(...EVENTS),
  ts: fc.integer({ min: 0, max: 240 }).map(gridTs),
  props: propsArb,
});
const dataArb = fc
  .record({ events: fc.array(eventArb, { minLength: 3, maxLength: 40 }), staticS: fc.subarray(USERS) })
  .map(({ events, staticS }): EvalData => {
    let seq = 0;
    return {
      users: USERS,
      events: events.map((e): EvalEvent => ({ ...e, props: e.props as Record<string, unknown>, seq: ++seq })),
      traits: [],
      staticMembers: { S: staticS },
    };
  });

const instantArb = fc.oneof(
  fc.integer({ min: 0, max: 250 }).map((k) => gridTs(k).toISOString()),
  fc.constantFrom('2023-01-30', '2023-02-01', '2023-02-06T00:00:00Z', '2023-03-01', '2023-02-15T12:00:00+02:00'),
);
const rangeArb = fc
  .tuple(instantArb, instantArb)
  .filter(([a, b]) => new Date(a).getTime() !== new Date(b).getTime())
  .map(([a, b]) => (new Date(a).getTime() < new Date(b).getTime() ? { from: a, to: b } : { from: b, to: a }));
const asOfArb = fc.oneof(
  fc.integer({ min: 0, max: 250 }).map((k) => gridTs(k)),
  fc.constant(new Date(Date.UTC(2024, 0, 1))),
);

const filterArb = fc.oneof(
  fc.record({ property: fc.constantFrom('p', 'q'), op: fc.constantFrom('gt', 'lte'), value: fc.constantFrom(0, 1, 1.5) }),
  fc.record({ property: fc.constantFrom('p', 'q'), op: fc.constantFrom('eq', 'neq'), value: fc.constantFrom<string | number | boolean>(1, 'abc', '1', true) }),
  fc.record({ property: fc.constantFrom('p', 'q'), op: fc.constantFrom('is_set', 'is_not_set') }),
  fc.record({ property: fc.constant('p'), op: fc.constant('contains'), value: fc.constantFrom('b', 'A') }),
);
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const clean = <T extends Record<string, unknown>>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
const eventRefArb = fc
  .record({ event: fc.constantFrom(...EVENTS), where: opt(fc.array(filterArb, { maxLength: 2 })), whereMatch: opt(fc.constantFrom('all', 'any')) })
  .map(clean);

const simpleDefinition = fc
  .record({
    event: fc.constantFrom(...EVENTS),
    count: opt(fc.record({ op: fc.constantFrom('gte', 'lt'), value: fc.integer({ min: 1, max: 3 }) })),
    window: opt(fc.constantFrom({ type: 'last', amount: 7, unit: 'day' }, { type: 'since', from: '2023-02-10' })),
    negate: opt(fc.boolean()),
  })
  .map((r) => toDefinition({ match: 'all', rules: [clean({ type: 'event', ...r })] }));

function toDefinition(raw: unknown): Definition {
  const parsed = parseDefinition(raw);
  if (!parsed.ok) throw new Error(`invalid generated definition ${JSON.stringify(parsed.issues)}`);
  return parsed.value;
}

const segmentArb = fc.oneof(
  fc.constant({ all: true }),
  fc.record({ cohortId: fc.constantFrom('S', 'D'), negate: opt(fc.boolean()) }).map(clean),
  simpleDefinition.map((definition) => ({ definition, name: 'custom' })),
  // An unsaved definition naming saved cohorts (static and dynamic).
  fc.record({ cohortId: fc.constantFrom('S', 'D'), negate: opt(fc.boolean()) }).map((r) => ({ definition: toDefinition({ match: 'any', rules: [clean({ type: 'cohort', ...r })] }) })),
);
const segmentsArb = opt(fc.array(segmentArb, { minLength: 1, maxLength: 3 }));

const measureArb = fc.oneof(
  fc.constantFrom('uniques', 'totals'),
  fc.record({ fn: fc.constantFrom('sum', 'avg', 'min', 'max'), property: fc.constantFrom('p', 'q') }),
);
const segmentationArb = fc
  .record({ event: eventRefArb, measure: measureArb, interval: fc.constantFrom('day', 'week', 'month'), range: rangeArb, segments: segmentsArb })
  .map(({ range, ...r }) => segmentationRequestSchema.parse(clean({ ...r, ...range })));
const funnelArb = fc
  .record({
    steps: fc.array(eventRefArb, { minLength: 2, maxLength: 4 }),
    conversionWindow: fc.record({ amount: fc.integer({ min: 1, max: 3 }), unit: fc.constantFrom('hour', 'day', 'week', 'month') }),
    range: rangeArb,
    segments: segmentsArb,
  })
  .map(({ range, ...r }) => funnelRequestSchema.parse(clean({ ...r, ...range })));
const retentionArb = fc
  .record({ start: eventRefArb, return: eventRefArb, period: fc.constantFrom('day', 'week'), periods: fc.integer({ min: 1, max: 8 }), range: rangeArb, segments: segmentsArb })
  .map(({ range, ...r }) => retentionRequestSchema.parse(clean({ ...r, ...range })));

async function rowsOf(q: CompiledQuery): Promise<Row[]> {
  return engine.rows(q);
}

async function same<T>(data: EvalData, expected: T, compiled: CompiledChart<T>, what: unknown) {
  await engine.load(data);
  const actual = compiled.decode(await rowsOf(compiled));
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`SQL on ${engine.name} and reference differ\nexpected ${JSON.stringify(expected)}\ngot ${JSON.stringify(actual)}\nrequest ${JSON.stringify(what)}\nsql ${compiled.sql}\nparams ${JSON.stringify(compiled.params)}`);
  }
}

const runs = (n: number) => Math.max(1, Math.round(n * Number(process.env.COHORT_FC_SCALE ?? '1')));
const TIMEOUT = 120_000 * Math.max(1, Number(process.env.COHORT_FC_SCALE ?? '1'));

const contextArb = fc.record({ data: dataArb, asOf: asOfArb, d: simpleDefinition, hot: fc.subarray(HOT_PATHS) });
const ctxOf = (c: { asOf: Date; d: Definition; hot: string[][] }) => ({ asOf: c.asOf, resolveCohort: resolver({ S: 'static', D: c.d }) });

for (const spec of await cohortEngines()) {
  describe.skipIf(spec.skip !== undefined)(`compiled analytics SQL on ${spec.name} == reference implementation`, () => {
    beforeAll(async () => {
      engine = await spec.open({ hot: HOT_PATHS });
      charts = engine.dialect.name === 'duckdb' ? duckdbAnalyticsDialect : clickhouseAnalyticsDialect;
    });
    afterAll(async () => {
      await engine?.close();
    });

    it('segmentation', async () => {
      await fc.assert(
        fc.asyncProperty(contextArb, segmentationArb, async (c, req) => {
          const ctx = ctxOf(c);
          await same(c.data, segmentationReference(c.data, req, ctx), compileSegmentation(req, { ...ctx, materialized: engine.materialized(c.hot) }, charts), { req, asOf: c.asOf });
        }),
        { numRuns: runs(Math.max(10, Math.round(120 * spec.runScale))) },
      );
    }, TIMEOUT);

    it('funnel', async () => {
      await fc.assert(
        fc.asyncProperty(contextArb, funnelArb, async (c, req) => {
          const ctx = ctxOf(c);
          await same(c.data, funnelReference(c.data, req, ctx), compileFunnel(req, { ...ctx, materialized: engine.materialized(c.hot) }, charts), { req, asOf: c.asOf });
        }),
        { numRuns: runs(Math.max(10, Math.round(120 * spec.runScale))) },
      );
    }, TIMEOUT);

    it('retention', async () => {
      await fc.assert(
        fc.asyncProperty(contextArb, retentionArb, async (c, req) => {
          const ctx = ctxOf(c);
          await same(c.data, retentionReference(c.data, req, ctx), compileRetention(req, { ...ctx, materialized: engine.materialized(c.hot) }, charts), { req, asOf: c.asOf });
        }),
        { numRuns: runs(Math.max(10, Math.round(120 * spec.runScale))) },
      );
    }, TIMEOUT);
  });
}
