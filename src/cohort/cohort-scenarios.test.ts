/**
 * Scenarios that read like the spec: events in, definition, expected users out.
 * Each one runs through the reference evaluator AND the compiled SQL on every engine
 * of test-support/cohort-engines.ts (DuckDB, ClickHouse when configured, chdb).
 */
import { describe, expect, it } from 'vitest';
import { compileDefinition } from './cohort-compiler';
import { CohortCycleError, UnknownCohortError, type CohortResolver } from './cohort-references';
import { evaluateDefinition } from './reference-evaluator';
import { scenarioEngines } from './test-support/scenario-engines';
import { all, data, def, ev, one, resolver, trait } from './test-support/duckdb-fixture';

const noCohorts: CohortResolver = () => undefined;

const expectMembers = scenarioEngines();

const NOW = '2024-01-01T00:00:00Z';

describe('spec examples', () => {
  it('brand "something" priced above 1000 more than once since 22 March 2023', async () => {
    const brief = one({
      type: 'event', event: 'purchase',
      where: [{ property: 'brand', op: 'eq', value: 'something' }, { property: 'price', op: 'gt', value: 1000 }],
      count: { op: 'gt', value: 1 }, window: { type: 'since', from: '2023-03-22' },
    });
    const p = (u: string, ts: string, brand: unknown, price: unknown) => ev(u, 'purchase', ts, { brand, price });
    await expectMembers(
      data(['alice', 'bob', 'carol', 'dave', 'erin'], [
        p('alice', '2023-03-22T00:00:00Z', 'something', 1500), p('alice', '2023-06-01T00:00:00Z', 'something', '1001'),
        p('bob', '2023-03-21T23:59:59Z', 'something', 2000), p('bob', '2023-04-01T00:00:00Z', 'something', 2000), // one before the window
        p('carol', '2023-05-01T00:00:00Z', 'something', 1000), p('carol', '2023-05-02T00:00:00Z', 'something', 5000), // 1000 is not above 1000
        p('dave', '2023-05-01T00:00:00Z', 'Something', 5000), p('dave', '2023-05-02T00:00:00Z', 'something', 5000), // brand is exact
        ev('erin', 'view', '2023-05-01T00:00:00Z', { brand: 'something', price: 5000 }), p('erin', '2023-05-01T00:00:00Z', 'something', 5000), p('erin', '2023-05-01T00:00:00Z', 'something', 5000),
      ]),
      brief, NOW, ['alice', 'erin'],
    );
  });

  it('downloaded the app but never signed up', async () => {
    await expectMembers(
      data(['a', 'b', 'c'], [ev('a', 'app_download', '2023-01-01'), ev('b', 'app_download', '2023-01-01'), ev('b', 'signup_activity', '2023-01-02'), ev('c', 'signup_activity', '2023-01-02')]),
      all({ type: 'event', event: 'app_download' }, { type: 'event', event: 'signup_activity', negate: true }),
      NOW, ['a'],
    );
  });
});

