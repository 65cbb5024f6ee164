import { describe, expect, it } from 'vitest';
import { createMemoryJobLeases } from '../storage/memory/job-leases.js';
import { LeaseKeeper } from './job-lease.js';

describe('LeaseKeeper', () => {
  it('keeps renewing a held lease past its ttl, and frees it on release', async () => {
    // The store's clock is fake: only renewals (not timer luck) keep the lease alive.
    let now = 0;
    const leases = createMemoryJobLeases(() => now);
    let renewals = 0;
    const counted = { ...leases, renew: async (...a: Parameters<typeof leases.renew>) => (renewals++, leases.renew(...a)) };
    const a = new LeaseKeeper(counted, { owner: 'A', ttlMs: 90 });
    const b = new LeaseKeeper(leases, { owner: 'B', ttlMs: 90 });
    const held = await a.hold('job');
    expect(held).not.toBeNull();
    // A second job of the same process is refused too, though the owner id is the same.
    expect(await a.hold('job')).toBeNull();
    for (let i = 0; i < 5; i++) {
      const seen = renewals;
      await expect.poll(() => renewals, { timeout: 5_000, interval: 5 }).toBeGreaterThan(seen);
      now += 60; // less than the ttl since the last renewal, 300 in all
    }
    expect(await b.hold('job')).toBeNull();
    expect(held!.lost.aborted).toBe(false);
    await held!.release();
    expect(await leases.held('job')).toBe(false);
    const taken = await b.hold('job');
    expect(taken).not.toBeNull();
    await taken!.release();
  });

  it('signals `lost` when another owner took the lease over', async () => {
    let now = 0;
    const leases = createMemoryJobLeases(() => now);
    const a = new LeaseKeeper(leases, { owner: 'A', ttlMs: 60 });
    const held = (await a.hold('job'))!;
    // A stalls past expiry (fake store clock) and B takes the job.
    now += 1_000;
    expect(await leases.acquire('job', 'B', 60_000)).toBe(true);
    await expect.poll(() => held.lost.aborted, { timeout: 5_000 }).toBe(true);
    await held.release();
    // A's release does not free B's lease.
    expect(await leases.held('job')).toBe(true);
  });
});
