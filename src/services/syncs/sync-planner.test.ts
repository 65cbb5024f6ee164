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
