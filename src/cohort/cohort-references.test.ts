import { describe, expect, it } from 'vitest';
import type { Definition } from '../schemas/definition';
import { assertNoCycle, CohortCycleError, findCycle, referencedCohortIds } from './cohort-references';

const ref = (id: string, negate = false) => ({ type: 'cohort' as const, cohortId: id, negate });
const def = (...ids: string[]): Definition => ({
  match: 'any',
  rules: [{ type: 'event', event: 'x' }, { type: 'group', match: 'all', rules: ids.map((id) => ref(id)) }],
});

describe('referencedCohortIds', () => {
  it('collects ids from nested groups once each, in order', () => {
    const d: Definition = { match: 'all', rules: [ref('a'), { type: 'group', match: 'any', rules: [ref('b', true), ref('a'), { type: 'group', match: 'all', rules: [ref('c')] }] }] };
    expect(referencedCohortIds(d)).toEqual(['a', 'b', 'c']);
    expect(referencedCohortIds({ match: 'all', rules: [{ type: 'event', event: 'x' }] })).toEqual([]);
  });
});

describe('findCycle', () => {
  const saved: Record<string, Definition | undefined> = { B: def('C'), C: def('A'), D: def(), S: undefined, L: def('M'), M: def('L') };
  const get = (id: string) => saved[id];

  it('finds a cycle through saved cohorts back to the root', () => {
    expect(findCycle('A', def('B'), get)).toEqual(['A', 'B', 'C', 'A']);
  });
  it('finds direct self reference', () => {
    expect(findCycle('A', def('A'), get)).toEqual(['A', 'A']);
  });
  it('uses the new definition of the root, not a saved one', () => {
    const withOldA = (id: string) => (id === 'A' ? def('B') : get(id));
    expect(findCycle('A', def('D'), withOldA)).toBeNull();
  });
  it('returns null without a cycle; static and unknown cohorts refer to nothing', () => {
    expect(findCycle('A', def('D', 'S', 'unknown'), get)).toBeNull();
  });
  it('reports a cycle among others reached from the root', () => {
    expect(findCycle('A', def('L'), get)).toEqual(['L', 'M', 'L']);
  });
  it('assertNoCycle throws a typed error naming the cycle', () => {
    expect(() => assertNoCycle('A', def('B'), get, (id) => `cohort ${id}`)).toThrow(CohortCycleError);
    try {
      assertNoCycle('A', def('B'), get, (id) => `cohort ${id}`);
    } catch (e) {
      expect((e as CohortCycleError).cycle).toEqual(['A', 'B', 'C', 'A']);
      expect((e as Error).message).toBe('Cohort definition refers to itself: cohort A -> cohort B -> cohort C -> cohort A');
    }
    expect(() => assertNoCycle('A', def('D'), get)).not.toThrow();
  });
});