describe('event rules', () => {
  const d = data(['none', 'two', 'three'], [
    ev('two', 'login', '2023-01-01'), ev('two', 'login', '2023-01-02'),
    ev('three', 'login', '2023-01-01'), ev('three', 'login', '2023-01-02'), ev('three', 'login', '2023-01-03'),
  ]);

  it('count lt 3 includes users who never did the event', async () => {
    await expectMembers(d, one({ type: 'event', event: 'login', count: { op: 'lt', value: 3 } }), NOW, ['none', 'two']);
    await expectMembers(d, one({ type: 'event', event: 'login', count: { op: 'eq', value: 0 } }), NOW, ['none']);
    await expectMembers(d, one({ type: 'event', event: 'login', count: { op: 'between', value: [0, 2] } }), NOW, ['none', 'two']);
    await expectMembers(d, one({ type: 'event', event: 'login', count: { op: 'neq', value: 2 } }), NOW, ['none', 'three']);
    await expectMembers(d, one({ type: 'event', event: 'login', count: { op: 'gte', value: 3 } }), NOW, ['three']);
    await expectMembers(d, one({ type: 'event', event: 'login', count: { op: 'lt', value: 3 }, negate: true }), NOW, ['three']);
  });

  it('ignores events after asOf everywhere', async () => {
    await expectMembers(d, one({ type: 'event', event: 'login', count: { op: 'gte', value: 3 } }), '2023-01-02T00:00:00Z', []);
    await expectMembers(d, one({ type: 'event', event: 'login', count: { op: 'eq', value: 1 } }), '2023-01-01T00:00:00Z', ['two', 'three']);
  });

  it('windows are half-open: since includes from, until and between exclude to', async () => {
    const w = data(['at_from', 'at_to', 'inside'], [
      ev('at_from', 'x', '2023-03-01T00:00:00Z'), ev('at_to', 'x', '2023-04-01T00:00:00Z'), ev('inside', 'x', '2023-03-31T23:59:59.999Z'),
    ]);
    await expectMembers(w, one({ type: 'event', event: 'x', window: { type: 'since', from: '2023-03-01' } }), NOW, ['at_from', 'at_to', 'inside']);
    await expectMembers(w, one({ type: 'event', event: 'x', window: { type: 'since', from: '2023-03-01T00:00:00.001Z' } }), NOW, ['at_to', 'inside']);
    await expectMembers(w, one({ type: 'event', event: 'x', window: { type: 'until', to: '2023-04-01' } }), NOW, ['at_from', 'inside']);
    await expectMembers(w, one({ type: 'event', event: 'x', window: { type: 'between', from: '2023-03-01', to: '2023-04-01' } }), NOW, ['at_from', 'inside']);
    // Offsets are applied: 2023-04-01T02:00+02:00 is midnight UTC.
    await expectMembers(w, one({ type: 'event', event: 'x', window: { type: 'between', from: '2023-03-01T01:00:00+01:00', to: '2023-04-01T02:00:00+02:00' } }), NOW, ['at_from', 'inside']);
    await expectMembers(w, one({ type: 'event', event: 'x', window: { type: 'all_time' } }), NOW, ['at_from', 'at_to', 'inside']);
  });

  it('last N units is [asOf - N, asOf], both ends included', async () => {
    const w = data(['edge', 'before', 'at_asof', 'after'], [
      ev('edge', 'x', '2023-12-25T00:00:00Z'), ev('before', 'x', '2023-12-24T23:59:59.999Z'), ev('at_asof', 'x', NOW), ev('after', 'x', '2024-01-01T00:00:00.001Z'),
    ]);
    await expectMembers(w, one({ type: 'event', event: 'x', window: { type: 'last', amount: 7, unit: 'day' } }), NOW, ['edge', 'at_asof']);
    await expectMembers(w, one({ type: 'event', event: 'x', window: { type: 'last', amount: 1, unit: 'week' } }), NOW, ['edge', 'at_asof']);
    await expectMembers(w, one({ type: 'event', event: 'x', window: { type: 'last', amount: 168, unit: 'hour' } }), NOW, ['edge', 'at_asof']);
    await expectMembers(w, one({ type: 'event', event: 'x', window: { type: 'last', amount: 10080, unit: 'minute' } }), NOW, ['edge', 'at_asof']);
  });

  it('month is a calendar month, day clamped to the shorter month', async () => {
    const w = data(['feb28', 'feb27', 'feb29'], [
      ev('feb28', 'x', '2023-02-28T12:00:00Z'), ev('feb27', 'x', '2023-02-28T11:59:59Z'), ev('feb29', 'x', '2024-02-29T12:00:00Z'),
    ]);
    const last1 = one({ type: 'event', event: 'x', window: { type: 'last', amount: 1, unit: 'month' } });
    await expectMembers(w, last1, '2023-03-31T12:00:00Z', ['feb28']);
    await expectMembers(w, last1, '2024-03-31T12:00:00Z', ['feb29']);
    await expectMembers(w, last1, '2024-03-30T12:00:01Z', []);
    // 12 months back from 2024-02-29 is 2023-02-28.
    await expectMembers(w, one({ type: 'event', event: 'x', window: { type: 'last', amount: 12, unit: 'month' } }), '2024-02-29T12:00:00Z', ['feb28', 'feb29']);
  });

  it('countBy days counts distinct UTC days', async () => {
    const w = data(['one_day', 'two_days'], [
      ev('one_day', 'x', '2023-05-01T00:00:00Z'), ev('one_day', 'x', '2023-05-01T12:00:00Z'), ev('one_day', 'x', '2023-05-01T23:59:59.999Z'),
      ev('two_days', 'x', '2023-05-01T23:59:59Z'), ev('two_days', 'x', '2023-05-02T00:00:00Z'),
    ]);
    await expectMembers(w, one({ type: 'event', event: 'x', countBy: 'days', count: { op: 'gte', value: 2 } }), NOW, ['two_days']);
    await expectMembers(w, one({ type: 'event', event: 'x', countBy: 'days', count: { op: 'eq', value: 1 } }), NOW, ['one_day']);
    await expectMembers(w, one({ type: 'event', event: 'x', count: { op: 'gte', value: 3 } }), NOW, ['one_day']);
  });

  it('whereMatch any passes events meeting one filter', async () => {
    const w = data(['red', 'big', 'neither'], [
      ev('red', 'buy', '2023-01-01', { color: 'red', size: 1 }), ev('big', 'buy', '2023-01-01', { color: 'blue', size: 10 }), ev('neither', 'buy', '2023-01-01', { color: 'blue', size: 1 }),
    ]);
    const where = [{ property: 'color', op: 'eq', value: 'red' }, { property: 'size', op: 'gte', value: 5 }];
    await expectMembers(w, one({ type: 'event', event: 'buy', where, whereMatch: 'any' }), NOW, ['red', 'big']);
    await expectMembers(w, one({ type: 'event', event: 'buy', where, whereMatch: 'all' }), NOW, []);
    await expectMembers(w, one({ type: 'event', event: 'buy', where: [], whereMatch: 'any' }), NOW, ['red', 'big', 'neither']);
  });

  it('aggregates use numbers and numeric strings, skip other values, need a usable value', async () => {
    const w = data(['nums', 'strs', 'mixed', 'junk', 'none', 'zero_events'], [
      ev('nums', 'pay', '2023-01-01', { amount: 10 }), ev('nums', 'pay', '2023-01-02', { amount: 30 }),
      ev('strs', 'pay', '2023-01-01', { amount: '10' }), ev('strs', 'pay', '2023-01-02', { amount: '3e1' }),
      ev('mixed', 'pay', '2023-01-01', { amount: 'ten' }), ev('mixed', 'pay', '2023-01-02', { amount: true }), ev('mixed', 'pay', '2023-01-03', { amount: 40 }), ev('mixed', 'pay', '2023-01-04', { amount: ' 5' }),
      ev('junk', 'pay', '2023-01-01', { amount: 'n/a' }), ev('junk', 'pay', '2023-01-02', { amount: null }),
      ev('none', 'pay', '2023-01-01', {}),
    ]);
    const agg = (fn: string, op: string, value: unknown) => one({ type: 'event', event: 'pay', aggregate: { fn, property: 'amount', op, value } });
    await expectMembers(w, agg('sum', 'eq', 40), NOW, ['nums', 'strs', 'mixed']);
    await expectMembers(w, agg('avg', 'eq', 20), NOW, ['nums', 'strs']);
    await expectMembers(w, agg('avg', 'eq', 40), NOW, ['mixed']);
    await expectMembers(w, agg('min', 'lt', 15), NOW, ['nums', 'strs']);
    await expectMembers(w, agg('max', 'between', [30, 30]), NOW, ['nums', 'strs']);
    // No usable value never satisfies, even for "lt".
    await expectMembers(w, agg('sum', 'lt', 1000), NOW, ['nums', 'strs', 'mixed']);
    // distinct counts non-null values of any type: 'ten', true, 40, ' 5' -> 4; junk has one ('n/a').
    await expectMembers(w, agg('distinct', 'eq', 4), NOW, ['mixed']);
    await expectMembers(w, agg('distinct', 'lte', 2), NOW, ['nums', 'strs', 'junk']);
    await expectMembers(w, agg('distinct', 'lt', 1), NOW, []);
    // Count and aggregate must both hold.
    await expectMembers(w, one({ type: 'event', event: 'pay', count: { op: 'gte', value: 3 }, aggregate: { fn: 'sum', property: 'amount', op: 'gte', value: 40 } }), NOW, ['mixed']);
  });

  it('numeric comparisons read JSON numbers in any notation and only strings that parse fully', async () => {
    const w = data(['big', 'exp', 'neg', 'str', 'strexp', 'space', 'under', 'word', 'hex', 'huge', 'obj', 'bool', 'nul', 'missing'], [
      ev('big', 'e', '2023-01-01', { n: 1e21 }), ev('exp', 'e', '2023-01-01', { n: 2.5e-7 }), ev('neg', 'e', '2023-01-01', { n: -0 }),
      ev('str', 'e', '2023-01-01', { n: '2000.5' }), ev('strexp', 'e', '2023-01-01', { n: '+2E3' }), ev('space', 'e', '2023-01-01', { n: ' 2000' }),
      ev('under', 'e', '2023-01-01', { n: '2_000' }), ev('word', 'e', '2023-01-01', { n: 'Infinity' }), ev('hex', 'e', '2023-01-01', { n: '0x7D1' }),
      ev('huge', 'e', '2023-01-01', { n: '1e999' }), ev('obj', 'e', '2023-01-01', { n: { v: 2000 } }), ev('bool', 'e', '2023-01-01', { n: true }),
      ev('nul', 'e', '2023-01-01', { n: null }), ev('missing', 'e', '2023-01-01', {}),
    ]);
    const f = (op: string, value: unknown) => one({ type: 'event', event: 'e', where: [{ property: 'n', op, value }] });
    await expectMembers(w, f('gt', 1000), NOW, ['big', 'str', 'strexp']);
    await expectMembers(w, f('between', [-1, 1]), NOW, ['exp', 'neg']);
    await expectMembers(w, f('eq', 0), NOW, ['neg']);
    await expectMembers(w, f('in', [2000.5, 2000]), NOW, ['str', 'strexp']);
    await expectMembers(w, one({ type: 'event', event: 'e', aggregate: { fn: 'max', property: 'n', op: 'gt', value: 1000 } }), NOW, ['big', 'str', 'strexp']);
  });

  it('distinct treats 1 and 1.0 and -0/0 as one number, "1" and 1 as two values', async () => {
    const w = data(['a', 'b'], [
      ev('a', 'e', '2023-01-01', { v: 1 }), ev('a', 'e', '2023-01-02', { v: 1.0 }), ev('a', 'e', '2023-01-03', { v: 0 }), ev('a', 'e', '2023-01-04', { v: -0 }),
      ev('b', 'e', '2023-01-01', { v: 1 }), ev('b', 'e', '2023-01-02', { v: '1' }), ev('b', 'e', '2023-01-03', { v: { x: 1 } }), ev('b', 'e', '2023-01-04', { v: { x: 1 } }),
    ]);
    await expectMembers(w, one({ type: 'event', event: 'e', aggregate: { fn: 'distinct', property: 'v', op: 'eq', value: 2 } }), NOW, ['a']);
    await expectMembers(w, one({ type: 'event', event: 'e', aggregate: { fn: 'distinct', property: 'v', op: 'eq', value: 3 } }), NOW, ['b']);
  });
});

