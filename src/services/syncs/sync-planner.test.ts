import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planSync } from './sync-planner.js';

describe('planSync', () => {
  it('adds members not acknowledged and removes acknowledged non-members', () => {
    expect(planSync(['a', 'b', 'c'], ['b', 'd'])).toEqual({ toAdd: ['a', 'c'], toRemove: ['d'] });
    expect(planSync([], [])).toEqual({ toAdd: [], toRemove: [] });
    expect(planSync(['a', 'a'], [])).toEqual({ toAdd: ['a'], toRemove: [] });
  });

  it('acknowledged + toAdd - toRemove == members, for any sets', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 3 })), fc.uniqueArray(fc.string({ maxLength: 3 })), (members, acked) => {
        const { toAdd, toRemove } = planSync(members, acked);
        const result = new Set(acked);
        toAdd.forEach((u) => result.add(u));
        toRemove.forEach((u) => result.delete(u));
        expect([...result].sort()).toEqual([...new Set(members)].sort());
        expect(toAdd.every((u) => !acked.includes(u))).toBe(true);
        expect(toRemove.every((u) => !members.includes(u))).toBe(true);
      }),
    );
  });

  it('the sorted merge path plans what the hash path plans, orders kept', () => {
    const sorted = (xs: string[]) => [...new Set(xs)].sort();
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 3, unit: 'binary' })), fc.array(fc.string({ maxLength: 3, unit: 'binary' })), (m, a) => {
        const members = sorted(m);
        const acked = sorted(a);
        // Iterables (not arrays) always take the hash path.
        const hashed = planSync(new Set(members), new Set(acked));
        expect(planSync(members, acked)).toEqual(hashed);
        expect(planSync(members, acked).toAdd).toEqual(members.filter((u) => !acked.includes(u)));
        expect(planSync(members, acked).toRemove).toEqual(acked.filter((u) => !members.includes(u)));
      }),
    );
    // Not ascending, or duplicated: the hash path, still right.
    expect(planSync(['b', 'a', 'c'], ['a', 'd'])).toEqual({ toAdd: ['b', 'c'], toRemove: ['d'] });
    expect(planSync(['a', 'a', 'b'], ['b'])).toEqual({ toAdd: ['a'], toRemove: [] });
  });

  it('plans 1M members with 10k movers (timing lives in the benchmark)', () => {
    const members = Array.from({ length: 1_000_000 }, (_, i) => `user-${i}`);
    const acked = members.slice(5_000).concat(Array.from({ length: 5_000 }, (_, i) => `gone-${i}`));
    const { toAdd, toRemove } = planSync(members, acked);
    expect(toAdd).toHaveLength(5_000);
    expect(toRemove).toHaveLength(5_000);
    expect(toAdd[0]).toBe('user-0');
    expect(toRemove[4_999]).toBe('gone-4999');
  });
});
