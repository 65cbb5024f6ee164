import { describe, expect, it } from 'vitest';
import type { MockReceiver } from '../../destinations/test-support/mock-receiver.js';
import type { SyncStore } from '../../storage/sync-store.js';
import { userIds } from './test-support/fake-membership.js';
import { makeHarness } from './test-support/harness.js';
import { MemorySyncStore } from './test-support/memory-sync-store.js';
import { listReceiverPerTest, type ListSimulator } from './test-support/list-receiver-per-test.js';

/**
 * A store whose process "dies" at the `n`-th commitBatch: after that commit
 * (`when: 'after'`: killed right after the n-th commit), or instead of it
 * (`when: 'before'`: the destination accepted the batch, recorded in flight
 * before it was sent, and its commit never happens). From then on every call
 * of the old runner hangs forever, so nothing more is written.
 */
function dyingAtCommit(store: SyncStore, n: number, when: 'before' | 'after'): { store: SyncStore; died: Promise<void> } {
  let commits = 0;
  let dead = false;
  let signal!: () => void;
  const died = new Promise<void>((r) => (signal = r));
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return async (...args: unknown[]) => {
        if (dead) return new Promise(() => undefined);
        const dying = prop === 'commitBatch' && ++commits === n;
        if (dying && when === 'before') {
          dead = true;
          signal();
          return new Promise(() => undefined);
        }
        const out = await v.apply(target, args);
        if (dying) {
          dead = true;
          signal();
        }
        return out;
      };
    },
  });
  return { store: proxy, died };
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
      const { store: doomed, died: crashed } = dyingAtCommit(real, k, 'after');
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

describe('idempotency keys survive a crash', () => {
  it('a batch accepted but not committed before the crash is re-sent first, with the same users and the same Idempotency-Key', async () => {
    const real = new MemorySyncStore();
    const members = userIds(1000);
    const h = await makeHarness({ type: 'amplitude_list', config: { baseUrl: rx.url, apiKey: 'key' }, members, batchSize: 100, store: real });
    const { store: doomed, died } = dyingAtCommit(real, 3, 'before');
    void h.newRunner({ store: doomed, concurrency: 1 }).start(h.syncId);
    await died;
    const adds = () => rx.requests.filter((r) => r.path.endsWith('/add'));
    const before = adds();
    expect(before).toHaveLength(3);
    const lost = before[2]!;
    const lostKey = String(lost.headers['idempotency-key']);
    // Recorded before it was sent, with the key the receiver saw.
    expect(await real.inFlightBatches(h.syncId)).toEqual([{ key: lostKey, op: 'add', userIds: lost.json.userIds }]);

    const fresh = h.newRunner();
    await fresh.recoverInterrupted();
    const resumed = await fresh.run(h.syncId);
    expect(resumed.status).toBe('succeeded');
    const after = adds().slice(3);
    // The first request after the restart is that batch again: same key, same users; the receiver can drop it.
    expect(String(after[0]!.headers['idempotency-key'])).toBe(lostKey);
    expect(after[0]!.json.userIds).toEqual(lost.json.userIds);
    // Every other batch has a key of its own.
    const keys = after.map((r) => String(r.headers['idempotency-key']));
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.slice(1).every((k) => k.startsWith(resumed.id))).toBe(true);
    expect([...sim.lists.get('L1')!.members].sort()).toEqual(members);
    expect(await real.inFlightBatches(h.syncId)).toEqual([]);
  });

  it('the same webhook-id for a webhook batch re-sent after a crash', async () => {
    const real = new MemorySyncStore();
    const members = userIds(300);
    rx.handler = () => ({ status: 200, body: {} });
    const secret = `whsec_${Buffer.from('crash-test-secret').toString('base64')}`;
    const h = await makeHarness({ type: 'webhook', config: { url: `${rx.url}/hook`, secret }, members, batchSize: 100, store: real });
    const { store: doomed, died } = dyingAtCommit(real, 2, 'before');
    void h.newRunner({ store: doomed, concurrency: 1 }).start(h.syncId);
    await died;
    const lost = rx.requests.at(-1)!;
    const resumed = await h.newRunner().run(h.syncId);
    expect(resumed.status).toBe('succeeded');
    const again = rx.requests.filter((r) => r.headers['webhook-id'] === lost.headers['webhook-id']);
    expect(again).toHaveLength(2);
    expect(again[1]!.headers['idempotency-key']).toBe(lost.headers['webhook-id']);
    const users = (r: typeof lost) => (r.json.users as { userId: string }[]).map((u) => u.userId);
    expect(users(again[1]!)).toEqual(users(lost));
    // All members arrived; the lost batch's users twice (once per attempt), nobody else.
    const all = rx.requests.flatMap(users);
    expect(new Set(all).size).toBe(300);
    expect(all).toHaveLength(400);
  });
});
