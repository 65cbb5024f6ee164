/**
 * regularly / stopped / restarted with answers computed by hand from the spec
 * (calendar periods, ISO weeks, half-open intervals, month shifts). Each runs
 * through the reference evaluator AND the compiled SQL on every engine
 * of test-support/cohort-engines.ts (DuckDB, ClickHouse when configured, chdb).
 */
import { describe, expect, it } from 'vitest';
import { parseDefinition } from '../schemas/definition';
import type { EvalData } from './reference-evaluator';
import { scenarioEngines } from './test-support/scenario-engines';
import { data, ev, one } from './test-support/duckdb-fixture';

const expectMembers = scenarioEngines();

/** Users each with events named `e` at the given instants. */
function timeline(byUser: Record<string, string[]>, event = 'e'): EvalData {
  return data(Object.keys(byUser), Object.entries(byUser).flatMap(([u, times]) => times.map((t) => ev(u, event, t))));
}

describe('regularly', () => {
  // asOf is a Wednesday; its ISO week starts Monday 2024-01-08, so 3 weeks = [2023-12-25T00:00, asOf].
  const weeks = timeline({
    every: ['2023-12-25T00:00:00Z', '2024-01-07T23:59:59Z', '2024-01-10T12:00:00Z'], // first instant, a Sunday, asOf itself
    early: ['2023-12-24T23:59:59Z', '2024-01-01T00:00:00Z', '2024-01-08T09:00:00Z'], // the first is the Sunday before
    future: ['2023-12-26T00:00:00Z', '2024-01-02T00:00:00Z', '2024-01-10T12:00:00.001Z'], // the last is after asOf
    sameweek: ['2024-01-08T00:00:00Z', '2024-01-09T00:00:00Z', '2024-01-10T00:00:00Z'],
    never: [],
  });
  const asOf = '2024-01-10T12:00:00Z';
  const rule = (atLeast: number, negate?: boolean) => one({ type: 'regularly', event: 'e', period: 'week', periods: 3, atLeast, ...(negate ? { negate } : {}) });

  it('counts ISO weeks (Monday 00:00 to Sunday), the one containing asOf included', async () => {
    await expectMembers(weeks, rule(3), asOf, ['every']);
    await expectMembers(weeks, rule(2), asOf, ['every', 'early', 'future']);
    await expectMembers(weeks, rule(1), asOf, ['every', 'early', 'future', 'sameweek']);
  });

  it('negated: everyone else, those who never did it included', async () => {
    await expectMembers(weeks, rule(3, true), asOf, ['early', 'future', 'sameweek', 'never']);
  });

  it('months are calendar months (February of a leap year, asOf on the 31st)', async () => {
    const d = timeline({
      m3: ['2024-01-31T23:00:00Z', '2024-02-29T12:00:00Z', '2024-03-01T00:00:00Z'],
      dec: ['2023-12-31T23:59:59.999Z', '2024-02-15T00:00:00Z', '2024-03-15T00:00:00Z'],
      twice: ['2024-02-01T00:00:00Z', '2024-02-29T23:59:59Z', '2024-03-31T10:00:00Z'],
    });
    await expectMembers(d, one({ type: 'regularly', event: 'e', period: 'month', periods: 3, atLeast: 3 }), '2024-03-31T10:00:00Z', ['m3']);
    await expectMembers(d, one({ type: 'regularly', event: 'e', period: 'month', periods: 3, atLeast: 2 }), '2024-03-31T10:00:00Z', ['m3', 'dec', 'twice']);
  });

  it('days are UTC days; asOf at midnight makes its day hold that instant only', async () => {
    const d = timeline({
      both: ['2024-01-09T00:00:00Z', '2024-01-10T00:00:00Z'],
      before: ['2024-01-08T23:59:59Z', '2024-01-09T12:00:00Z'],
      later: ['2024-01-09T12:00:00Z', '2024-01-10T00:00:00.001Z'],
    });
    await expectMembers(d, one({ type: 'regularly', event: 'e', period: 'day', periods: 2, atLeast: 2 }), '2024-01-10T00:00:00Z', ['both']);
  });

  it('only events passing the filters count', async () => {
    const d = data(['pro', 'mixed'], [
      ev('pro', 'e', '2024-01-02T00:00:00Z', { plan: 'pro' }), ev('pro', 'e', '2024-01-09T00:00:00Z', { plan: 'pro' }),
      ev('mixed', 'e', '2024-01-02T00:00:00Z', { plan: 'pro' }), ev('mixed', 'e', '2024-01-09T00:00:00Z', { plan: 'free' }), ev('mixed', 'x', '2024-01-09T00:00:00Z', { plan: 'pro' }),
    ]);
    const def = one({ type: 'regularly', event: 'e', where: [{ property: 'plan', op: 'eq', value: 'pro' }], period: 'week', periods: 2, atLeast: 2 });
    await expectMembers(d, def, asOf, ['pro']);
  });
});