describe('filters', () => {
  const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
  const w = data(users, [
    ev('u1', 'e', '2023-01-01', { plan: 'Pro', n: 5, flag: true, address: { city: 'Paris' }, at: '2023-03-22T10:00:00+02:00' }),
    ev('u2', 'e', '2023-01-01', { plan: 'basic', n: '5', flag: 'true', address: { city: null }, at: '2023-03-22' }),
    ev('u3', 'e', '2023-01-01', { plan: null, n: 'five', flag: false, address: 'Paris', at: '2023-03-22T08:00:00.000001Z' }),
    ev('u4', 'e', '2023-01-01', { n: 5.5, address: { city: 'paris' }, at: 'soon' }),
    ev('u5', 'e', '2023-01-01', { plan: 'PROFESSIONAL', n: -1e3, flag: 1, at: '2023-03-22T07:59:59.999999999Z' }),
  ]);
  const f = (property: string, op: string, value?: unknown) => one({ type: 'event', event: 'e', where: [value === undefined ? { property, op } : { property, op, value }] });

  it.each([
    ['plan', 'eq', 'Pro', ['u1']],
    ['plan', 'neq', 'Pro', ['u2', 'u5']], // missing (u4) and null (u3) are not "not equal"
    ['plan', 'in', ['Pro', 'basic'], ['u1', 'u2']],
    ['plan', 'not_in', ['Pro', 'basic'], ['u5']],
    ['plan', 'contains', 'pro', ['u1', 'u5']],
    ['plan', 'not_contains', 'pro', ['u2']],
    ['plan', 'starts_with', 'PRO', ['u1', 'u5']],
    ['plan', 'ends_with', 'SIC', ['u2']],
    ['plan', 'is_set', undefined, ['u1', 'u2', 'u5']],
    ['plan', 'is_not_set', undefined, ['u3', 'u4']],
    ['plan', 'regex', '^[A-Z]+$', ['u5']],
    ['plan', 'regex', '(?i)^pro', ['u1', 'u5']],
    ['n', 'eq', 5, ['u1', 'u2']], // numbers numerically, numeric strings count
    ['n', 'eq', '5', ['u1', 'u2']], // a string equals a string exactly, and a JSON number it parses to
    ['n', 'gt', 4, ['u1', 'u2', 'u4']], // "five" is not a number
    ['n', 'lte', -1000, ['u5']],
    ['n', 'between', [5, 5.5], ['u1', 'u2', 'u4']],
    ['n', 'in', [5.5, -1000], ['u4', 'u5']],
    ['flag', 'eq', true, ['u1']], // booleans as booleans: "true" and 1 are not true
    ['flag', 'neq', true, ['u2', 'u3', 'u5']],
    ['address.city', 'eq', 'Paris', ['u1']],
    ['address.city', 'is_set', undefined, ['u1', 'u4']],
    ['address.city', 'is_not_set', undefined, ['u2', 'u3', 'u5']],
    ['address', 'is_set', undefined, ['u1', 'u2', 'u3', 'u4']],
    ['at', 'after', '2023-03-22T08:00:00Z', ['u3']],
    ['at', 'before', '2023-03-22T08:00:00Z', ['u2', 'u5']],
    ['at', 'after', '2023-03-21T23:59:59Z', ['u1', 'u2', 'u3', 'u5']],
  ])('%s %s %j', async (property, op, value, expected) => {
    await expectMembers(w, f(property as string, op as string, value), NOW, expected as string[]);
  });
});

