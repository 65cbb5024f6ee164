/**
 * Property-based differential tests: random small data sets × random
 * definitions of every rule type × random asOf; the compiled SQL on every
 * engine (test-support/cohort-engines.ts: DuckDB, the ClickHouse server of
 * KOHORT_TEST_CLICKHOUSE_URL, chdb) must return exactly the reference
 * evaluator's members. Engines reached over a network run fewer cases.
 *
 * Numbers are small integers and halves so that sums are exact in any order
 * (floating-point sums of arbitrary values legitimately differ by summation order).
 *
 * The store keeps hot property columns for some paths (values of every JSON
 * type, nulls, missing keys, numeric strings); each case compiles with a random
 * subset of them (none included), so queries read JSON, columns, or a mix.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { parseDefinition, type Definition } from '../schemas/definition';
import { compileDefinition } from './cohort-compiler';
import { evaluateDefinition, type EvalData, type EvalEvent, type EvalTrait } from './reference-evaluator';
import { resolver } from './test-support/duckdb-fixture';
import { cohortEngines, type CohortEngine } from './test-support/cohort-engines';
import { assembleExplanation, compileExplain } from './explain-compiler';
import type { Explained } from '../schemas/cohort-insight';

const HOT_PATHS = [['p'], ['q'], ['nested', 'k'], ['nested'], ['missing']];
/** The engine of the describe block running (blocks run one after another). */
let engine: CohortEngine;

const BASE = Date.UTC(2023, 0, 25); // spans the end of January and February
const STEP = 6 * 3_600_000;
const USERS = ['u1', 'u2', 'u3', 'u4', 'u5'];
const EVENTS = ['a', 'b', 'c'];

// ------------------------------------------------------------------ values

const numberV = fc.constantFrom(-1, 0, 0.5, 1, 1.5, 2, 3, 10);
/** Beyond int32, int64 and 2^53: the engine must compare them as doubles, like the reference. */
const extremeV = fc.constantFrom(2 ** 31, 2 ** 53 + 2, 9223372036854775808, -9223372036854775808, 1e300, 1e308, -1e308, Number.MIN_VALUE);
/** Numbers in definitions: mostly ordinary, sometimes extreme. */
const queryNumberV = fc.oneof({ weight: 4, arbitrary: numberV }, { weight: 1, arbitrary: extremeV });
/** Stored numbers include a few large ones (sums of a few stay finite). */
const storedNumberV = fc.oneof({ weight: 6, arbitrary: numberV }, { weight: 1, arbitrary: fc.constantFrom(9223372036854775808, 1e300, 2 ** 53 + 2) });
const numericStrings = ['1', '1.0', '01', '+1', '.5', '5.', '1e1', '2E-1', ' 1', '1_0', '0x10', 'inf', 'NaN', '1e999', '-0'];
const textStrings = ['abc', 'ABC', 'xabcx', 'É', 'é', 'İ', 'i', 'straße', '', 'true', 'a"b', 'x\ny'];
const instantStrings = [
  '2023-02-01', '2023-02-01T00:00:00Z', '2023-02-01T02:00:00+02:00', '2023-02-01T00:00:00.000001Z', '2023-01-31T23:59:59.999999999Z',
  '2023-02-01T00:00Z', '2023-01-31T20:00:00-05:00', '2023-01-15', '2023-02-30', '2023-02-01T00:00:00', '2023-02-01 00:00:00Z', '2023-02-01T24:00:00Z',
];
const numericStringV = fc.constantFrom(...numericStrings);
const textStringV = fc.constantFrom(...textStrings);
const instantStringV = fc.constantFrom(...instantStrings);
const stringV = fc.oneof(numericStringV, textStringV, instantStringV);
const scalarV = fc.oneof({ weight: 2, arbitrary: queryNumberV }, { weight: 3, arbitrary: stringV }, { weight: 1, arbitrary: fc.boolean() });
/** A property value as stored: scalars, null, occasionally an object or array. */
const storedV = fc.oneof(
  { weight: 3, arbitrary: storedNumberV },
  { weight: 2, arbitrary: numericStringV },
  { weight: 2, arbitrary: textStringV },
  { weight: 2, arbitrary: instantStringV },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constantFrom({ k: 1 }, { k: 'abc' }, [1, 2], { k: null }) },
);

