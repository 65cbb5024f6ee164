import { describe, expect, it } from 'vitest';
import { incompleteSummary, validateDefinition } from './validate';

describe('validateDefinition (builder)', () => {
  it('calls empty fields incomplete, in plain words, including "brand =" with no value', () => {
    const issues = validateDefinition({ match: 'all', rules: [
      { type: 'event', event: '', where: [{ property: 'brand', op: 'eq', value: '' }, { property: 'price', op: 'gt' } as never] },
      { type: 'cohort', cohortId: '' },
    ] });
    expect(issues.map((i) => [i.path.join('.'), i.message, i.incomplete])).toEqual(expect.arrayContaining([
      ['rules.0.event', 'Choose an event', true],
      ['rules.0.where.1.value', 'Enter a number for price', true],
      ['rules.1.cohortId', 'Choose a cohort', true],
      ['rules.0.where.0.value', 'Enter a value for brand', true],
    ]));
    expect(incompleteSummary(issues)).toContain('Choose a cohort (condition 2)');
  });

  it('keeps real mistakes as they are and not incomplete', () => {
    const issues = validateDefinition({ match: 'all', rules: [{ type: 'event', event: 'x', count: { op: 'between', value: [5, 1] } }] });
    expect(issues).toHaveLength(1);
    expect(issues[0]!.incomplete).toBe(false);
    expect(validateDefinition({ match: 'all', rules: [{ type: 'property', property: 'plan', op: 'is_set' }] })).toEqual([]);
  });
});
