import { describe, expect, it } from 'vitest';
import type { MockReceiver } from '../../destinations/test-support/mock-receiver.js';
import type { JobLeases } from '../../storage/job-leases.js';
import { createMemoryJobLeases } from '../../storage/memory/job-leases.js';
import { createPgJobLeases } from '../../storage/postgres/job-leases.js';
import { PG_LEASE_MIGRATIONS } from '../../storage/postgres/lease-migrations.js';
import { PG_SYNC_MIGRATIONS } from '../../storage/postgres/sync-migrations.js';
import { PgSyncStore } from '../../storage/postgres/sync-store.js';
import { freshPgDatabase, noPostgres } from '../../storage/postgres/test-support/pg-test-db.js';
import type { SyncStore } from '../../storage/sync-store.js';
import { LeaseKeeper } from '../job-lease.js';
import { SyncScheduler } from './sync-scheduler.js';
import { userIds } from './test-support/fake-membership.js';
import { makeHarness } from './test-support/harness.js';
import { listReceiverPerTest, type ListSimulator } from './test-support/list-receiver-per-test.js';
import { MemorySyncStore } from './test-support/memory-sync-store.js';

/**
 * "Process A dies" after `k` committed batches: from then on every call A makes
 * to the store or the leases hangs forever (so A also stops renewing its lease),
 * as if A had been killed with SIGKILL right after the k-th commit.
 */
function dyingAfter<S extends object, L extends object>(store: S, leases: L, k: number) {
  let commits = 0;
  let dead = false;
  let signal!: () => void;
  const died = new Promise<void>((r) => (signal = r));
  const wrap = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(t, prop, receiver) {
        const v = Reflect.get(t, prop, receiver);
        if (typeof v !== 'function') return v;
        return async (...args: unknown[]) => {
          if (dead) return new Promise(() => undefined);
          const out = await v.apply(t, args);
          if (prop === 'commitBatch' && ++commits === k) {
            dead = true;
            signal();
          }
          return out;
        };
      },
    });
  return { store: wrap(store), leases: wrap(leases), died };
}

let rx: MockReceiver;
let sim: ListSimulator;
listReceiverPerTest((r, s) => {
  rx = r;
  sim = s;
});

const backends: [string, () => Promise<{ store: SyncStore; leases: JobLeases }>, boolean][] = [
  ['memory store and leases', async () => ({ store: new MemorySyncStore(), leases: createMemoryJobLeases() }), false],
  [
    'PostgreSQL store and leases',
    async () => {
      const db = await freshPgDatabase([PG_SYNC_MIGRATIONS, PG_LEASE_MIGRATIONS]);
      return { store: new PgSyncStore(db), leases: createPgJobLeases(db) };
    },
    noPostgres(),
  ],
];