const propsArb = fc.record(
  { p: storedV, q: storedV, nested: fc.oneof(fc.record({ k: storedV }, { requiredKeys: [] }), storedV) },
  { requiredKeys: [] },
);

const tsArb = fc.integer({ min: 0, max: 160 }).map((k) => new Date(BASE + k * STEP));

const eventArbOf = (names: string[]) => fc.record({ userId: fc.constantFrom(...USERS.slice(0, 4)), event: fc.constantFrom(...names), ts: tsArb, props: propsArb });
const traitArb = fc.record({
  userId: fc.constantFrom(...USERS.slice(0, 4)),
  key: fc.constantFrom('plan', 'score', 'addr'),
  value: fc.oneof(storedV, fc.record({ city: storedV }, { requiredKeys: [] })),
  ts: tsArb,
});

const dataArbOf = (names: string[], maxEvents = 24) => fc
  .record({
    events: fc.array(eventArbOf(names), { minLength: 3, maxLength: maxEvents, size: 'medium' }),
    traits: fc.array(traitArb, { minLength: 1, maxLength: 10, size: 'medium' }),
    staticS: fc.subarray(USERS),
  })
  .map(({ events, traits, staticS }): EvalData => {
    let seq = 0;
    return {
      users: USERS,
      events: events.map((e): EvalEvent => ({ ...e, props: e.props as Record<string, unknown>, seq: ++seq })),
      // Shuffled seq order makes (ts, seq) ties meaningful.
      traits: traits.map((t, i): EvalTrait => ({ ...t, seq: ((i * 7) % 11) + 1000 })),
      staticMembers: { S: staticS },
    };
  });
const dataArb = dataArbOf(EVENTS);

const asOfArb = fc.oneof(
  fc.integer({ min: 0, max: 170 }).map((k) => new Date(BASE + k * STEP)),
  fc.integer({ min: 0, max: 170 }).map((k) => new Date(BASE + k * STEP + 1)),
  fc.constant(new Date(Date.UTC(2023, 2, 31, 12))), // month arithmetic from the 31st
);

// ------------------------------------------------------------------ definitions

const windowInstant = fc.constantFrom('2023-01-31', '2023-02-01T12:00:00Z', '2023-02-28', '2023-03-01T00:00:00+01:00', '2023-02-10T06:00:00Z');
const unitArb = fc.constantFrom('minute', 'hour', 'day', 'week', 'month');
const windowArb = fc.oneof(
  fc.constant({ type: 'all_time' }),
  fc.record({ type: fc.constant('last'), amount: fc.integer({ min: 1, max: 3 }), unit: unitArb }),
  fc.record({ type: fc.constant('last'), amount: fc.constantFrom(36, 720, 2880), unit: fc.constantFrom('minute', 'hour') }),
  fc.record({ type: fc.constant('since'), from: windowInstant }),
  fc.record({ type: fc.constant('until'), to: windowInstant }),
  fc.tuple(windowInstant, windowInstant)
    .filter(([a, b]) => new Date(a.length === 10 ? `${a}T00:00:00Z` : a).getTime() < new Date(b.length === 10 ? `${b}T00:00:00Z` : b).getTime())
    .map(([from, to]) => ({ type: 'between', from, to })),
);

