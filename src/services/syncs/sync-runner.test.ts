import { beforeEach, describe, expect, it } from 'vitest';
import { amplitudeListSimulator, basicAuthOf, MockReceiver, type RecordedRequest } from '../../destinations/test-support/mock-receiver.js';
import { backoffDelay, DEFAULT_RETRY_POLICY } from './retry-policy.js';
import { userIds } from './test-support/fake-membership.js';
import { makeHarness } from './test-support/harness.js';
import { listReceiverPerTest, type ListSimulator } from './test-support/list-receiver-per-test.js';

let rx: MockReceiver;
let sim: ListSimulator;
listReceiverPerTest((r, s) => {
  rx = r;
  sim = s;
});

const listMembers = (id = 'L1') => [...(sim.lists.get(id)?.members ?? [])].sort();
const listHarness = (members: string[], extra: Partial<Parameters<typeof makeHarness>[0]> = {}) =>
  makeHarness({ type: 'amplitude_list', config: { baseUrl: rx.url, apiKey: 'key' }, members, batchSize: 1000, ...extra });
/** Matches the add request whose batch contains `userId`. */
const batchWith = (userId: string) => (r: RecordedRequest) => r.path.endsWith('/add') && (r.json?.userIds ?? []).includes(userId);
const NOMINAL = [1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000];

