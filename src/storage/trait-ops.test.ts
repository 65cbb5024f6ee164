import { describe, expect, it } from 'vitest';
import { applyTraitOp } from './trait-ops.js';

describe('applyTraitOp (Amplitude identify operations)', () => {
  it('$set and $unset ignore the current value', () => {
    expect(applyTraitOp('$set', 1, 'x')).toBe('x');
    expect(applyTraitOp('$unset', 'x', '-')).toBeUndefined();
  });

  it('$setOnce sets only a property that holds no value (never set, or cleared)', () => {
    expect(applyTraitOp('$setOnce', undefined, 'a')).toBe('a');
    expect(applyTraitOp('$setOnce', null, 'a')).toBe('a');
    expect(applyTraitOp('$setOnce', 'first', 'a')).toBe('first');
    expect(applyTraitOp('$setOnce', 0, 'a')).toBe(0);
    expect(applyTraitOp('$setOnce', false, 'a')).toBe(false);
  });

  it('$add adds numbers, starting from 0 when the property holds no number', () => {
    expect(applyTraitOp('$add', 5, 2)).toBe(7);
    expect(applyTraitOp('$add', undefined, 2)).toBe(2);
    expect(applyTraitOp('$add', 'abc', 2)).toBe(2);
    expect(applyTraitOp('$add', '10', -3)).toBe(7);
    expect(applyTraitOp('$add', 0.1, 0.2)).toBeCloseTo(0.3);
  });

  it('$append / $prepend add values (a list adds each) to a list, making a scalar a list first', () => {
    expect(applyTraitOp('$append', undefined, 'a')).toEqual(['a']);
    expect(applyTraitOp('$append', ['a'], ['b', 'a'])).toEqual(['a', 'b', 'a']);
    expect(applyTraitOp('$append', 'x', 'y')).toEqual(['x', 'y']);
    expect(applyTraitOp('$prepend', ['a'], ['b', 'c'])).toEqual(['b', 'c', 'a']);
    expect(applyTraitOp('$prepend', undefined, 1)).toEqual([1]);
  });

  it('$preInsert / $postInsert add only values not already there', () => {
    expect(applyTraitOp('$postInsert', ['a', 'b'], ['b', 'c', 'c'])).toEqual(['a', 'b', 'c']);
    expect(applyTraitOp('$preInsert', ['a', 'b'], ['b', 'c'])).toEqual(['c', 'a', 'b']);
    expect(applyTraitOp('$postInsert', [{ id: 1 }], { id: 1 })).toEqual([{ id: 1 }]);
    expect(applyTraitOp('$preInsert', undefined, 'z')).toEqual(['z']);
  });

  it('$remove removes every occurrence of the values; nothing to remove from an unset property', () => {
    expect(applyTraitOp('$remove', ['a', 'b', 'a', 'c'], 'a')).toEqual(['b', 'c']);
    expect(applyTraitOp('$remove', ['a', 'b', 'c'], ['a', 'c'])).toEqual(['b']);
    expect(applyTraitOp('$remove', 'a', 'a')).toEqual([]);
    expect(applyTraitOp('$remove', undefined, 'a')).toBeUndefined();
  });
});