describe('sequence', () => {
  const s2 = (extra: Record<string, unknown> = {}) => one({ type: 'sequence', steps: [{ event: 'a' }, { event: 'b' }], ...extra });

  it('needs strictly increasing timestamps', async () => {
    const w = data(['ordered', 'same_ts', 'reversed', 'then_again'], [
      ev('ordered', 'a', '2023-01-01T00:00:00Z'), ev('ordered', 'b', '2023-01-01T00:00:00.001Z'),
      ev('same_ts', 'a', '2023-01-01T00:00:00Z'), ev('same_ts', 'b', '2023-01-01T00:00:00Z'),
      ev('reversed', 'b', '2023-01-01T00:00:00Z'), ev('reversed', 'a', '2023-01-02T00:00:00Z'),
      ev('then_again', 'b', '2023-01-01T00:00:00Z'), ev('then_again', 'a', '2023-01-02T00:00:00Z'), ev('then_again', 'b', '2023-01-03T00:00:00Z'),
    ]);
    await expectMembers(w, s2(), NOW, ['ordered', 'then_again']);
    await expectMembers(w, s2({ negate: true }), NOW, ['same_ts', 'reversed']);
  });

  it('repeated steps need distinct, increasing events', async () => {
    const w = data(['twice', 'once', 'twice_same_ts'], [
      ev('twice', 'a', '2023-01-01'), ev('twice', 'a', '2023-01-02'), ev('once', 'a', '2023-01-01'),
      ev('twice_same_ts', 'a', '2023-01-01'), ev('twice_same_ts', 'a', '2023-01-01'),
    ]);
    await expectMembers(w, one({ type: 'sequence', steps: [{ event: 'a' }, { event: 'a' }] }), NOW, ['twice']);
  });

  it('step 1 inside the window; later steps may follow it; none after asOf', async () => {
    const w = data(['in', 'start_before', 'late_b'], [
      ev('in', 'a', '2023-03-31T00:00:00Z'), ev('in', 'b', '2023-04-15T00:00:00Z'),
      ev('start_before', 'a', '2023-02-28T00:00:00Z'), ev('start_before', 'b', '2023-03-15T00:00:00Z'),
      ev('late_b', 'a', '2023-03-10T00:00:00Z'), ev('late_b', 'b', '2023-06-01T00:00:00Z'),
    ]);
    const win = { type: 'between', from: '2023-03-01', to: '2023-04-01' };
    await expectMembers(w, s2({ window: win }), NOW, ['in', 'late_b']);
    await expectMembers(w, s2({ window: win }), '2023-05-01T00:00:00Z', ['in']);
  });

  it('a relative window bounds step 1; later steps before its start never count', async () => {
    const w = data(['b_before_only', 'b_before_and_after', 'a_before'], [
      ev('b_before_only', 'b', '2023-12-01T00:00:00Z'), ev('b_before_only', 'a', '2023-12-20T00:00:00Z'),
      ev('b_before_and_after', 'b', '2023-12-01T00:00:00Z'), ev('b_before_and_after', 'a', '2023-12-20T00:00:00Z'), ev('b_before_and_after', 'b', '2023-12-20T00:00:01Z'),
      ev('a_before', 'a', '2023-12-01T00:00:00Z'), ev('a_before', 'b', '2023-12-20T00:00:00Z'),
    ]);
    const last = { type: 'last', amount: 14, unit: 'day' };
    await expectMembers(w, s2({ window: last }), NOW, ['b_before_and_after']);
    await expectMembers(w, s2({ window: last, within: { amount: 1, unit: 'hour' } }), NOW, ['b_before_and_after']);
    await expectMembers(w, s2({ window: { type: 'since', from: '2023-11-01' }, within: { amount: 30, unit: 'day' } }), NOW, ['b_before_and_after', 'a_before']);
  });

  it('within bounds last step minus first step, inclusive', async () => {
    const w = data(['exact', 'over', 'second_try', 'three_steps'], [
      ev('exact', 'a', '2023-01-01T00:00:00Z'), ev('exact', 'b', '2023-01-02T00:00:00Z'),
      ev('over', 'a', '2023-01-01T00:00:00Z'), ev('over', 'b', '2023-01-02T00:00:00.001Z'),
      // The first a is too early, the second a starts a chain that fits.
      ev('second_try', 'a', '2023-01-01T00:00:00Z'), ev('second_try', 'a', '2023-01-05T00:00:00Z'), ev('second_try', 'b', '2023-01-05T12:00:00Z'),
      ev('three_steps', 'a', '2023-01-01T00:00:00Z'), ev('three_steps', 'b', '2023-01-01T10:00:00Z'), ev('three_steps', 'c', '2023-01-02T00:00:01Z'),
    ]);
    await expectMembers(w, s2({ within: { amount: 1, unit: 'day' } }), NOW, ['exact', 'second_try', 'three_steps']);
    await expectMembers(w, s2({ within: { amount: 24, unit: 'hour' } }), NOW, ['exact', 'second_try', 'three_steps']);
    await expectMembers(
      w,
      one({ type: 'sequence', steps: [{ event: 'a' }, { event: 'b' }, { event: 'c' }], within: { amount: 1, unit: 'day' } }),
      NOW, [],
    );
    await expectMembers(w, one({ type: 'sequence', steps: [{ event: 'a' }, { event: 'b' }, { event: 'c' }] }), NOW, ['three_steps']);
  });

  it('within in calendar months', async () => {
    const w = data(['fits', 'late'], [
      ev('fits', 'a', '2023-01-31T00:00:00Z'), ev('fits', 'b', '2023-02-28T00:00:00Z'),
      ev('late', 'a', '2023-01-31T00:00:00Z'), ev('late', 'b', '2023-02-28T00:00:00.001Z'),
    ]);
    await expectMembers(w, s2({ within: { amount: 1, unit: 'month' } }), NOW, ['fits']);
  });

  it('steps filter their events', async () => {
    const w = data(['x', 'y'], [
      ev('x', 'view', '2023-01-01', { page: 'pricing' }), ev('x', 'buy', '2023-01-02', { plan: 'pro' }),
      ev('y', 'view', '2023-01-01', { page: 'home' }), ev('y', 'buy', '2023-01-02', { plan: 'pro' }),
    ]);
    await expectMembers(w, one({ type: 'sequence', steps: [{ event: 'view', where: [{ property: 'page', op: 'eq', value: 'pricing' }] }, { event: 'buy' }] }), NOW, ['x']);
  });
});

