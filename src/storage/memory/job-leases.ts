import type { JobLeases } from '../job-leases.js';

/**
 * Leases inside one process: what the embedded (single-process) store uses,
 * and the test double. `now` is injectable for fake clocks.
 */
export function createMemoryJobLeases(now: () => number = Date.now): JobLeases {
  const leases = new Map<string, { owner: string; expiresAt: number }>();
  const live = (key: string) => {
    const l = leases.get(key);
    return l && l.expiresAt > now() ? l : undefined;
  };
  return {
    async acquire(key, owner, ttlMs) {
      const l = live(key);
      if (l && l.owner !== owner) return false;
      leases.set(key, { owner, expiresAt: now() + ttlMs });
      return true;
    },
    async renew(key, owner, ttlMs) {
      const l = live(key);
      if (!l || l.owner !== owner) return false;
      l.expiresAt = now() + ttlMs;
      return true;
    },
    async release(key, owner) {
      if (leases.get(key)?.owner === owner) leases.delete(key);
    },
    async held(key) {
      return live(key) !== undefined;
    },
  };
}