const pairArb = (n: fc.Arbitrary<number>) => fc.tuple(n, n).map(([a, b]) => (a <= b ? [a, b] : [b, a]));
const filterValue = (op: string): fc.Arbitrary<unknown> => {
  switch (op) {
    case 'eq': case 'neq': return scalarV;
    case 'in': case 'not_in': return fc.array(scalarV, { minLength: 1, maxLength: 3 });
    case 'contains': case 'not_contains': case 'starts_with': case 'ends_with':
      return fc.constantFrom('a', 'A', 'bc', 'É', 'é', 'i', '', 'SS', 'ß', '"', '.', '1');
    case 'gt': case 'gte': case 'lt': case 'lte': return queryNumberV;
    case 'between': return pairArb(queryNumberV);
    case 'before': case 'after':
      return fc.constantFrom('2023-02-01', '2023-02-01T00:00:00Z', '2023-01-31T23:59:59.999Z', '2023-02-01T00:00:00.001+00:00', '2023-01-31T21:00:00-03:00', '2023-01-20');
    case 'regex': return fc.constantFrom('^a', 'c$', '(?i)abc', '[0-9]+', '^$', 'é', '^-?[0-9]', 'x.y', '(?s)x.y', '\\.', 'T', '^[0-9]+$');
    default: return fc.constant(undefined);
  }
};
const OPS = ['eq', 'neq', 'contains', 'not_contains', 'starts_with', 'ends_with', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'not_in', 'is_set', 'is_not_set', 'before', 'after', 'regex'];
const opValue = fc.constantFrom(...OPS).chain((op) => filterValue(op).map((value) => (value === undefined ? { op } : { op, value })));
const filterProperty = fc.oneof({ weight: 5, arbitrary: fc.constant('p') }, { weight: 3, arbitrary: fc.constantFrom('q', 'nested.k', 'nested', 'missing') });
const filterArb = fc.record({ property: filterProperty, ov: opValue }).map(({ property, ov }) => ({ property, ...ov }));
const whereArb = fc.array(filterArb, { maxLength: 2 });

const cmpArb = fc.oneof(
  fc.record({ op: fc.constantFrom('eq', 'neq', 'gt', 'gte', 'lt', 'lte'), value: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ op: fc.constant('between'), value: pairArb(fc.integer({ min: 0, max: 3 })) }),
  // The largest counts a definition may hold (2^53 - 1, bound as BIGINT beyond int32).
  fc.record({ op: fc.constantFrom('lt', 'gt'), value: fc.constantFrom(2 ** 31, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER) }),
);
const aggArb = fc.oneof(
  fc.record({ fn: fc.constantFrom('sum', 'avg', 'min', 'max'), property: fc.constantFrom('p', 'q', 'nested.k'), op: fc.constantFrom('eq', 'neq', 'gt', 'gte', 'lt', 'lte'), value: queryNumberV }),
  fc.record({ fn: fc.constantFrom('sum', 'avg', 'min', 'max'), property: fc.constantFrom('p', 'q'), op: fc.constant('between'), value: pairArb(queryNumberV) }),
  fc.record({ fn: fc.constant('distinct'), property: fc.constantFrom('p', 'q', 'nested'), op: fc.constantFrom('eq', 'gt', 'lt', 'gte'), value: fc.integer({ min: 0, max: 3 }) }),
);

/** Drops undefined fields so the strict schema sees only what was generated. */
const clean = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

const eventRule = fc
  .record({
    event: fc.constantFrom(...EVENTS), where: opt(whereArb), whereMatch: opt(fc.constantFrom('all', 'any')), count: opt(cmpArb),
    countBy: opt(fc.constantFrom('events', 'days')), aggregate: opt(aggArb), window: opt(windowArb), negate: opt(fc.boolean()),
  })
  .map((r) => clean({ type: 'event', ...r }));
const stepArb = fc.record({ event: fc.constantFrom(...EVENTS), where: opt(fc.array(filterArb, { maxLength: 1 })), whereMatch: opt(fc.constantFrom('all', 'any')) }).map(clean);
const sequenceRule = fc
  .record({
    steps: fc.array(stepArb, { minLength: 2, maxLength: 3 }),
    within: opt(fc.record({ amount: fc.integer({ min: 1, max: 3 }), unit: fc.constantFrom('hour', 'day', 'week', 'month') })),
    window: opt(windowArb), negate: opt(fc.boolean()),
  })
  .map((r) => clean({ type: 'sequence', ...r }));