describe('first_time', () => {
  it('the first ever matching event falls inside the window', async () => {
    const w = data(['new', 'old', 'never', 'old_other_plan'], [
      ev('new', 'signup', '2023-03-05'), ev('old', 'signup', '2023-01-01'), ev('old', 'signup', '2023-03-05'),
      ev('old_other_plan', 'signup', '2023-01-01', { plan: 'free' }), ev('old_other_plan', 'signup', '2023-03-05', { plan: 'pro' }),
    ]);
    const win = { type: 'between', from: '2023-03-01', to: '2023-04-01' };
    await expectMembers(w, one({ type: 'first_time', event: 'signup', window: win }), NOW, ['new']);
    await expectMembers(w, one({ type: 'first_time', event: 'signup', where: [{ property: 'plan', op: 'eq', value: 'pro' }], window: win }), NOW, ['old_other_plan']);
    await expectMembers(w, one({ type: 'first_time', event: 'signup', window: win, negate: true }), NOW, ['old', 'never', 'old_other_plan']);
    // As of before the first event, nobody did it yet.
    await expectMembers(w, one({ type: 'first_time', event: 'signup', window: { type: 'last', amount: 30, unit: 'day' } }), '2023-01-15T00:00:00Z', ['old', 'old_other_plan']);
  });
});

