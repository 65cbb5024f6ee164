import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DedupIndex, fingerprint, messageFingerprint } from './dedup-index.js';

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

  it('addIfNew agrees with has-then-add of a set, across days of the window, under random keys and days', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 11 })), { maxLength: 300 }), (ops) => {
        const idx = new DedupIndex(3 * DAY);
        const model = new Map<number, number>(); // key -> day added
        for (const [key, day] of ops.sort((a, b) => a[1] - b[1])) {
          const at = day * DAY + 1000;
          const inWindow = model.has(key) && model.get(key)! >= Math.floor((at - 3 * DAY) / DAY);
          expect(idx.addIfNew(key + 1, at)).toBe(!inWindow);
          if (!inWindow) model.set(key, day);
        }
      }),
    );
  });

  it('messageFingerprint(uid, id) is the fingerprint of `${uid}|${id}` (keys loaded at start and keys written agree)', () => {
    fc.assert(
      fc.property(fc.nat(), fc.string({ maxLength: 40 }), (uid, id) => {
        expect(messageFingerprint(uid, id)).toBe(fingerprint(`${uid}|${id}`));
      }),
    );
    expect(messageFingerprint(12, 'a')).not.toBe(messageFingerprint(1, '2a'));
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