for (const [label, make, skip] of backends) {
  describe.skipIf(skip)(`sync runs leased across processes: ${label}`, () => {
    it('a run in one process is sync_running in the other; a dead process is taken over: list == membership', async () => {
      const { store, leases } = await make();
      const members = userIds(2000);
      const h = await makeHarness({ type: 'amplitude_list', config: { baseUrl: rx.url, apiKey: 'key' }, members, batchSize: 250, store });
      const A = dyingAfter(store, leases, 2);
      const procA = h.newRunner({ store: A.store, concurrency: 1, leases: new LeaseKeeper(A.leases, { owner: 'A', ttlMs: 600 }) });
      const procB = h.newRunner({ leases: new LeaseKeeper(leases, { owner: 'B', ttlMs: 600 }) });

      void procA.start(h.syncId);
      await A.died;
      const interrupted = (await store.listRuns(h.syncId))[0];
      expect(interrupted.status).toBe('running');
      expect(await procB.recoverInterrupted()).toEqual([]); // never fails another process's run at start
      // B cannot run the sync while A's lease lasts; once it expires, B takes over.
      await expect(procB.start(h.syncId)).rejects.toMatchObject({ code: 'sync_running' });
      expect(procB.isRunning(h.syncId)).toBe(false);
      expect(await procB.isRunningAnywhere(h.syncId)).toBe(true);
      let handle: Awaited<ReturnType<typeof procB.start>> | undefined;
      await expect
        .poll(
          async () => {
            handle = await procB.start(h.syncId).catch((e) => {
              if (e.code !== 'sync_running') throw e;
              return undefined;
            });
            return handle !== undefined;
          },
          { timeout: 15_000, interval: 100 },
        )
        .toBe(true);
      const resumed = await handle!.done;
      expect(resumed).toMatchObject({ status: 'succeeded', full: true, added: 2000 - 500 });
      expect(await store.getRun(interrupted.id)).toMatchObject({
        status: 'failed',
        errors: [expect.objectContaining({ message: expect.stringContaining('interrupted') })],
      });
      expect(sim.lists.size).toBe(1);
      expect([...sim.lists.get('L1')!.members].sort()).toEqual(members);
      expect((await store.acknowledged(h.syncId)).sort()).toEqual(members);
      expect(await store.getSync(h.syncId)).toMatchObject({ state: 'idle' });
      // B released its lease: a new run may start at once (from either process).
      expect(await leases.held(`sync:${h.syncId}`)).toBe(false);
      expect(await procB.isRunningAnywhere(h.syncId)).toBe(false);
    });

    it('a run that lost its lease starts no new batch and ends failed', async () => {
      const { store, leases } = await make();
      const h = await makeHarness({ type: 'amplitude_list', config: { baseUrl: rx.url, apiKey: 'key' }, members: userIds(1000), batchSize: 100, store });
      // The third add hangs until released: the run is mid-way when its lease is taken.
      let adds = 0;
      rx.inject({ kind: 'hang' }, { times: 1, match: (r) => r.path.endsWith('/add') && ++adds === 3 });
      const keeper = new LeaseKeeper(leases, { owner: 'A', ttlMs: 300 });
      // The hung request times out (5 s, generous on a loaded machine) and is retried: the batch in flight.
      const runner = h.newRunner({ concurrency: 1, leases: keeper, destinationOptions: { timeoutMs: 5_000 } });
      const { done } = await runner.start(h.syncId);
      await expect.poll(() => rx.requests.filter((r) => r.fault?.kind === 'hang').length, { timeout: 30_000 }).toBe(1);
      // A stalls (its renewals are refused once B holds the job), B takes the sync over.
      await leases.release(`sync:${h.syncId}`, 'A');
      expect(await leases.acquire(`sync:${h.syncId}`, 'B', 60_000)).toBe(true);
      const sentBefore = rx.requests.length;
      const r = await done;
      expect(r.status).toBe('failed');
      expect(r.errors.map((e) => e.message).join(' ')).toContain('lease lost');
      // At most the hung request's retries followed; no further batch was started.
      const later = rx.requests.slice(sentBefore).map((q) => q.json?.userIds?.[0]);
      expect(later.every((u) => u === undefined || u === rx.requests.find((q) => q.fault?.kind === 'hang')!.json.userIds[0])).toBe(true);
      expect(await leases.held(`sync:${h.syncId}`)).toBe(true); // still B's
    });

    it('two schedulers ticking together run each due slot once; the next slot is stored before the lease goes', async () => {
      const { store, leases } = await make();
      const members = userIds(1200);
      const h = await makeHarness({ type: 'amplitude_list', config: { baseUrl: rx.url, apiKey: 'key' }, members, batchSize: 300, store, frequency: 'hourly' });
      const proc = (owner: string) =>
        new SyncScheduler({ store, clock: h.clock, runner: h.newRunner({ leases: new LeaseKeeper(leases, { owner, ttlMs: 30_000 }) }) });
      const [a, b] = [proc('A'), proc('B')];
      const slot = (await store.getSync(h.syncId))!.nextRunAt!;
      for (let round = 0; round < 3; round++) {
        const started = (await Promise.all([a.tick(), b.tick()])).flat();
        expect(started).toHaveLength(1);
        await started[0].done;
        // Every later tick, by either process, finds nothing due until the clock reaches the next slot.
        expect((await Promise.all([a.tick(), b.tick()])).flat()).toEqual([]);
        expect((await store.getSync(h.syncId))!.nextRunAt).toEqual(new Date(slot.getTime() + (round + 1) * 3_600_000));
        h.clock.advance(3_600_000);
      }
      const runs = await store.listRuns(h.syncId);
      expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
      expect(runs.reduce((n, r) => n + r.added, 0)).toBe(1200);
      expect([...sim.lists.get('L1')!.members].sort()).toEqual(members);
    });
  });
}