describe('SyncRunner with the list protocol', () => {
  it('first run is full: creates the list, sends every member in batches, records the run', async () => {
    const members = userIds(2500);
    const h = await listHarness(members);
    const run = await h.runner.run(h.syncId);
    expect(run).toMatchObject({ status: 'succeeded', full: true, added: 2500, removed: 0, failed: 0, requests: 4, retries: 0, errors: [] });
    expect(run.finishedAt).toEqual(h.clock.now());
    expect(rx.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /lists',
      'POST /lists/L1/add',
      'POST /lists/L1/add',
      'POST /lists/L1/add',
    ]);
    expect(rx.requests[0].json.name).toBe('[Kohort] Big spenders: c1');
    expect(rx.requests.slice(1).map((r) => r.json.userIds.length).sort()).toEqual([1000,1000, 500]);
    for (const r of rx.requests) {
      expect(basicAuthOf(r)).toEqual({ user: 'key', password: '' });
      expect(r.headers['idempotency-key']).toBeTruthy();
    }
    expect(new Set(rx.requests.map((r) => r.headers['idempotency-key'])).size).toBe(4);
    expect(listMembers()).toEqual(members);
    expect((await h.store.acknowledged(h.syncId)).sort()).toEqual(members);
    const sync = await h.store.getSync(h.syncId);
    expect(sync).toMatchObject({ state: 'idle', protocolState: { listId: 'L1' }, lastRun: { id: run.id, status: 'succeeded' } });
    expect(sync!.fullSyncDoneAt).not.toBeNull();
    expect(h.membership.asOfCalls).toEqual([{ cohortId: 'c1', asOf: run.startedAt }]);
  });

  it('later runs send only the movers and reuse the list', async () => {
    const h = await listHarness(userIds(1500));
    await h.runner.run(h.syncId);
    rx.requests.length = 0;
    const now = [...userIds(1200, 300), ...userIds(20, 5000)]; // 300 left, 20 joined
    h.membership.setCohort('c1', 'Big spenders', now);
    const run = await h.runner.run(h.syncId);
    expect(run).toMatchObject({ status: 'succeeded', full: false, added: 20, removed: 300, requests: 2 });
    expect(rx.requests.map((r) => `${r.method} ${r.path} ${r.json.userIds.length}`)).toEqual([
      'POST /lists/L1/add 20',
      'POST /lists/L1/remove 300',
    ]);
    expect(listMembers()).toEqual([...now].sort());
    // Nothing changed: a run sends nothing.
    rx.requests.length = 0;
    expect(await h.runner.run(h.syncId)).toMatchObject({ status: 'succeeded', added: 0, removed: 0, requests: 0 });
    expect(rx.requests).toHaveLength(0);
    expect((await h.store.listRuns(h.syncId)).map((r) => r.full)).toEqual([false, false, true]);
  });

  it('429 with Retry-After waits what the server asked, capped at 5 minutes', async () => {
    const members = userIds(3000);
    const h = await listHarness(members, { runner: { concurrency: 1 } });
    rx.inject({ kind: 'status', status: 429, headers: { 'retry-after': '7' } }, { match: batchWith('u01000') });
    rx.inject({ kind: 'status', status: 429, headers: { 'retry-after': '86400' } }, { match: batchWith('u02000') });
    const run = await h.runner.run(h.syncId);
    expect(h.clock.sleeps).toEqual([7000, 300_000]);
    expect(run).toMatchObject({ status: 'succeeded', added: 3000, retries: 2, requests: 6 });
    const keys = rx.requests.filter(batchWith('u01000')).map((r) => r.headers['idempotency-key']);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]); // stable across retries of one batch
    expect(listMembers()).toEqual(members);
  });

  it('5xx backs off 1 s, 2 s, 4 s then succeeds', async () => {
    const members = userIds(1500);
    const h = await listHarness(members);
    rx.inject({ kind: 'status', status: 503 }, { times: 3, match: batchWith('u01200') });
    const run = await h.runner.run(h.syncId);
    expect(h.clock.sleeps).toEqual([1000, 2000, 4000]);
    expect(run).toMatchObject({ status: 'succeeded', retries: 3, requests: 6, failed: 0 });
    expect(listMembers()).toEqual(members);
  });

  it('a hanging receiver times out and is retried', async () => {
    const members = userIds(10);
    const h = await listHarness(members);
    rx.inject({ kind: 'hang' }, { match: batchWith('u00000') });
    const run = await h.newRunner({ destinationOptions: { timeoutMs: 300 } }).run(h.syncId);
    expect(h.clock.sleeps).toEqual([1000]);
    expect(run).toMatchObject({ status: 'succeeded', retries: 1, requests: 3 });
    expect(listMembers()).toEqual(members);
  });

  it('connection resets are retried', async () => {
    const members = userIds(10);
    const h = await listHarness(members);
    rx.inject({ kind: 'reset' }, { times: 2, match: batchWith('u00000') });
    const run = await h.runner.run(h.syncId);
    expect(h.clock.sleeps).toEqual([1000, 2000]);
    expect(run).toMatchObject({ status: 'succeeded', retries: 2 });
    expect(listMembers()).toEqual(members);
  });

  it('list creation is retried like any request', async () => {
    const members = userIds(5);
    const h = await listHarness(members);
    rx.inject({ kind: 'status', status: 500 }, { match: (r) => r.path === '/lists' });
    const run = await h.runner.run(h.syncId);
    expect(h.clock.sleeps).toEqual([1000]);
    expect(run.status).toBe('succeeded');
    expect(rx.requests.filter((r) => r.path === '/lists').map((r) => r.headers['idempotency-key'])).toEqual(['s1-prepare', 's1-prepare']);
    expect(listMembers('L1')).toEqual(members);
  });

  it('gives up after 8 retries (1 s doubling to 128 s): those users fail, the rest go, next run retries them', async () => {
    const members = userIds(3000);
    const h = await listHarness(members, { runner: { concurrency: 1 } });
    rx.inject({ kind: 'status', status: 500 }, { times: 9, match: batchWith('u01000') });
    const run = await h.runner.run(h.syncId);
    expect(h.clock.sleeps).toEqual(NOMINAL);
    expect(run).toMatchObject({ status: 'partial', added: 2000, failed: 1000, retries: 8, requests: 1 + 2 + 9 });
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatchObject({ status: 500, sampleUserIds: userIds(10, 1000) });
    expect(run.errors[0].message).toContain('gave up after 8 retries');
    expect(listMembers()).toEqual([...userIds(1000), ...userIds(1000, 2000)]);
    expect((await h.store.getSync(h.syncId))!.state).toBe('failing');

    const again = await h.runner.run(h.syncId);
    expect(again).toMatchObject({ status: 'succeeded', full: false, added: 1000, failed: 0 });
    expect(listMembers()).toEqual(members);
    expect((await h.store.getSync(h.syncId))!.state).toBe('idle');
  });

  it('a destination down for the whole run fails the run', async () => {
    const h = await listHarness(userIds(5));
    rx.inject({ kind: 'status', status: 502 }, { times: 100, match: (r) => r.path.endsWith('/add') });
    const run = await h.runner.run(h.syncId);
    expect(run).toMatchObject({ status: 'failed', added: 0, failed: 5, retries: 8 });
    expect(h.clock.sleeps).toEqual(NOMINAL);
    expect(await h.store.acknowledged(h.syncId)).toEqual([]);
  });

  it('400 on one batch is permanent: no retry, run partial, exactly those users missing, retried next run', async () => {
    const members = userIds(2500);
    const h = await listHarness(members);
    rx.inject({ kind: 'status', status: 400, body: { error: 'invalid request' } }, { match: batchWith('u01000') });
    const run = await h.runner.run(h.syncId);
    expect(h.clock.sleeps).toEqual([]);
    expect(run).toMatchObject({ status: 'partial', added: 1500, failed: 1000, retries: 0 });
    expect(run.errors[0]).toMatchObject({ status: 400, sampleUserIds: userIds(10, 1000) });
    expect(run.errors[0].message).toContain('invalid request');
    const missing = userIds(1000, 1000);
    expect(listMembers()).toEqual(members.filter((u) => !missing.includes(u)));
    expect((await h.store.acknowledged(h.syncId)).length).toBe(1500);

    const again = await h.runner.run(h.syncId);
    expect(again).toMatchObject({ status: 'succeeded', added: 1000 });
    expect(listMembers()).toEqual(members);
  });

  it('404 (invalid user id) on a remove batch keeps those users acknowledged for the next run', async () => {
    const h = await listHarness(userIds(10));
    await h.runner.run(h.syncId);
    h.membership.setCohort('c1', 'Big spenders', userIds(5));
    rx.inject({ kind: 'status', status: 404 }, { match: (r) => r.path.endsWith('/remove') });
    const run = await h.runner.run(h.syncId);
    expect(run).toMatchObject({ status: 'partial', removed: 0, failed: 5 });
    expect((await h.store.acknowledged(h.syncId)).length).toBe(10);
    expect(await h.runner.run(h.syncId)).toMatchObject({ status: 'succeeded', removed: 5 });
    expect(listMembers()).toEqual(userIds(5));
  });

  it('401 stops the run, marks the sync auth_failed and paused until the destination is updated', async () => {
    const members = userIds(5000);
    const h = await listHarness(members, { runner: { concurrency: 1 } });
    rx.inject({ kind: 'status', status: 401 }, { match: batchWith('u02000') });
    const run = await h.runner.run(h.syncId);
    expect(run).toMatchObject({ status: 'failed', added: 2000, failed: 1000, retries: 0, requests: 4 });
    expect(run.errors[0]).toMatchObject({ status: 401 });
    expect(rx.requests).toHaveLength(4); // batches after the 401 were never sent
    const sync = await h.store.getSync(h.syncId);
    expect(sync).toMatchObject({ state: 'auth_failed', paused: true, pausedReason: 'auth_failed' });
    await expect(h.runner.start(h.syncId)).rejects.toMatchObject({ code: 'sync_paused' });
    expect(await h.store.listDueSyncs(new Date(8.64e15))).toEqual([]);

    const dest = (await h.store.getDestination('d1'))!;
    await h.store.updateDestination('d1', { config: { ...dest.config }, now: h.clock.now() });
    expect(await h.store.getSync(h.syncId)).toMatchObject({ state: 'idle', paused: false });
    expect(await h.runner.run(h.syncId)).toMatchObject({ status: 'succeeded', added: 3000 });
    expect(listMembers()).toEqual(members);
  });

  it('403 with requests in flight: in-flight batches finish, no new batch or retry starts', async () => {
    const members = userIds(20);
    const h = await listHarness(members, { batchSize: 1, runner: { concurrency: 4 } });
    rx.inject({ kind: 'status', status: 403 }, { match: batchWith('u00001') });
    rx.inject({ kind: 'status', status: 503 }, { times: 5, match: batchWith('u00002') });
    const run = await h.runner.run(h.syncId);
    expect(run.status).toBe('failed');
    // The batches accepted are exactly the users acknowledged and on the list.
    expect((await h.store.acknowledged(h.syncId)).sort()).toEqual(listMembers());
    expect(run.added).toBe(listMembers().length);
    expect(rx.requests.length).toBeLessThanOrEqual(1 + 4 + 1);
  });

  it('never has more than `concurrency` requests in flight and never overlaps runs', async () => {
    const members = userIds(40);
    let inFlight = 0;
    let maxInFlight = 0;
    const h = await listHarness(members, { batchSize: 2, runner: { concurrency: 3 } });
    const fetchSpy: typeof fetch = async (input, init) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await new Promise((r) => setTimeout(r, 5));
        return await fetch(input, init);
      } finally {
        inFlight--;
      }
    };
    const runner = h.newRunner({ destinationOptions: { fetch: fetchSpy } });
    const { run, done } = await runner.start(h.syncId);
    expect(run.status).toBe('running');
    expect((await h.store.getSync(h.syncId))!.state).toBe('running');
    await expect(runner.start(h.syncId)).rejects.toMatchObject({ code: 'sync_running' });
    expect(runner.isRunning(h.syncId)).toBe(true);
    expect(await done).toMatchObject({ status: 'succeeded', added: 40, requests: 21 });
    expect(maxInFlight).toBe(3);
    expect(runner.isRunning(h.syncId)).toBe(false);
    expect(listMembers()).toEqual(members);
  });

  it('a missing cohort or destination fails the run with a recorded error', async () => {
    const h = await listHarness(userIds(3));
    h.membership.cohorts.delete('c1');
    const run = await h.runner.run(h.syncId);
    expect(run.status).toBe('failed');
    expect(run.errors[0].message).toContain('cohort c1 no longer exists');
    expect((await h.store.getSync(h.syncId))!.state).toBe('failing');
  });
});

