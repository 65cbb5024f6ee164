import type { SignInThrottle } from '../../storage/signin-throttle.js';

/**
 * Failed sign-ins per email in a sliding window (docs/TEAMS.md: 10 in 15
 * minutes, then 429). In memory: one process serves the instance, and a restart
 * forgetting failures costs an attacker a restart, not a bypass. Several
 * processes share a store's SignInThrottle instead (storage/signin-throttle.ts).
 */
export interface LoginThrottle extends SignInThrottle {
  /** Seconds until the next attempt is allowed, or 0 when allowed now. */
  retryAfter(key: string, now: number): number;
  fail(key: string, now: number): void;
  clear(key: string): void;
}

export function createLoginThrottle(opts: { max?: number; windowMs?: number; maxKeys?: number } = {}): LoginThrottle {
  const max = opts.max ?? 10;
  const windowMs = opts.windowMs ?? 15 * 60_000;
  const maxKeys = opts.maxKeys ?? 50_000;
  const failures = new Map<string, number[]>();

  const recent = (key: string, now: number) => {
    const list = (failures.get(key) ?? []).filter((t) => t > now - windowMs);
    if (list.length) failures.set(key, list);
    else failures.delete(key);
    return list;
  };

  /** Keeps memory bounded when many different emails are tried. */
  const sweep = (now: number, current: string) => {
    for (const key of failures.keys()) recent(key, now);
    // Still too many live keys: forget emails that are not blocked first (stalest first), so
    // spraying other emails cannot unblock one under attack; blocked ones go only as a last resort.
    for (const [key, list] of failures) {
      if (failures.size <= maxKeys) return;
      if (list.length < max && key !== current) failures.delete(key);
    }
    for (const key of failures.keys()) {
      if (failures.size <= maxKeys) break;
      failures.delete(key);
    }
  };

  const throttle: LoginThrottle = {
    attempt(key, now) {
      const wait = throttle.retryAfter(key, now);
      if (wait === 0) throttle.fail(key, now);
      return wait;
    },
    retryAfter(key, now) {
      const list = recent(key, now);
      if (list.length < max) return 0;
      // Allowed again once the oldest failure that keeps the count at max leaves the window.
      const oldest = list[list.length - max];
      return Math.max(1, Math.ceil((oldest + windowMs - now) / 1000));
    },
    fail(key, now) {
      const list = recent(key, now);
      list.push(now);
      // Re-inserted so the Map's order is by last failure (the sweep drops the stalest first).
      failures.delete(key);
      failures.set(key, list.slice(-max));
      if (failures.size > maxKeys) sweep(now, key);
    },
    clear(key) {
      failures.delete(key);
    },
  };
  return throttle;
}
