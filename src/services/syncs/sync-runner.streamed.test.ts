import { describe, expect, it } from 'vitest';
import { compareCodePoints } from './plan-stream.js';
import { FakeMembership, userIds } from './test-support/fake-membership.js';
import { makeHarness } from './test-support/harness.js';
import { listReceiverPerTest, type ListSimulator } from './test-support/list-receiver-per-test.js';
import type { MockReceiver } from '../../destinations/test-support/mock-receiver.js';

let rx: MockReceiver;
let sim: ListSimulator;
listReceiverPerTest((r, s) => {
  rx = r;
  sim = s;
});

/** Members handed out in pages of 4; after the first page, the next wait for `release` (or fail). */
class GatedMembership extends FakeMembership {
  pagesRead = 0;
  private open!: () => void;
  private readonly gate = new Promise<void>((r) => (this.open = r));
  failAfterFirst = false;
  release() {
    this.open();
  }
  override async *memberPagesAsOf(cohortId: string, asOf: Date): AsyncGenerator<string[]> {
    const all = (await this.membersAsOf(cohortId, asOf)).sort(compareCodePoints);
    for (let i = 0; i < all.length; i += 4) {
      if (i > 0) {
        await this.gate;
        if (this.failAfterFirst) throw new Error('the membership store went away');
      }
      this.pagesRead++;
      yield all.slice(i, i + 4);
    }
  }
}

const adds = () => rx.requests.filter((r) => r.path.endsWith('/add'));

describe('a run streams its plan', () => {
  it('sends the first batch while the members are still being read, then the rest; crash records settled', async () => {
    const members = userIds(10);
    const h = await makeHarness({ type: 'amplitude_list', config: { baseUrl: rx.url, apiKey: 'key' }, members, batchSize: 2 });
    const gated = new GatedMembership().setCohort('c1', 'Big spenders', members);
    const runner = h.newRunner({ membership: gated });
    const { done } = await runner.start(h.syncId);
    // The first page (4 members) holds a full batch of 2 and one more: that batch goes out before page 2 is read.
    await expect.poll(() => adds().length).toBeGreaterThan(0);
    expect(gated.pagesRead).toBe(1);
    expect(adds()[0].json.userIds).toEqual(['u00000', 'u00001']);
    gated.release();
    const run = await done;
    expect(run).toMatchObject({ status: 'succeeded', full: true, added: 10, removed: 0, failed: 0, requests: 6 });
    expect([...(sim.lists.get('L1')?.members ?? [])].sort()).toEqual(members);
    expect((await h.store.acknowledged(h.syncId)).sort()).toEqual(members);
    expect(await h.store.inFlightBatches(h.syncId)).toEqual([]);
    // Five batches, each with its own idempotency key.
    expect(new Set(adds().map((r) => r.headers['idempotency-key'])).size).toBe(5);
  });

  it('a read that fails mid-run fails the run; what was accepted before stays acknowledged', async () => {
    const members = userIds(10);
    const h = await makeHarness({ type: 'amplitude_list', config: { baseUrl: rx.url, apiKey: 'key' }, members, batchSize: 2 });
    const gated = new GatedMembership().setCohort('c1', 'Big spenders', members);
    gated.failAfterFirst = true;
    const runner = h.newRunner({ membership: gated });
    const { done } = await runner.start(h.syncId);
    await expect.poll(async () => (await h.store.acknowledged(h.syncId)).length).toBe(2);
    gated.release();
    const run = await done;
    expect(run.status).toBe('failed');
    expect(run.errors.map((e) => e.message).join(' ')).toMatch(/the membership store went away/);
    expect((await h.store.acknowledged(h.syncId)).sort()).toEqual(['u00000', 'u00001']);
    expect(await h.store.inFlightBatches(h.syncId)).toEqual([]);
    // The next run sends the rest.
    const again = await h.newRunner().run(h.syncId);
    expect(again).toMatchObject({ status: 'succeeded', added: 8 });
    expect([...(sim.lists.get('L1')?.members ?? [])].sort()).toEqual(members);
  });
});