describe('groups', () => {
  const w = data(['a', 'b', 'c', 'd'], [ev('a', 'x', '2023-01-01'), ev('b', 'y', '2023-01-01'), ev('c', 'x', '2023-01-01'), ev('c', 'y', '2023-01-01')]);
  const x = { type: 'event', event: 'x' };
  const y = { type: 'event', event: 'y' };

  it('all is intersection, any is union', async () => {
    await expectMembers(w, def('all', x, y), NOW, ['c']);
    await expectMembers(w, def('any', x, y), NOW, ['a', 'b', 'c']);
  });

  it('nested groups with negate are complements within the universe', async () => {
    await expectMembers(w, def('all', { type: 'group', match: 'any', rules: [x, y], negate: true }), NOW, ['d']);
    await expectMembers(w, def('any', { type: 'group', match: 'all', rules: [x, y], negate: true }), NOW, ['a', 'b', 'd']);
    await expectMembers(w, def('any', { ...x, negate: true }, { ...y, negate: true }), NOW, ['a', 'b', 'd']);
    await expectMembers(w, def('any', x, { ...y, negate: true }), NOW, ['a', 'c', 'd']);
    await expectMembers(w, def('all', { ...x, negate: true }, { ...y, negate: true }), NOW, ['d']);
    await expectMembers(
      w,
      def('all', { type: 'group', match: 'all', negate: true, rules: [{ type: 'group', match: 'any', negate: true, rules: [x, { ...y, negate: true }] }] }),
      NOW, ['a', 'c', 'd'],
    );
  });
});

