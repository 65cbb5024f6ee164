import { describe, expect, it } from 'vitest';
import { ApiError, extractIssues } from './errors';
import { issueMap } from '../builder/issues';

describe('API issue mapping', () => {
  it('reads route-level issues ({ field: "a.b.0" }) as paths', () => {
    const err = new ApiError(400, 'invalid_input', 'Invalid cohort', [
      { field: 'definition.rules.0.event', message: 'event needs an event name' },
      { field: 'name', message: 'name is required' },
    ]);
    expect(err.issues).toEqual([
      { path: ['definition', 'rules', 0, 'event'], message: 'event needs an event name' },
      { path: ['name'], message: 'name is required' },
    ]);
    const defIssues = issueMap(err.issues);
    expect(defIssues.get('rules.0.event')).toBe('event needs an event name');
    expect(issueMap(err.issues, false).get('name')).toBe('name is required');
  });

  it('reads definition issues ({ path: "rules[1].count.value" }) and drops the repeated path from the message', () => {
    const issues = extractIssues([{ path: 'rules[1].count.value', message: 'rules[1].count.value: gt needs one number' }]);
    expect(issues).toEqual([{ path: ['rules', 1, 'count', 'value'], message: 'gt needs one number' }]);
    expect(issueMap(issues).get('rules.1.count.value')).toBe('gt needs one number');
  });

  it('accepts zod-style arrays and { issues } wrappers, ignores junk', () => {
    expect(extractIssues({ issues: [{ path: ['rules', 0, 'window', 'from'], message: 'bad date' }] })).toEqual([
      { path: ['rules', 0, 'window', 'from'], message: 'bad date' },
    ]);
    expect(extractIssues('nope')).toEqual([]);
    expect(extractIssues([null, 3])).toEqual([]);
  });
});
