import { describe, expect, it } from 'vitest';
import { KnownIds } from './known-ids';

describe('KnownIds', () => {
  it('remembers ids until the character budget is passed, then starts over', () => {
    const known = new KnownIds(10);
    known.addAll(['abcd', 'efgh', 'abcd']);
    expect(known.has('abcd')).toBe(true);
    expect(known.has('efgh')).toBe(true);
    expect(known.has('zz')).toBe(false);
    known.addAll(['ijkl']); // 12 characters now: over the budget
    expect(known.has('ijkl')).toBe(true);
    known.addAll(['mn']); // the full set is forgotten before this one is added
    expect(known.has('abcd')).toBe(false);
    expect(known.has('ijkl')).toBe(false);
    expect(known.has('mn')).toBe(true);
  });
});
