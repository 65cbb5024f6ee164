import { describe, expect, it } from 'vitest';
import { createLoginThrottle } from './login-throttle.js';

const MIN = 60_000;

describe('login throttle', () => {
  it('allows 10 failures in 15 minutes, then says how long to wait', () => {
    const t = createLoginThrottle();
    for (let i = 0; i < 10; i++) {
      expect(t.retryAfter('a@x.io', i * 1000)).toBe(0);
      t.fail('a@x.io', i * 1000);
    }
    // The first failure (at 0) leaves the window at 15 min.
    expect(t.retryAfter('a@x.io', 10_000)).toBe(15 * 60 - 10);
    expect(t.retryAfter('b@x.io', 10_000)).toBe(0);
    expect(t.retryAfter('a@x.io', 15 * MIN + 1)).toBe(0);
  });

  it('the window slides: old failures stop counting one by one', () => {
    const t = createLoginThrottle({ max: 3, windowMs: 10 * MIN });
    t.fail('k', 0);
    t.fail('k', 5 * MIN);
    t.fail('k', 6 * MIN);
    expect(t.retryAfter('k', 7 * MIN)).toBe(3 * 60);
    expect(t.retryAfter('k', 10 * MIN + 1)).toBe(0);
    t.fail('k', 10 * MIN + 1);
    expect(t.retryAfter('k', 10 * MIN + 2)).toBeGreaterThan(0);
  });

  it('clear forgets an email (after a successful sign-in)', () => {
    const t = createLoginThrottle({ max: 2 });
    t.fail('k', 0);
    t.fail('k', 1);
    expect(t.retryAfter('k', 2)).toBeGreaterThan(0);
    t.clear('k');
    expect(t.retryAfter('k', 2)).toBe(0);
  });

  it('keeps memory bounded when many emails are tried', () => {
    const t = createLoginThrottle({ max: 2, maxKeys: 100 });
    for (let i = 0; i < 1000; i++) {
      t.fail(`user${i}@x.io`, i);
      t.fail(`user${i}@x.io`, i);
    }
    // The newest keys are still throttled; the earliest were forgotten.
    expect(t.retryAfter('user999@x.io', 1000)).toBeGreaterThan(0);
    expect(t.retryAfter('user0@x.io', 1000)).toBe(0);
  });

  it('spraying other emails does not unblock one that is blocked', () => {
    const t = createLoginThrottle({ max: 2, maxKeys: 100 });
    t.fail('victim@x.io', 0);
    t.fail('victim@x.io', 0);
    for (let i = 0; i < 1000; i++) t.fail(`spray${i}@x.io`, 1);
    expect(t.retryAfter('victim@x.io', 2)).toBeGreaterThan(0);
  });
});
