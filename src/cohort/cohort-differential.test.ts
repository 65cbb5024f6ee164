/**
 * Property-based differential tests: random small data sets × random
 * definitions of every rule type × random asOf; the compiled SQL on every
 * engine (test-support/cohort-engines.ts: DuckDB, the ClickHouse server of
 * KOHORT_TEST_CLICKHOUSE_URL, chdb) must return exactly the reference
 * evaluator's members. Engines reached over a network run fewer cases.
 *
 * The data and definitions come from test-support/definition-arbitraries.ts.
 *
 * The store keeps hot property columns for some paths (values of every JSON
 * type, nulls, missing keys, numeric strings); each case compiles with a random
 * subset of them (none included), so queries read JSON, columns, or a mix.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { parseDefinition, type Definition } from '../schemas/definition';
import { compileDefinition } from './cohort-compiler';
import { evaluateDefinition, type EvalData } from './reference-evaluator';
import { resolver } from './test-support/duckdb-fixture';
import { cohortEngines, type CohortEngine } from './test-support/cohort-engines';
import {
  USERS,
  EVENTS,
  dataArbOf,
  dataArb,
  asOfArb,
  windowArb,
  filterArb,
  whereArb,
  cmpArb,
  aggArb,
  clean,
  opt,
  eventRule,
  sequenceRule,
  firstTimeRule,
  propertyRule,
  cohortRule,
  recurrenceRule,
  leafRule,
  groupRule,
  toDefinition,
  definitionArb,
  dynamicD,
} from './test-support/definition-arbitraries';
import { assembleExplanation, compileExplain } from './explain-compiler';
import type { Explained } from '../schemas/cohort-insight';

const HOT_PATHS = [['p'], ['q'], ['nested', 'k'], ['nested'], ['missing']];
/** The engine of the describe block running (blocks run one after another). */
let engine: CohortEngine;


// ------------------------------------------------------------------ the property

/** Where the store's summaries stop (a share of the events' seqs) and which user was merged after. */
interface Cut {
  share: number;
  merged?: string;
}

async function sameMembers(data: EvalData, asOf: Date, d: Definition, defs: Definition[], hot: string[][], cut?: Cut) {
  const ctx = { asOf, resolveCohort: resolver({ S: 'static', D: d }) };
  await engine.load(data);
  const seqs = data.events.map((e) => e.seq).sort((a, b) => a - b);
  const upTo = cut && (seqs[Math.floor(cut.share * seqs.length) - 1] ?? 0);
  const rollup = cut && engine.rollup ? await engine.rollup(upTo!, cut.merged) : undefined;
  for (const definition of defs) {
    const expected = [...evaluateDefinition(data, definition, ctx)].sort();
    const compiled = compileDefinition(definition, { ...ctx, materialized: engine.materialized(hot), rollup }, engine.dialect);
    const actual = [...(await engine.members(compiled))].sort();
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      throw new Error(
        `SQL on ${engine.name} and evaluator differ as of ${asOf.toISOString()} (hot columns ${JSON.stringify(hot)}, summaries ${JSON.stringify(cut && { upTo, ...cut })})\nexpected ${JSON.stringify(expected)} got ${JSON.stringify(actual)}\ndefinition ${JSON.stringify(definition)}\nD ${JSON.stringify(d)}\nsql ${compiled.sql}\nparams ${JSON.stringify(compiled.params)}`,
      );
    }
  }
}

/**
 * Explain, for every user: `member` is the compiled cohort's membership (and the
 * evaluator's), and each rule's `result` is the evaluator's answer for that rule
 * alone, negate included; a group's result follows from its rules'.
 */
