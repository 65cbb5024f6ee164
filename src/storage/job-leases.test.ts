import { describe, expect, it } from 'vitest';
import type { JobLeases } from './job-leases.js';
import { createMemoryJobLeases } from './memory/job-leases.js';
import { createPgJobLeases } from './postgres/job-leases.js';
import { PG_LEASE_MIGRATIONS } from './postgres/lease-migrations.js';
import { freshPgDatabase, noPostgres } from './postgres/test-support/pg-test-db.js';

const LONG = 60_000;

const impls: [string, () => Promise<JobLeases>, boolean][] = [
  ['memory (one process)', async () => createMemoryJobLeases(), false],
  ['PostgreSQL', async () => createPgJobLeases(await freshPgDatabase([PG_LEASE_MIGRATIONS])), noPostgres()],
];

for (const [label, make, skip] of impls) {
  describe.skipIf(skip)(`JobLeases contract: ${label}`, () => {
    it('lets one owner hold a key at a time, renew it and give it up', async () => {
      const l = await make();
      expect(await l.held('sync:s1')).toBe(false);
      expect(await l.acquire('sync:s1', 'A', LONG)).toBe(true);
      expect(await l.held('sync:s1')).toBe(true);
      expect(await l.acquire('sync:s1', 'B', LONG)).toBe(false);
      // Other keys are independent; the holder may take its own key again.
      expect(await l.acquire('sync:s2', 'B', LONG)).toBe(true);
      expect(await l.acquire('sync:s1', 'A', LONG)).toBe(true);
      expect(await l.renew('sync:s1', 'A', LONG)).toBe(true);
      expect(await l.renew('sync:s1', 'B', LONG)).toBe(false);
      await l.release('sync:s1', 'B'); // not B's: no effect
      expect(await l.acquire('sync:s1', 'B', LONG)).toBe(false);
      await l.release('sync:s1', 'A');
      expect(await l.held('sync:s1')).toBe(false);
      expect(await l.renew('sync:s1', 'A', LONG)).toBe(false);
      expect(await l.acquire('sync:s1', 'B', LONG)).toBe(true);
    });

    it('hands an expired lease to another owner; the old owner cannot renew it', async () => {
      const l = await make();
      expect(await l.acquire('job', 'A', 150)).toBe(true);
      // A stops renewing (killed): B gets it once it expires.
      await expect.poll(() => l.acquire('job', 'B', LONG), { timeout: 10_000, interval: 50 }).toBe(true);
      expect(await l.renew('job', 'A', LONG)).toBe(false);
      expect(await l.acquire('job', 'A', LONG)).toBe(false);
    });

    it('grants a free key to exactly one of many concurrent takers', async () => {
      const l = await make();
      const owners = Array.from({ length: 8 }, (_, i) => `P${i}`);
      const got = await Promise.all(owners.map((o) => l.acquire('race', o, LONG)));
      expect(got.filter(Boolean)).toHaveLength(1);
    });
  });
}