describe('property rules', () => {
  it('latest trait wins (ts, then seq), null clears, traits after asOf are ignored', async () => {
    const w = data(['latest', 'tie', 'cleared', 'future', 'nested', 'none'], [], [
      trait('latest', 'plan', 'free', '2023-01-01'), trait('latest', 'plan', 'pro', '2023-02-01'), trait('latest', 'plan', 'free', '2022-12-01'),
      trait('tie', 'plan', 'pro', '2023-01-01', 2), trait('tie', 'plan', 'free', '2023-01-01', 1),
      trait('cleared', 'plan', 'pro', '2023-01-01'), trait('cleared', 'plan', null, '2023-02-01'),
      trait('future', 'plan', 'free', '2023-01-01'), trait('future', 'plan', 'pro', '2025-01-01'),
      trait('nested', 'address', { city: 'Paris', zip: '75001' }, '2023-01-01'),
    ]);
    await expectMembers(w, one({ type: 'property', property: 'plan', op: 'eq', value: 'pro' }), NOW, ['latest', 'tie']);
    await expectMembers(w, one({ type: 'property', property: 'plan', op: 'is_not_set' }), NOW, ['cleared', 'nested', 'none']);
    await expectMembers(w, one({ type: 'property', property: 'plan', op: 'neq', value: 'pro' }), NOW, ['future']);
    await expectMembers(w, one({ type: 'property', property: 'plan', op: 'eq', value: 'pro' }), '2025-06-01T00:00:00Z', ['latest', 'tie', 'future']);
    await expectMembers(w, one({ type: 'property', property: 'address.zip', op: 'gte', value: 75000 }), NOW, ['nested']);
    await expectMembers(w, one({ type: 'property', property: 'address.city', op: 'is_set', negate: true }), NOW, ['latest', 'tie', 'cleared', 'future', 'none']);
  });
});

