import { describe, expect, it } from 'vitest';
import { parseDefinition, parseInstant } from './definition';
import { BRIEF_EXAMPLE } from './examples';

const briefExample = BRIEF_EXAMPLE;

const withRule = (rule: unknown) => ({ match: 'all', rules: [rule] });
const issuesOf = (input: unknown) => {
  const r = parseDefinition(input);
  if (r.ok) throw new Error('expected a rejection');
  return r.issues;
};

describe('parseDefinition', () => {
  it('accepts the spec examples', () => {
    expect(parseDefinition(briefExample)).toEqual({ ok: true, value: briefExample });
    const second = {
      match: 'all',
      rules: [
        { type: 'event', event: 'app_download' },
        { type: 'event', event: 'signup_activity', negate: true },
      ],
    };
    expect(parseDefinition(second).ok).toBe(true);
  });

  it('accepts every rule type', () => {
    const def = {
      match: 'any',
      rules: [
        { type: 'group', match: 'all', negate: true, rules: [{ type: 'cohort', cohortId: 'c1' }] },
        { type: 'event', event: 'e', countBy: 'days', whereMatch: 'any', aggregate: { fn: 'distinct', property: 'a.b', op: 'between', value: [1, 3] }, window: { type: 'last', amount: 3, unit: 'month' } },
        { type: 'sequence', steps: [{ event: 'a' }, { event: 'b', where: [{ property: 'x', op: 'in', value: [1, 'two', true] }] }], within: { amount: 2, unit: 'day' }, window: { type: 'between', from: '2023-01-01', to: '2023-02-01T00:00:00+02:00' } },
        { type: 'first_time', event: 'signup', window: { type: 'until', to: '2024-01-01T10:00:00.123Z' } },
        { type: 'property', property: 'plan', op: 'is_not_set' },
        { type: 'property', property: 'birthday', op: 'before', value: '2000-01-01' },
        { type: 'property', property: 'email', op: 'regex', value: '^[a-z]+@example\\.com$' },
      ],
    };
    expect(parseDefinition(def)).toEqual({ ok: true, value: def });
  });

  it('explains a reversed between with its path', () => {
    const issues = issuesOf(withRule({ type: 'event', event: 'x', count: { op: 'between', value: [5, 1] } }));
    expect(issues).toEqual([{ path: 'rules[0].count.value', message: 'rules[0].count.value: between needs two numbers, the lower first' }]);
  });

  it.each([
    [{ type: 'property', property: 'a', op: 'is_set', value: 1 }, 'rules[0].value', 'is_set takes no value'],
    [{ type: 'property', property: 'a', op: 'in', value: 'x' }, 'rules[0].value', 'in needs a non-empty list'],
    [{ type: 'property', property: 'a', op: 'in', value: [] }, 'rules[0].value', 'in needs a non-empty list'],
    [{ type: 'property', property: 'a', op: 'gt', value: '3' }, 'rules[0].value', 'gt needs a number'],
    [{ type: 'property', property: 'a', op: 'contains', value: 3 }, 'rules[0].value', 'contains needs a text value'],
    [{ type: 'property', property: 'a', op: 'before', value: '2023-02-30' }, 'rules[0].value', 'before needs a date'],
    [{ type: 'property', property: 'a', op: 'after', value: '2023-02-01T10:00:00' }, 'rules[0].value', 'after needs a date'],
    [{ type: 'property', property: 'a', op: 'regex', value: 'a(?=b)' }, 'rules[0].value', 'not valid RE2'],
    [{ type: 'property', property: 'a', op: 'regex', value: 'a(b' }, 'rules[0].value', 'not valid RE2'],
    [{ type: 'property', property: 'a', op: 'regex', value: '(a)\\1' }, 'rules[0].value', 'not valid RE2'],
    [{ type: 'property', property: 'a..b', op: 'is_set' }, 'rules[0].property', 'empty segment'],
    [{ type: 'property', property: 'a', op: 'like', value: 'x' }, 'rules[0].op', 'op must be one of'],
    [{ type: 'event', event: '' }, 'rules[0].event', 'needs an event name'],
    [{ type: 'event', event: 'e', negated: true }, 'rules[0]', 'unknown field "negated"'],
    [{ type: 'event', event: 'e', window: { type: 'last', amount: 0, unit: 'day' } }, 'rules[0].window.amount', 'at least 1'],
    [{ type: 'event', event: 'e', window: { type: 'last', amount: 1.5, unit: 'day' } }, 'rules[0].window.amount', 'whole number'],
    [{ type: 'event', event: 'e', window: { type: 'last', amount: 1, unit: 'year' } }, 'rules[0].window.unit', 'unit must be one of'],
    [{ type: 'event', event: 'e', window: { type: 'between', from: '2023-02-01', to: '2023-01-01' } }, 'rules[0].window.to', 'from must be before to'],
    [{ type: 'event', event: 'e', aggregate: { fn: 'median', property: 'p', op: 'gt', value: 1 } }, 'rules[0].aggregate.fn', 'fn must be one of'],
    [{ type: 'event', event: 'e', count: { op: 'gt', value: [1, 2] } }, 'rules[0].count.value', 'gt needs one number'],
    [{ type: 'sequence', steps: [{ event: 'a' }] }, 'rules[0].steps', 'at least 2 steps'],
    [{ type: 'sequence', steps: Array.from({ length: 11 }, () => ({ event: 'a' })) }, 'rules[0].steps', 'at most 10 steps'],
    [{ type: 'first_time', event: 'a' }, 'rules[0].window', ''],
    [{ type: 'cohort' }, 'rules[0].cohortId', 'needs a cohort id'],
    [{ type: 'teleport' }, 'rules[0].type', 'type must be one of group, event'],
  ])('rejects %j at %s', (rule, path, message) => {
    const issues = issuesOf(withRule(rule));
    expect(issues.map((i) => i.path)).toContain(path);
    const issue = issues.find((i) => i.path === path)!;
    expect(issue.message).toContain(message);
    expect(issue.message.startsWith(`${path}: `)).toBe(true);
  });

  it('limits rules per group to 1..50', () => {
    expect(issuesOf({ match: 'all', rules: [] })[0].message).toContain('at least 1 rule');
    const many = Array.from({ length: 51 }, () => ({ type: 'event', event: 'e' }));
    expect(issuesOf({ match: 'all', rules: many })[0].message).toContain('at most 50 rules');
    expect(parseDefinition({ match: 'all', rules: many.slice(0, 50) }).ok).toBe(true);
  });

  it('limits nesting to depth 5', () => {
    const nest = (levels: number): unknown =>
      levels === 0 ? { type: 'event', event: 'e' } : { type: 'group', match: 'all', rules: [nest(levels - 1)] };
    expect(parseDefinition({ match: 'all', rules: [nest(4)] }).ok).toBe(true);
    const issues = issuesOf({ match: 'all', rules: [nest(5)] });
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toBe('rules[0].rules[0].rules[0].rules[0].rules[0]');
    expect(issues[0].message).toContain('at most 5 levels');
  });

  it('rejects non-objects and unknown top-level fields', () => {
    expect(issuesOf(null)[0].message.length).toBeGreaterThan(0);
    expect(issuesOf({ match: 'all', rules: [{ type: 'event', event: 'e' }], negate: true })[0].message).toContain('unknown field "negate"');
    expect(issuesOf({ match: 'some', rules: [{ type: 'event', event: 'e' }] })[0]).toEqual({ path: 'match', message: 'match: match must be "all" or "any"' });
  });
});

describe('parseInstant', () => {
  it.each([
    ['2023-03-22', '2023-03-22T00:00:00.000Z'],
    ['2023-03-22T10:00:00Z', '2023-03-22T10:00:00.000Z'],
    ['2023-03-22T10:00Z', '2023-03-22T10:00:00.000Z'],
    ['2023-03-22T10:00:00.5+02:00', '2023-03-22T08:00:00.500Z'],
    ['2023-03-22T01:30:00-05:30', '2023-03-22T07:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['1000-01-01', '1000-01-01T00:00:00.000Z'],
  ])('%s is %s', (text, iso) => {
    expect(parseInstant(text)?.toISOString()).toBe(iso);
  });

  it.each(['2023-02-29', '2023-13-01', '2023-03-22T10:00:00', '2023-03-22 10:00:00Z', '2023-03-22T24:00:00Z', '0999-01-01', '2023-03-22T10:00:00.1234Z', 'yesterday', ''])(
    'rejects %s',
    (text) => {
      expect(parseInstant(text)).toBeNull();
    },
  );
});
