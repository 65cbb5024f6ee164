import { describe, expect, it } from 'vitest';
import type { MockReceiver } from '../../destinations/test-support/mock-receiver.js';
import { systemClock } from './clock.js';
import { nextRunAfter, SyncScheduler } from './sync-scheduler.js';
import { userIds } from './test-support/fake-membership.js';
import { makeHarness } from './test-support/harness.js';
import { listReceiverPerTest, type ListSimulator } from './test-support/list-receiver-per-test.js';

const H = 3_600_000;
let rx: MockReceiver;
let sim: ListSimulator;
listReceiverPerTest((r, s) => {
  rx = r;
  sim = s;
});

const setup = async (frequency: 'once' | 'hourly' | 'daily') => {
  const h = await makeHarness({ type: 'amplitude_list', config: { baseUrl: rx.url, apiKey: 'key' }, members: userIds(3), frequency });
  const scheduler = new SyncScheduler({ store: h.store, runner: h.runner, clock: h.clock });
  return { h, scheduler };
};
const settle = async (started: { done: Promise<unknown> }[]) => {
  await Promise.all(started.map((s) => s.done));
};

describe('nextRunAfter', () => {
  it('steps on the grid and skips slots missed while down', () => {
    const t0 = new Date('2025-01-01T00:00:00Z');
    expect(nextRunAfter('once', t0, t0)).toBeNull();
    expect(nextRunAfter('hourly', t0, new Date(t0.getTime() + 5 * 60_000))).toEqual(new Date(t0.getTime() + H));
    expect(nextRunAfter('hourly', t0, new Date(t0.getTime() + 5.5 * H))).toEqual(new Date(t0.getTime() + 6 * H));
    expect(nextRunAfter('hourly', t0, new Date(t0.getTime() + 6 * H))).toEqual(new Date(t0.getTime() + 7 * H));
    expect(nextRunAfter('daily', t0, new Date(t0.getTime() + 60_000))).toEqual(new Date(t0.getTime() + 24 * H));
  });
});