async function explainAgrees(data: EvalData, asOf: Date, d: Definition, defs: Definition[], hot: string[][]) {
  const ctx = { asOf, resolveCohort: resolver({ S: 'static', D: d }), materialized: engine.materialized(hot) };
  await engine.load(data);
  for (const definition of defs) {
    const bySql = await engine.members(compileDefinition(definition, ctx, engine.dialect));
    for (const [i, user] of data.users.entries()) {
      const plan = compileExplain(definition, i + 1, ctx, engine.dialect);
      const rows = await engine.explain(i + 1, plan.query, plan.events);
      const e = assembleExplanation(definition, plan.nodes, rows);
      const problems: string[] = [];
      if (e.member !== bySql.has(user)) problems.push(`member ${e.member}, compiled cohort says ${bySql.has(user)}`);
      const check = (x: Explained, rule: Definition['rules'][number]) => {
        const alone = evaluateDefinition(data, { match: 'all', rules: [rule] }, ctx).has(user);
        if (x.result !== alone) problems.push(`${x.path}: result ${x.result}, evaluator ${alone}`);
        if (rule.type === 'group') {
          rule.rules.forEach((r, j) => check(x.rules![j], r));
          const parts = x.rules!.map((c) => c.result);
          const combined = (rule.match === 'all' ? parts.every(Boolean) : parts.some(Boolean)) !== (rule.negate === true);
          if (combined !== x.result) problems.push(`${x.path}: group result ${x.result} does not follow from its rules`);
        }
        if (x.events && x.events.length > 10) problems.push(`${x.path}: ${x.events.length} events`);
      };
      definition.rules.forEach((r, j) => check(e.rules[j], r));
      if (problems.length) throw new Error(`explain on ${engine.name} of ${user} as of ${asOf.toISOString()}: ${problems.join('; ')}\ndefinition ${JSON.stringify(definition)}\nD ${JSON.stringify(d)}`);
    }
  }
}

/** COHORT_FC_SCALE=10 for a long soak; the default keeps the file well under a minute. */
const runs = (n: number) => Math.max(1, Math.round(n * Number(process.env.COHORT_FC_SCALE ?? '1')));

/** Each property awaits every case; a timed-out test would keep loading the shared fixture under the next one. */
const TIMEOUT = 120_000 * Math.max(1, Number(process.env.COHORT_FC_SCALE ?? '1'));

const runProperty = (defs: fc.Arbitrary<Definition[]>, numRuns: number, data = dataArb) =>
  fc.assert(
    fc.asyncProperty(data, asOfArb, dynamicD, defs, fc.subarray(HOT_PATHS), (data, asOf, d, ds, hot) => sameMembers(data, asOf, d, ds, hot)),
    { numRuns },
  );

/**
 * With the store's per-(event, person) summaries built at a random point of the events (none,
 * some, all), sometimes with a user merged after it, and asOf before or after the rows.
 */
const mostlyNone = <T>(a: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: a });
const cutArb = fc.record({ share: fc.constantFrom(0, 0.5, 0.8, 1, 1), merged: opt(fc.constantFrom(...USERS.slice(0, 4))) });
/** Two event names and more events: people often have rows of a name on both sides of the cut and of asOf. */
const runRollupProperty = (defs: fc.Arbitrary<Definition[]>, numRuns: number) =>
  fc.assert(
    fc.asyncProperty(dataArbOf(['a', 'b'], 40), asOfArb, dynamicD, defs, fc.subarray(HOT_PATHS), cutArb, (data, asOf, d, ds, hot, cut) => sameMembers(data, asOf, d, ds, hot, cut)),
    { numRuns },
  );

/** The properties every engine must pass; `scale` multiplies the number of cases. */
const PROPERTIES: { name: string; check: (scale: number) => Promise<void> }[] = [
  {
    name: 'event rules with filters, counts, aggregates and windows',
    check: (s) => runProperty(fc.array(definitionArb(eventRule), { minLength: 4, maxLength: 4 }), runs(100 * s)),
  },
  {
    name: 'sequences and first_time',
    check: (s) => runProperty(fc.array(definitionArb(fc.oneof(sequenceRule, firstTimeRule)), { minLength: 4, maxLength: 4 }), runs(90 * s)),
  },
  {
    name: 'regularly, stopped and restarted',
    check: (s) => runProperty(fc.array(definitionArb(recurrenceRule), { minLength: 4, maxLength: 4 }), runs(100 * s)),
  },
  {
    name: 'property rules and cohort references',
    check: (s) => runProperty(fc.array(definitionArb(fc.oneof(propertyRule, cohortRule)), { minLength: 4, maxLength: 4 }), runs(90 * s)),
  },
  {
    name: 'nested groups mixing every rule type, with negation',
    check: (s) => runProperty(fc.array(definitionArb(fc.oneof(leafRule, groupRule(2))), { minLength: 3, maxLength: 3 }), runs(50 * s)),
  },
  {
    name: 'a filter on its own, for every operator',
    check: (s) => {
      const single = filterArb.map((f) => toDefinition({ match: 'all', rules: [{ type: 'event', event: 'a', where: [f] }] }));
      // Only event a, so most events are candidates for the filter.
      return runProperty(fc.array(single, { minLength: 6, maxLength: 6 }), runs(100 * s), dataArbOf(['a']));
    },
  },
  {
    name: 'distinct aggregates and first_time, the paths with their own query shapes, every path hot or not',
    check: (s) => {
      const distinctRule = fc
        .record({
          event: fc.constantFrom(...EVENTS), where: opt(whereArb), count: opt(cmpArb), countBy: opt(fc.constantFrom('events', 'days')),
          aggregate: fc.record({ fn: fc.constant('distinct'), property: fc.constantFrom('p', 'q', 'nested', 'missing'), op: fc.constantFrom('eq', 'gt', 'lt', 'gte', 'neq'), value: fc.integer({ min: 0, max: 3 }) }),
          window: opt(windowArb), negate: opt(fc.boolean()),
        })
        .map((r) => clean({ type: 'event', ...r }));
      return runProperty(fc.array(definitionArb(fc.oneof(distinctRule, firstTimeRule)), { minLength: 4, maxLength: 4 }), runs(60 * s));
    },
  },
  {
    name: 'aggregates through the store\'s per-(event, person) summaries, stale or not (engines that keep them)',
    check: (s) => {
      if (!engine.rollup) return Promise.resolve();
      const aggRule = fc
        .record({
          // Mostly what the summaries answer (no filter, count or days; no window or one ending at asOf).
          event: fc.constantFrom(...EVENTS), where: mostlyNone(whereArb), count: mostlyNone(cmpArb), countBy: mostlyNone(fc.constantFrom('events', 'days')),
          aggregate: aggArb, window: mostlyNone(windowArb), negate: opt(fc.boolean()),
        })
        .map((r) => clean({ type: 'event', ...r }));
      return runRollupProperty(fc.array(definitionArb(aggRule), { minLength: 4, maxLength: 4 }), runs(80 * s));
    },
  },
];

