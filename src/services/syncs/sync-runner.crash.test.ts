import { describe, expect, it } from 'vitest';
import type { MockReceiver } from '../../destinations/test-support/mock-receiver.js';
import type { SyncStore } from '../../storage/sync-store.js';
import { userIds } from './test-support/fake-membership.js';
import { makeHarness } from './test-support/harness.js';
import { MemorySyncStore } from './test-support/memory-sync-store.js';
import { listReceiverPerTest, type ListSimulator } from './test-support/list-receiver-per-test.js';

/**
 * A store that "crashes" the process after `k` committed batches: from then on
 * every call of the old runner hangs forever (nothing more is written), as if
 * the process had been killed right after the k-th commit.
 */
function crashingAfter(store: SyncStore, k: number): { store: SyncStore; crashed: Promise<void> } {
  let commits = 0;
  let dead = false;
  let signal!: () => void;
  const crashed = new Promise<void>((r) => (signal = r));
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return async (...args: unknown[]) => {
        if (dead) return new Promise(() => undefined);
        const out = await v.apply(target, args);
        if (prop === 'commitBatch' && ++commits === k) {
          dead = true;
          signal();
        }
        return out;
      };
    },
  });
  return { store: proxy, crashed };
}

let rx: MockReceiver;
let sim: ListSimulator;
listReceiverPerTest((r, s) => {
  rx = r;
  sim = s;
});

describe('crash and resume', () => {
  for (const k of [1, 3]) {
    it(`a runner abandoned after ${k} accepted batch(es) is resumed by a new runner: list == membership`, async () => {
      const real = new MemorySyncStore();
      const members = userIds(2500);
      const h = await makeHarness({
        type: 'amplitude_list',
        config: { baseUrl: rx.url, apiKey: 'key' },
        members,
        batchSize: 250,
        store: real,
      });
      const { store: doomed, crashed } = crashingAfter(real, k);
      const old = h.newRunner({ store: doomed, concurrency: 2 });
      void old.start(h.syncId);
      await crashed;
      expect(real.commits).toHaveLength(k);
      expect((await real.getSync(h.syncId))!.state).toBe('running');

      // Restart: a new runner on the same store recovers, then runs again.
      const fresh = h.newRunner();
      expect(await fresh.recoverInterrupted()).toEqual([h.syncId]);
      const interrupted = (await real.listRuns(h.syncId))[0];
      expect(interrupted).toMatchObject({ status: 'failed', errors: [expect.objectContaining({ message: expect.stringContaining('interrupted') })] });
      const before = new Set(await real.acknowledged(h.syncId));
      expect(before.size).toBe(250 * k);

      const resumed = await fresh.run(h.syncId);
      expect(resumed.status).toBe('succeeded');
      // Still the first complete sync: a full run, no second list, only the rest sent.
      expect(resumed.full).toBe(true);
      expect(resumed.added).toBe(2500 - 250 * k);
      expect(sim.lists.size).toBe(1);
      expect([...sim.lists.get('L1')!.members].sort()).toEqual(members);
      expect((await real.acknowledged(h.syncId)).sort()).toEqual(members);
      const resentAfterCrash = rx.requests
        .filter((r) => r.path.endsWith('/add') && r.headers['idempotency-key']!.toString().startsWith(resumed.id))
        .flatMap((r) => r.json.userIds as string[]);
      expect(resentAfterCrash.some((u) => before.has(u))).toBe(false);
    });
  }
});