describe('stopped', () => {
  // r = asOf - 7 days = 2024-02-23T00:00; active from r - 30 days = 2024-01-24T00:00.
  const asOf = '2024-03-01T00:00:00Z';
  const rule = one({ type: 'stopped', event: 'e', active: { amount: 30, unit: 'day' }, inactive: { amount: 7, unit: 'day' } });
  const d = timeline({
    stopped: ['2024-02-22T23:59:59Z'],
    firstInstant: ['2024-01-24T00:00:00Z'],
    tooOld: ['2024-01-23T23:59:59Z'],
    backAtR: ['2024-02-10T00:00:00Z', '2024-02-23T00:00:00Z'],
    backAtAsOf: ['2024-02-10T00:00:00Z', '2024-03-01T00:00:00Z'],
    afterAsOf: ['2024-02-10T00:00:00Z', '2024-03-01T00:00:00.001Z'],
    never: [],
  });

  it('active in [r - active, r), nothing in [r, asOf]', async () => {
    await expectMembers(d, rule, asOf, ['stopped', 'firstInstant', 'afterAsOf']);
  });

  it('negated', async () => {
    await expectMembers(d, one({ ...rule.rules[0], negate: true }), asOf, ['tooOld', 'backAtR', 'backAtAsOf', 'never']);
  });

  it('month shifts clamp one after the other (Mar 31 -> Feb 29 -> Jan 29)', async () => {
    const m = timeline({ x: ['2024-01-29T12:00:00Z'], y: ['2024-01-29T11:59:59Z'], z: ['2024-02-29T11:59:59Z'], w: ['2024-02-29T12:00:00Z'] });
    const monthly = one({ type: 'stopped', event: 'e', active: { amount: 1, unit: 'month' }, inactive: { amount: 1, unit: 'month' } });
    await expectMembers(m, monthly, '2024-03-31T12:00:00Z', ['x', 'z']);
  });
});

describe('restarted', () => {
  // b = asOf - 7 days = 2024-02-23T00:00; a = b - 14 days = 2024-02-09T00:00.
  const asOf = '2024-03-01T00:00:00Z';
  const rule = one({ type: 'restarted', event: 'e', inactive: { amount: 14, unit: 'day' }, returned: { amount: 7, unit: 'day' } });
  const d = timeline({
    back: ['2024-01-15T00:00:00Z', '2024-02-23T00:00:00Z'],
    gapEdge: ['2024-02-08T23:59:59Z', '2024-02-28T00:00:00Z'],
    inGap: ['2024-01-15T00:00:00Z', '2024-02-09T00:00:00Z', '2024-02-28T00:00:00Z'],
    brandNew: ['2024-02-28T00:00:00Z'],
    gone: ['2024-01-15T00:00:00Z'],
    future: ['2024-01-15T00:00:00Z', '2024-03-01T00:00:00.001Z'],
    atAsOf: ['2024-01-15T00:00:00Z', '2024-03-01T00:00:00Z'],
  });

  it('back in [b, asOf], nothing in [a, b), something before a', async () => {
    await expectMembers(d, rule, asOf, ['back', 'gapEdge', 'atAsOf']);
  });

  it('month units', async () => {
    // asOf 2024-05-31: b = 2024-04-30, a = 2024-03-30.
    const m = timeline({ yes: ['2024-03-29T23:59:59Z', '2024-04-30T00:00:00Z'], gap: ['2024-03-01T00:00:00Z', '2024-03-30T00:00:00Z', '2024-05-01T00:00:00Z'] });
    await expectMembers(m, one({ type: 'restarted', event: 'e', inactive: { amount: 1, unit: 'month' }, returned: { amount: 1, unit: 'month' } }), '2024-05-31T00:00:00Z', ['yes']);
  });
});

describe('schema', () => {
  const issues = (rule: unknown) => {
    const r = parseDefinition({ match: 'all', rules: [rule] });
    return r.ok ? [] : r.issues.map((i) => i.message);
  };
  it('accepts the documented shapes', () => {
    expect(issues({ type: 'regularly', event: 'e', period: 'week', periods: 52, atLeast: 52 })).toEqual([]);
    expect(issues({ type: 'stopped', event: 'e', active: { amount: 1, unit: 'month' }, inactive: { amount: 2, unit: 'week' }, negate: true })).toEqual([]);
    expect(issues({ type: 'restarted', event: 'e', where: [{ property: 'p', op: 'is_set' }], inactive: { amount: 1, unit: 'day' }, returned: { amount: 1, unit: 'hour' } })).toEqual([]);
  });
  it('rejects atLeast above periods, periods beyond 1..52, missing durations and unknown fields', () => {
    expect(issues({ type: 'regularly', event: 'e', period: 'week', periods: 3, atLeast: 4 })).toEqual(['rules[0].atLeast: atLeast cannot be more than periods']);
    expect(issues({ type: 'regularly', event: 'e', period: 'week', periods: 53, atLeast: 1 })[0]).toMatch(/periods must be at most 52/);
    expect(issues({ type: 'regularly', event: 'e', period: 'year', periods: 3, atLeast: 1 })[0]).toMatch(/period must be one of day, week, month/);
    expect(issues({ type: 'regularly', event: 'e', period: 'day', periods: 3, atLeast: 0 })[0]).toMatch(/atLeast must be at least 1/);
    expect(issues({ type: 'stopped', event: 'e', active: { amount: 1, unit: 'day' } })[0]).toMatch(/^rules\[0\]\.inactive/);
    expect(issues({ type: 'restarted', event: 'e', inactive: { amount: 1, unit: 'day' }, returned: { amount: 1, unit: 'day' }, window: { type: 'all_time' } })[0]).toMatch(/unknown field "window"/);
  });
});