const firstTimeRule = fc
  .record({ event: fc.constantFrom(...EVENTS), where: opt(whereArb), whereMatch: opt(fc.constantFrom('all', 'any')), window: windowArb, negate: opt(fc.boolean()) })
  .map((r) => clean({ type: 'first_time', ...r }));
const propertyRule = fc
  .record({ property: fc.constantFrom('plan', 'score', 'addr', 'addr.city', 'nope'), ov: opValue, negate: opt(fc.boolean()) })
  .map(({ property, ov, negate }) => clean({ type: 'property', property, ...ov, negate }));
const cohortRule = fc.record({ cohortId: fc.constantFrom('S', 'D'), negate: opt(fc.boolean()) }).map((r) => clean({ type: 'cohort', ...r }));

const periodsArb = fc.oneof(
  fc.record({ period: fc.constant('day'), periods: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ period: fc.constant('week'), periods: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ period: fc.constant('month'), periods: fc.integer({ min: 1, max: 3 }) }),
);
const regularlyRule = fc
  .record({ event: fc.constantFrom(...EVENTS), where: opt(whereArb), whereMatch: opt(fc.constantFrom('all', 'any')), p: periodsArb, k: fc.integer({ min: 1, max: 12 }), negate: opt(fc.boolean()) })
  .map(({ p, k, ...r }) => clean({ type: 'regularly', ...r, ...p, atLeast: Math.min(k, p.periods) }));
const durationArb = fc.oneof(
  fc.record({ amount: fc.integer({ min: 1, max: 3 }), unit: fc.constantFrom('hour', 'day', 'week', 'month') }),
  fc.record({ amount: fc.constantFrom(6, 18, 36), unit: fc.constant('hour') }),
);
const stoppedRule = fc
  .record({ event: fc.constantFrom(...EVENTS), where: opt(whereArb), whereMatch: opt(fc.constantFrom('all', 'any')), active: durationArb, inactive: durationArb, negate: opt(fc.boolean()) })
  .map((r) => clean({ type: 'stopped', ...r }));
const restartedRule = fc
  .record({ event: fc.constantFrom(...EVENTS), where: opt(whereArb), whereMatch: opt(fc.constantFrom('all', 'any')), inactive: durationArb, returned: durationArb, negate: opt(fc.boolean()) })
  .map((r) => clean({ type: 'restarted', ...r }));
const recurrenceRule = fc.oneof(regularlyRule, stoppedRule, restartedRule);

const leafRule = fc.oneof({ weight: 4, arbitrary: eventRule }, { weight: 2, arbitrary: sequenceRule }, { weight: 2, arbitrary: firstTimeRule }, { weight: 2, arbitrary: propertyRule }, { weight: 1, arbitrary: cohortRule }, { weight: 2, arbitrary: recurrenceRule });
const groupRule = (depth: number): fc.Arbitrary<unknown> =>
  fc
    .record({
      match: fc.constantFrom('all', 'any'),
      rules: fc.array(depth > 0 ? fc.oneof({ weight: 3, arbitrary: leafRule }, { weight: 1, arbitrary: groupRule(depth - 1) }) : leafRule, { minLength: 1, maxLength: 3 }),
      negate: opt(fc.boolean()),
    })
    .map((r) => clean({ type: 'group', ...r }));

const toDefinition = (raw: { match: string; rules: unknown[] }): Definition => {
  const parsed = parseDefinition(raw);
  if (!parsed.ok) throw new Error(`generator produced an invalid definition: ${JSON.stringify(parsed.issues)}\n${JSON.stringify(raw)}`);
  return parsed.value;
};
const definitionArb = (rule: fc.Arbitrary<unknown>) =>
  fc.record({ match: fc.constantFrom('all', 'any'), rules: fc.array(rule, { minLength: 1, maxLength: 3 }) }).map(toDefinition);

const dynamicD = fc.record({ match: fc.constantFrom('all', 'any'), rules: fc.array(fc.oneof(eventRule, propertyRule, sequenceRule), { minLength: 1, maxLength: 2 }) }).map(toDefinition);

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