describe('cohort references', () => {
  const w = data(['a', 'b', 'c'], [ev('a', 'x', '2023-01-01'), ev('b', 'x', '2023-06-01')], [], { vip: ['b', 'c'] });

  it('static cohorts read the saved list; dynamic ones are evaluated as of the same asOf', async () => {
    const cohorts = resolver({ vip: 'static', doers: one({ type: 'event', event: 'x' }), nested: one({ type: 'cohort', cohortId: 'doers' }) });
    await expectMembers(w, one({ type: 'cohort', cohortId: 'vip' }), NOW, ['b', 'c'], cohorts);
    await expectMembers(w, one({ type: 'cohort', cohortId: 'vip', negate: true }), NOW, ['a'], cohorts);
    await expectMembers(w, one({ type: 'cohort', cohortId: 'doers' }), NOW, ['a', 'b'], cohorts);
    await expectMembers(w, one({ type: 'cohort', cohortId: 'nested' }), '2023-03-01T00:00:00Z', ['a'], cohorts);
    await expectMembers(w, all({ type: 'cohort', cohortId: 'vip' }, { type: 'cohort', cohortId: 'doers' }), NOW, ['b'], cohorts);
  });

  it('rejects unknown cohorts and cycles, naming the cycle', () => {
    const ctx = (cohorts: CohortResolver) => ({ asOf: new Date(NOW), resolveCohort: cohorts });
    const unknown = one({ type: 'cohort', cohortId: 'ghost' });
    expect(() => evaluateDefinition(w, unknown, ctx(noCohorts))).toThrow(UnknownCohortError);
    expect(() => compileDefinition(unknown, ctx(noCohorts))).toThrow(UnknownCohortError);
    const cyclic = resolver({ A: one({ type: 'cohort', cohortId: 'B' }), B: def('any', { type: 'event', event: 'x' }, { type: 'cohort', cohortId: 'A' }) });
    const root = one({ type: 'cohort', cohortId: 'A' });
    for (const run of [() => evaluateDefinition(w, root, ctx(cyclic)), () => compileDefinition(root, ctx(cyclic))]) {
      try {
        run();
        expect.unreachable('a cycle must be rejected');
      } catch (e) {
        expect(e).toBeInstanceOf(CohortCycleError);
        expect((e as CohortCycleError).cycle).toEqual(['A', 'B', 'A']);
        expect((e as Error).message).toContain('A -> B -> A');
      }
    }
  });
});