describe('SyncScheduler', () => {
  it('runs a once sync right after creation, and never again', async () => {
    const { h, scheduler } = await setup('once');
    const started = await scheduler.tick();
    expect(started.map((s) => s.syncId)).toEqual([h.syncId]);
    await settle(started);
    // The first run is the creator's (they asked for it by creating the sync), not the schedule's.
    expect(await h.store.getSync(h.syncId)).toMatchObject({ nextRunAt: null, lastRun: { status: 'succeeded', trigger: 'manual' } });
    h.clock.advance(48 * H);
    expect(await scheduler.tick()).toEqual([]);
    expect(await h.store.listRuns(h.syncId)).toHaveLength(1);
  });

  it('does not start a once sync again while its finished run is being rescheduled', async () => {
    const { h, scheduler } = await setup('once');
    // Hold the reschedule's write: the run is recorded as finished, the slot still due.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const update = h.store.updateSync.bind(h.store);
    h.store.updateSync = async (id, change) => {
      if ('nextRunAt' in change) await held;
      return update(id, change);
    };
    const [first] = await scheduler.tick();
    await h.runner.idle();
    expect((await h.store.listRuns(h.syncId))[0]).toMatchObject({ status: 'succeeded' });
    expect(await scheduler.tick()).toEqual([]);
    release();
    await first!.done;
    expect(await h.store.listRuns(h.syncId)).toHaveLength(1);
  });

  it('runs an hourly sync on schedule', async () => {
    const { h, scheduler } = await setup('hourly');
    const t0 = h.clock.now().getTime();
    await settle(await scheduler.tick());
    expect((await h.store.getSync(h.syncId))!.nextRunAt).toEqual(new Date(t0 + H));
    h.clock.advance(30 * 60_000);
    expect(await scheduler.tick()).toEqual([]);
    h.clock.advance(30 * 60_000);
    const second = await scheduler.tick();
    expect(second).toHaveLength(1);
    await settle(second);
    expect((await h.store.getSync(h.syncId))!.nextRunAt).toEqual(new Date(t0 + 2 * H));
    const runs = await h.store.listRuns(h.syncId);
    expect(runs).toHaveLength(2);
    // Newest first: the second run is the schedule's, the first one the creator's.
    expect(runs.map((r) => r.trigger)).toEqual(['schedule', 'manual']);
  });

  it('runs missed while down run once at start, not once per missed slot', async () => {
    const { h, scheduler } = await setup('hourly');
    const t0 = h.clock.now().getTime();
    await settle(await scheduler.tick());
    h.clock.advance(10.5 * H); // "down" for ten slots
    const started = await scheduler.tick();
    expect(started).toHaveLength(1);
    await settle(started);
    expect(await scheduler.tick()).toEqual([]);
    expect(await h.store.listRuns(h.syncId)).toHaveLength(2);
    expect((await h.store.getSync(h.syncId))!.nextRunAt).toEqual(new Date(t0 + 11 * H));
  });

  it('does not run paused syncs, nor start a sync that is already running', async () => {
    const { h, scheduler } = await setup('hourly');
    await h.store.updateSync(h.syncId, { pausedReason: 'user', now: h.clock.now() });
    expect(await scheduler.tick()).toEqual([]);
    await h.store.updateSync(h.syncId, { pausedReason: null, now: h.clock.now() });
    const { done } = await h.runner.start(h.syncId, 'manual');
    expect(await scheduler.tick()).toEqual([]);
    await done;
    // The manual run does not consume the slot: the schedule still runs it.
    const started = await scheduler.tick();
    expect(started).toHaveLength(1);
    await settle(started);
  });

  it('a run interrupted by a crash is marked failed at start and the sync runs again', async () => {
    const { h, scheduler } = await setup('once');
    const now = h.clock.now();
    await h.store.insertRun({
      id: 'ghost', syncId: h.syncId, startedAt: now, finishedAt: null, status: 'running', full: true, trigger: 'schedule',
      added: 0, removed: 0, failed: 0, skipped: 0, requests: 0, retries: 0, errors: [],
    });
    await h.store.updateSync(h.syncId, { state: 'running', now });
    await scheduler.start();
    await scheduler.stop();
    expect(await h.store.getRun('ghost')).toMatchObject({ status: 'failed' });
    const runs = await h.store.listRuns(h.syncId);
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'failed']);
    expect([...sim.lists.get('L1')!.members].sort()).toEqual(userIds(3));
  });

  it('keeps a schedule changed while the run was going', async () => {
    const { h, scheduler } = await setup('hourly');
    const started = await scheduler.tick();
    const moved = new Date(h.clock.now().getTime() + 5 * H);
    await h.store.updateSync(h.syncId, { frequency: 'daily', nextRunAt: moved, now: h.clock.now() });
    await settle(started);
    expect((await h.store.getSync(h.syncId))!.nextRunAt).toEqual(moved);
  });

  it('start() runs what is due at once, poke() wakes it for a new sync, stop() ends the loop', async () => {
    const { h } = await setup('once');
    const scheduler = new SyncScheduler({ store: h.store, runner: h.runner, clock: systemClock, pollIntervalMs: 60_000 });
    await scheduler.start();
    await waitFor(async () => (await h.store.getSync(h.syncId))!.lastRun?.status === 'succeeded');
    h.membership.setCohort('c2', 'Second', ['x']);
    await h.store.createSync({ id: 's2', cohortId: 'c2', destinationId: h.destinationId, frequency: 'once', batchSize: 10, nextRunAt: h.clock.now(), now: h.clock.now() });
    scheduler.poke();
    await waitFor(async () => (await h.store.getSync('s2'))!.lastRun?.status === 'succeeded');
    await scheduler.stop();
    expect(sim.lists.size).toBe(2);
  });
});

async function waitFor(cond: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
