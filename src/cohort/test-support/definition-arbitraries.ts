/**
 * fast-check generators for the cohort differential tests (cohort-differential.test.ts):
 * small data sets (events with props of every JSON type, numeric and odd strings, traits, a
 * static cohort) and definitions of every rule type, nested groups included, always valid
 * per the definition schema. Numbers are small integers and halves so that sums are exact in
 * any order (floating-point sums of arbitrary values legitimately differ by summation order).
 */
import fc from 'fast-check';
import { parseDefinition, type Definition } from '../../schemas/definition';
import type { EvalData, EvalEvent, EvalTrait } from '../reference-evaluator';
const BASE = Date.UTC(2023, 0, 25); // spans the end of January and February
const STEP = 6 * 3_600_000;
export const USERS = ['u1', 'u2', 'u3', 'u4', 'u5'];
export const EVENTS = ['a', 'b', 'c'];

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

export const dataArbOf = (names: string[], maxEvents = 24) => fc
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
export const dataArb = dataArbOf(EVENTS);

export const asOfArb = fc.oneof(
  fc.integer({ min: 0, max: 170 }).map((k) => new Date(BASE + k * STEP)),
  fc.integer({ min: 0, max: 170 }).map((k) => new Date(BASE + k * STEP + 1)),
  fc.constant(new Date(Date.UTC(2023, 2, 31, 12))), // month arithmetic from the 31st
);

// ------------------------------------------------------------------ definitions

const windowInstant = fc.constantFrom('2023-01-31', '2023-02-01T12:00:00Z', '2023-02-28', '2023-03-01T00:00:00+01:00', '2023-02-10T06:00:00Z');
const unitArb = fc.constantFrom('minute', 'hour', 'day', 'week', 'month');
export const windowArb = fc.oneof(
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
export const filterArb = fc.record({ property: filterProperty, ov: opValue }).map(({ property, ov }) => ({ property, ...ov }));
export const whereArb = fc.array(filterArb, { maxLength: 2 });

export const cmpArb = fc.oneof(
  fc.record({ op: fc.constantFrom('eq', 'neq', 'gt', 'gte', 'lt', 'lte'), value: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ op: fc.constant('between'), value: pairArb(fc.integer({ min: 0, max: 3 })) }),
  // The largest counts a definition may hold (2^53 - 1, bound as BIGINT beyond int32).
  fc.record({ op: fc.constantFrom('lt', 'gt'), value: fc.constantFrom(2 ** 31, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER) }),
);
export const aggArb = fc.oneof(
  fc.record({ fn: fc.constantFrom('sum', 'avg', 'min', 'max'), property: fc.constantFrom('p', 'q', 'nested.k'), op: fc.constantFrom('eq', 'neq', 'gt', 'gte', 'lt', 'lte'), value: queryNumberV }),
  fc.record({ fn: fc.constantFrom('sum', 'avg', 'min', 'max'), property: fc.constantFrom('p', 'q'), op: fc.constant('between'), value: pairArb(queryNumberV) }),
  fc.record({ fn: fc.constant('distinct'), property: fc.constantFrom('p', 'q', 'nested'), op: fc.constantFrom('eq', 'gt', 'lt', 'gte'), value: fc.integer({ min: 0, max: 3 }) }),
);

/** Drops undefined fields so the strict schema sees only what was generated. */
export const clean = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
export const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

export const eventRule = fc
  .record({
    event: fc.constantFrom(...EVENTS), where: opt(whereArb), whereMatch: opt(fc.constantFrom('all', 'any')), count: opt(cmpArb),
    countBy: opt(fc.constantFrom('events', 'days')), aggregate: opt(aggArb), window: opt(windowArb), negate: opt(fc.boolean()),
  })
  .map((r) => clean({ type: 'event', ...r }));
const stepArb = fc.record({ event: fc.constantFrom(...EVENTS), where: opt(fc.array(filterArb, { maxLength: 1 })), whereMatch: opt(fc.constantFrom('all', 'any')) }).map(clean);
export const sequenceRule = fc
  .record({
    steps: fc.array(stepArb, { minLength: 2, maxLength: 3 }),
    within: opt(fc.record({ amount: fc.integer({ min: 1, max: 3 }), unit: fc.constantFrom('hour', 'day', 'week', 'month') })),
    window: opt(windowArb), negate: opt(fc.boolean()),
  })
  .map((r) => clean({ type: 'sequence', ...r }));
export const firstTimeRule = fc
  .record({ event: fc.constantFrom(...EVENTS), where: opt(whereArb), whereMatch: opt(fc.constantFrom('all', 'any')), window: windowArb, negate: opt(fc.boolean()) })
  .map((r) => clean({ type: 'first_time', ...r }));
export const propertyRule = fc
  .record({ property: fc.constantFrom('plan', 'score', 'addr', 'addr.city', 'nope'), ov: opValue, negate: opt(fc.boolean()) })
  .map(({ property, ov, negate }) => clean({ type: 'property', property, ...ov, negate }));
export const cohortRule = fc.record({ cohortId: fc.constantFrom('S', 'D'), negate: opt(fc.boolean()) }).map((r) => clean({ type: 'cohort', ...r }));

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
export const recurrenceRule = fc.oneof(regularlyRule, stoppedRule, restartedRule);

export const leafRule = fc.oneof({ weight: 4, arbitrary: eventRule }, { weight: 2, arbitrary: sequenceRule }, { weight: 2, arbitrary: firstTimeRule }, { weight: 2, arbitrary: propertyRule }, { weight: 1, arbitrary: cohortRule }, { weight: 2, arbitrary: recurrenceRule });
export const groupRule = (depth: number): fc.Arbitrary<unknown> =>
  fc
    .record({
      match: fc.constantFrom('all', 'any'),
      rules: fc.array(depth > 0 ? fc.oneof({ weight: 3, arbitrary: leafRule }, { weight: 1, arbitrary: groupRule(depth - 1) }) : leafRule, { minLength: 1, maxLength: 3 }),
      negate: opt(fc.boolean()),
    })
    .map((r) => clean({ type: 'group', ...r }));

export const toDefinition = (raw: { match: string; rules: unknown[] }): Definition => {
  const parsed = parseDefinition(raw);
  if (!parsed.ok) throw new Error(`generator produced an invalid definition: ${JSON.stringify(parsed.issues)}\n${JSON.stringify(raw)}`);
  return parsed.value;
};
export const definitionArb = (rule: fc.Arbitrary<unknown>) =>
  fc.record({ match: fc.constantFrom('all', 'any'), rules: fc.array(rule, { minLength: 1, maxLength: 3 }) }).map(toDefinition);

export const dynamicD = fc.record({ match: fc.constantFrom('all', 'any'), rules: fc.array(fc.oneof(eventRule, propertyRule, sequenceRule), { minLength: 1, maxLength: 2 }) }).map(toDefinition);
