import { describe, expect, it } from 'vitest';
import { ApiError, errorMessage, extractIssues, NetworkError } from './errors';
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

  it('words a 403 as a missing permission, keeping the server\'s reason', () => {
    const msg = errorMessage(new ApiError(403, 'forbidden', 'Creating destinations needs the admin role'));
    expect(msg).toBe("You don't have permission to do this. Creating destinations needs the admin role");
    expect(errorMessage(new ApiError(409, 'last_owner', 'The last owner cannot be demoted'))).toBe('The last owner cannot be demoted');
    expect(errorMessage(new NetworkError(new Error('x')))).toBe('The Kohort server could not be reached.');
  });
});
