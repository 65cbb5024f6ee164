import { describe, expect, it } from 'vitest';
import { describeCondition, describeDefinition, describeInstant, describeRule, describeWindow } from './describe-definition.js';
import { BRIEF_EXAMPLE, DOWNLOADED_NEVER_SIGNED_UP } from './examples.js';

describe('describeDefinition', () => {
  it('reads the brief example as the brief says it', () => {
    expect(describeDefinition(BRIEF_EXAMPLE)).toBe(
      'Performed purchase where brand = something and price > 1000 more than once, on or after 22 Mar 2023',
    );
  });

  it('joins top-level rules with and / or and reads "did not perform"', () => {
    expect(describeDefinition(DOWNLOADED_NEVER_SIGNED_UP)).toBe('Performed app_download, and did not perform signup_activity');
    expect(describeDefinition({ ...DOWNLOADED_NEVER_SIGNED_UP, match: 'any' })).toBe('Performed app_download, or did not perform signup_activity');
    expect(describeDefinition({ match: 'all', rules: [] })).toBe('No conditions yet');
  });

  it('event rules: counts, days, aggregates, any-of filters, windows', () => {
    expect(describeRule({ type: 'event', event: 'view', count: { op: 'gte', value: 3 }, window: { type: 'last', amount: 30, unit: 'day' } }))
      .toBe('Performed view at least 3 times, in the last 30 days');
    expect(describeRule({ type: 'event', event: 'view', count: { op: 'eq', value: 1 }, window: { type: 'last', amount: 1, unit: 'week' } }))
      .toBe('Performed view exactly once, in the last week');
    expect(describeRule({ type: 'event', event: 'login', countBy: 'days', count: { op: 'gte', value: 5 } }))
      .toBe('Performed login on at least 5 different days');
    expect(describeRule({ type: 'event', event: 'cart', count: { op: 'between', value: [2, 4] } }))
      .toBe('Performed cart between 2 and 4 times');
    expect(describeRule({ type: 'event', event: 'cart', count: { op: 'lt', value: 2 } })).toBe('Performed cart fewer than twice');
    expect(describeRule({
      type: 'event', event: 'purchase', whereMatch: 'any',
      where: [{ property: 'brand', op: 'in', value: ['a', 'b'] }, { property: 'coupon', op: 'is_set' }],
      aggregate: { fn: 'sum', property: 'price', op: 'gt', value: 100 },
      window: { type: 'between', from: '2024-01-01', to: '2024-02-01T12:30:00Z' },
    })).toBe('Performed purchase where brand is one of a, b or coupon is set with total price > 100, from 1 Jan 2024 until before 1 Feb 2024 12:30 UTC');
    expect(describeRule({ type: 'event', event: 'signup', negate: true, window: { type: 'until', to: '2023-01-01' } }))
      .toBe('Did not perform signup before 1 Jan 2023');
  });

  it('a negated event rule never claims a default count ("at least 1 times")', () => {
    const text = describeRule({ type: 'event', event: 'purchase', negate: true, count: { op: 'gte', value: 1 } });
    expect(text).toBe('Did not perform purchase');
  });

  it('sequence and first_time rules', () => {
    expect(describeRule({
      type: 'sequence', steps: [{ event: 'view' }, { event: 'cart', where: [{ property: 'qty', op: 'gte', value: 2 }] }, { event: 'purchase' }],
      within: { amount: 1, unit: 'day' }, window: { type: 'last', amount: 7, unit: 'day' },
    })).toBe('Performed view, then cart where qty ≥ 2, then purchase all within 1 day, starting in the last 7 days');
    expect(describeRule({ type: 'first_time', event: 'purchase', window: { type: 'since', from: '2024-03-01' } }))
      .toBe('Performed purchase for the first time on or after 1 Mar 2024');
  });

  it('property, cohort and nested group rules', () => {
    expect(describeRule({ type: 'property', property: 'plan', op: 'eq', value: 'pro' })).toBe('Has plan = pro');
    expect(describeRule({ type: 'property', property: 'email', op: 'ends_with', value: '@acme.com', negate: true }))
      .toBe('Does not have email ends with "@acme.com"');
    expect(describeRule({ type: 'cohort', cohortId: 'c1' }, { cohortName: (id) => (id === 'c1' ? 'Big spenders' : undefined) }))
      .toBe('In cohort Big spenders');
    expect(describeRule({ type: 'cohort', cohortId: 'c9', negate: true })).toBe('Not in cohort c9');
    expect(describeRule({
      type: 'group', match: 'any', negate: true,
      rules: [{ type: 'event', event: 'a' }, { type: 'property', property: 'vip', op: 'eq', value: true }],
    })).toBe('Not (performed a or has vip = true)');
  });

  it('regularly, stopped and restarted rules', () => {
    expect(describeRule({ type: 'regularly', event: 'login', period: 'week', periods: 4, atLeast: 3 }))
      .toBe('Performed login in at least 3 of the last 4 weeks');
    expect(describeRule({ type: 'regularly', event: 'login', period: 'day', periods: 1, atLeast: 1, negate: true }))
      .toBe('Did not perform login in at least 1 of the last 1 day');
    expect(describeRule({ type: 'stopped', event: 'purchase', active: { amount: 30, unit: 'day' }, inactive: { amount: 2, unit: 'week' } }))
      .toBe('Stopped performing purchase: did it in the 30 days before the last 2 weeks, and not since');
    expect(describeRule({
      type: 'restarted', event: 'open', where: [{ property: 'os', op: 'eq', value: 'ios' }],
      inactive: { amount: 1, unit: 'month' }, returned: { amount: 7, unit: 'day' },
    })).toBe('Came back to open where os = ios: did it in the last 7 days after a gap of 1 month, having done it before');
  });

  it('drafts with missing values read "…" instead of failing', () => {
    expect(describeRule({ type: 'event', event: '', where: [{ property: 'brand', op: 'eq', value: '' }] }))
      .toBe('Performed … where brand = …');
    expect(describeCondition('price', 'between', undefined)).toBe('price between … and …');
    expect(describeWindow({ type: 'since', from: '' })).toBe('on or after …');
  });

  it('every filter operator has words', () => {
    const ops = ['eq', 'neq', 'contains', 'not_contains', 'starts_with', 'ends_with', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'not_in',
      'is_set', 'is_not_set', 'before', 'after', 'regex'] as const;
    for (const op of ops) expect(describeCondition('p', op, op === 'between' ? [1, 2] : 'x')).toMatch(/^p \S/);
    expect(describeCondition('d', 'after', '2023-03-22T10:00:00+02:00')).toBe('d is after 22 Mar 2023 08:00 UTC');
    expect(describeInstant('2023-03-22')).toBe('22 Mar 2023');
  });
});