const specs = await cohortEngines();

for (const spec of specs) {
  describe.skipIf(spec.skip !== undefined)(`compiled SQL on ${spec.name} == reference evaluator`, () => {
    beforeAll(async () => {
      engine = await spec.open({ hot: HOT_PATHS });
    });
    afterAll(async () => {
      await engine?.close();
    });

    for (const p of PROPERTIES) it(p.name, () => p.check(spec.runScale), TIMEOUT);
  });
}

/**
 * Found by this property: on 18.16, explain rows whose `r` (`uid IN set`) was a constant in
 * one rule's row and not in another's (an empty static cohort) failed the UNION ALL.
 */
const EXPLAIN_EXAMPLES: [EvalData, Date, Definition, Definition[], string[][]][] = [
  [
    {
      users: ['u1', 'u2', 'u3', 'u4', 'u5'],
      events: [1, 2, 3].map((seq) => ({ userId: 'u1', event: 'a', ts: new Date('2023-01-25T00:00:00.000Z'), props: {}, seq })),
      traits: [{ userId: 'u1', key: 'plan', value: {}, ts: new Date('2023-01-25T00:00:00.000Z'), seq: 1000 }],
      staticMembers: { S: [] },
    },
    new Date('2023-03-31T12:00:00.000Z'),
    { match: 'all', rules: [{ type: 'event', event: 'a' }] } as Definition,
    [
      { match: 'all', rules: [{ type: 'group', match: 'all', rules: [{ type: 'property', property: 'plan', op: 'eq', value: false }] }, { type: 'cohort', cohortId: 'S' }] } as Definition,
      { match: 'all', rules: [{ type: 'group', match: 'all', rules: [{ type: 'sequence', steps: [{ event: 'a' }, { event: 'a' }] }] }] } as Definition,
    ],
    [],
  ],
];

for (const spec of specs) {
  describe.skipIf(spec.skip !== undefined)(`explain on ${spec.name}`, () => {
    beforeAll(async () => {
      engine = await spec.open({ hot: HOT_PATHS });
    });
    afterAll(async () => {
      await engine?.close();
    });

    it('explain: member is the compiled membership, every result the evaluator\'s for the rule alone', async () => {
      await fc.assert(
        fc.asyncProperty(dataArb, asOfArb, dynamicD, fc.array(definitionArb(fc.oneof(leafRule, groupRule(2))), { minLength: 2, maxLength: 2 }), fc.subarray(HOT_PATHS), explainAgrees),
        { numRuns: runs(Math.max(5, Math.round(25 * spec.runScale))), examples: EXPLAIN_EXAMPLES },
      );
    }, TIMEOUT);
  });
}

it('generates valid definitions only', () => {
  fc.assert(fc.property(definitionArb(fc.oneof(leafRule, groupRule(2))), (d) => parseDefinition(d).ok), { numRuns: 200 });
});