describe('backoffDelay', () => {
  it('doubles from 1 s to 128 s with jitter in [0.5, 1.5) of nominal', () => {
    expect(Array.from({ length: 10 }, (_, i) => backoffDelay(i, DEFAULT_RETRY_POLICY, () => 0.5))).toEqual([
      ...NOMINAL,
      128000,
      128000,
    ]);
    expect(backoffDelay(0, DEFAULT_RETRY_POLICY, () => 0)).toBe(500);
    expect(backoffDelay(7, DEFAULT_RETRY_POLICY, () => 0.999)).toBe(Math.round(128000 * 1.499));
    const seen = new Set(Array.from({ length: 50 }, () => backoffDelay(3, DEFAULT_RETRY_POLICY, Math.random)));
    expect(seen.size).toBeGreaterThan(1);
    for (const d of seen) expect(d >= 4000 && d < 12000).toBe(true);
  });
});

describe('SyncRunner when the store fails', () => {
  let rx2: MockReceiver;
  beforeEach(async () => {
    rx2 = await new MockReceiver().start();
    rx2.handler = amplitudeListSimulator('key').handler;
    return () => rx2.close();
  });

  it('a failed commit stops new batches, waits for those in flight, and fails the run with the error', async () => {
    const h = await makeHarness({ type: 'amplitude_list', config: { baseUrl: rx2.url, apiKey: 'key' }, members: userIds(100), batchSize: 10 });
    const commit = h.store.commitBatch.bind(h.store);
    let calls = 0;
    h.store.commitBatch = async (...args) => {
      if (++calls === 2) throw new Error('disk full');
      return commit(...args);
    };
    const run = await h.runner.run(h.syncId);
    expect(run.status).toBe('failed');
    expect(run.errors.at(-1)!.message).toContain('disk full');
    // No batch started after the failure: at most the 4 in flight besides it.
    expect(rx2.requests.length).toBeLessThanOrEqual(1 + 2 + 4);
    expect((await h.store.acknowledged(h.syncId)).length).toBe((calls - 1) * 10);
    const after = rx2.requests.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(rx2.requests.length).toBe(after);
  });
});
