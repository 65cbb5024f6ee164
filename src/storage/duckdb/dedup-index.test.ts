import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DedupIndex, fingerprint } from './dedup-index.js';

const DAY = 86_400_000;

describe('DedupIndex', () => {
  it('behaves like a set of strings under random adds and removes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.string({ maxLength: 6 })), { maxLength: 400 }), (ops) => {
        const idx = new DedupIndex();
        const model = new Set<string>();
        for (const [add, key] of ops) {
          if (add) {
            idx.add(key, 0);
            model.add(key);
          } else {
            idx.remove(key, 0);
            model.delete(key);
          }
        }
        expect(idx.size).toBe(model.size);
        for (const [, key] of ops) expect(idx.has(key, 0)).toBe(model.has(key));
      }),
    );
  });

  it('keeps keys for the window and forgets them after', () => {
    const idx = new DedupIndex(7 * DAY);
    idx.add('u1|m1', 0);
    expect(idx.has('u1|m1', 6 * DAY)).toBe(true);
    expect(idx.has('u1|m1', 9 * DAY)).toBe(false);
    idx.prune(9 * DAY);
    expect(idx.size).toBe(0);
  });

  it('stays within its bound by dropping the oldest day', () => {
    const idx = new DedupIndex(7 * DAY, 1000);
    for (let i = 0; i < 800; i++) idx.add(`old-${i}`, 0);
    for (let i = 0; i < 800; i++) idx.add(`new-${i}`, DAY);
    expect(idx.size).toBe(800);
    expect(idx.has('new-5', DAY)).toBe(true);
    expect(idx.has('old-5', DAY)).toBe(false);
  });

  it('holds a million keys without false negatives', () => {
    const idx = new DedupIndex();
    for (let i = 0; i < 1_000_000; i++) idx.add(`${i % 1000}|msg-${i}`, 0);
    expect(idx.size).toBe(1_000_000);
    for (let i = 0; i < 1_000_000; i += 997) expect(idx.has(`${i % 1000}|msg-${i}`, 0)).toBe(true);
    expect(idx.has('nope|msg-x', 0)).toBe(false);
    expect(fingerprint('a')).not.toBe(fingerprint('b'));
  });
});
