import { describe, expect, it } from 'vitest';
import { createLoginThrottle } from './login-throttle.js';
import type { SignInThrottle } from '../../storage/signin-throttle.js';
import { createPgSignInThrottle, PG_SIGNIN_THROTTLE_MIGRATIONS } from '../../storage/postgres/signin-throttle.js';
import { freshPgDatabase, noPostgres } from '../../storage/postgres/test-support/pg-test-db.js';

const MIN = 60_000;

/** Two handles on one throttle: two processes for PostgreSQL, the same object in memory. */
const impls: [string, () => Promise<[SignInThrottle, SignInThrottle]>, boolean][] = [
  [
    'memory (one process)',
    async () => {
      const t = createLoginThrottle();
      return [t, t];
    },
    false,
  ],
  [
    'PostgreSQL (two processes)',
    async () => {
      const db = await freshPgDatabase([PG_SIGNIN_THROTTLE_MIGRATIONS]);
      return [createPgSignInThrottle(db), createPgSignInThrottle(db)];
    },
    noPostgres(),
  ],
];

for (const [label, make, skip] of impls) {
  describe.skipIf(skip)(`SignInThrottle contract: ${label}`, () => {
    it('allows 10 attempts in 15 minutes across processes, then says how long to wait; clear forgets', async () => {
      const [a, b] = await make();
      for (let i = 0; i < 10; i++) expect(await (i % 2 ? b : a).attempt('a@x.io', i * 1000)).toBe(0);
      // The first failure (at 0) leaves the window at 15 min.
      expect(await a.attempt('a@x.io', 10_000)).toBe(15 * 60 - 10);
      expect(await b.attempt('a@x.io', 10_000)).toBe(15 * 60 - 10);
      expect(await b.attempt('b@x.io', 10_000)).toBe(0);
      expect(await a.attempt('a@x.io', 15 * MIN + 1)).toBe(0);
      await b.clear('a@x.io');
      for (let i = 0; i < 10; i++) expect(await a.attempt('a@x.io', 15 * MIN + 2)).toBe(0);
    });

    it('counts parallel attempts atomically: exactly 10 of 30 pass', async () => {
      const [a, b] = await make();
      const waits = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? b : a).attempt('k', 1000)));
      expect(waits.filter((w) => w === 0)).toHaveLength(10);
      expect(waits.filter((w) => w > 0)).toHaveLength(20);
    });
  });
}
