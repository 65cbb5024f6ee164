import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { openPostgres, type PgDatabase } from '../../storage/postgres/database.js';
import { freshPgSchema, noPostgres, PG_URL } from '../../storage/postgres/test-support/pg-test-db.js';
import { PG_WORKFLOW_MIGRATIONS } from '../../storage/postgres/workflow-migrations.js';
import { createPostgresWorkflowStore } from '../../storage/postgres/workflow-store.js';
import type { WorkflowStore } from '../../storage/workflow-store.js';
import { systemClock } from '../syncs/clock.js';
import { FakeClock } from '../syncs/test-support/fake-clock.js';
import { ActionRunner } from './action-runner.js';

/**
 * Step actions with several processes on one PostgreSQL: each "process" here
 * is its own pool and store over one schema (as separate servers would be),
 * each with its own ActionRunner.
 */
const pools: PgDatabase[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

async function processes(n: number, leaseMs?: number): Promise<{ stores: WorkflowStore[]; db: PgDatabase }> {
  const schema = freshPgSchema();
  const dbs: PgDatabase[] = [];
  for (let i = 0; i < n; i++) dbs.push(await openPostgres(PG_URL!, [PG_WORKFLOW_MIGRATIONS], { schema, max: 4 }));
  pools.push(...dbs);
  return { stores: dbs.map((db) => createPostgresWorkflowStore(db, { leaseMs })), db: dbs[0] };
}

/** `count` members enter a board whose first step has an action: one pending execution each. */
async function enqueue(store: WorkflowStore, cohortId: string, count: number, at: Date): Promise<void> {
  const ids = Array.from({ length: count }, (_, i) => `user-${i}`);
  await store.replaceSteps(cohortId, [{ id: `${cohortId}-a`, name: 'Sync', position: 0, action: { type: 'run_sync', syncId: 's1' } }], async function* () {}, at);
  const r = await store.reconcile(cohortId, async function* () {
    yield ids;
  }, at);
  expect(r.enqueued).toBe(count);
}

describe.skipIf(noPostgres())('ActionRunner: several processes on one PostgreSQL', () => {
  let n = 0;
  let cohort: string;
  beforeEach(() => {
    cohort = `c${++n}`;
  });

  it('two runners draining at once run each execution exactly once', async () => {
    const { stores } = await processes(2);
    const clock = new FakeClock();
    await enqueue(stores[0], cohort, 60, clock.now());
    const runs = new Map<string, number>();
    const runners = stores.map(
      (store) =>
        new ActionRunner({
          store, clock, concurrency: 3,
          perform: async (e) => {
            runs.set(e.id, (runs.get(e.id) ?? 0) + 1);
            await new Promise((r) => setImmediate(r));
            return { kind: 'ok' };
          },
        }),
    );
    await Promise.all([...runners.map((r) => r.drain()), ...runners.map((r) => r.drain())]);
    const log = await stores[1].executions(cohort, { limit: 100 });
    expect(log).toHaveLength(60);
    expect(log.every((e) => e.status === 'succeeded' && e.attempts === 1)).toBe(true);
    expect([...runs.values()].every((c) => c === 1)).toBe(true);
    expect(runs.size).toBe(60);
  });

  it("an execution whose worker died is run by another once the claim lapses; the dead worker's late outcome is dropped", async () => {
    const { stores } = await processes(2, 400);
    await enqueue(stores[0], cohort, 1, new Date());
    // Process A claims the execution, then dies: it never renews nor records anything.
    const [claimed] = await stores[0].claimDue(new Date(), 1);
    expect(claimed.attempts).toBe(1);
    const done: number[] = [];
    const b = new ActionRunner({ store: stores[1], clock: systemClock, pollIntervalMs: 50, perform: async (e) => (done.push(e.attempts), { kind: 'ok' }) });
    await b.start();
    try {
      await vi.waitFor(async () => expect((await stores[1].execution(claimed.id))?.status).toBe('succeeded'), { timeout: 10_000, interval: 50 });
    } finally {
      await b.stop();
    }
    expect(done).toEqual([2]);
    const e = (await stores[1].execution(claimed.id))!;
    expect(e.attemptLog.map((l) => [l.ok, l.error])).toEqual([[false, expect.stringMatching(/^interrupted/)], [true, null]]);
    expect(await stores[0].finishAttempt(claimed, { kind: 'failed', at: new Date(), error: 'late' })).toBe(false);
    expect(await stores[1].execution(claimed.id)).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('a slow attempt keeps its claim while its worker renews it: nobody else runs it', async () => {
    const { stores, db } = await processes(2, 300);
    await enqueue(stores[0], cohort, 1, new Date());
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let started = false;
    const a = new ActionRunner({ store: stores[0], clock: systemClock, renewEveryMs: 50, perform: async () => ((started = true), await held, { kind: 'ok' }) });
    const slow = a.runDue();
    await vi.waitFor(() => expect(started).toBe(true));
    const [{ until }] = await db.query<{ until: Date }>(`SELECT lease_until AS until FROM workflow_actions`);
    // Process B keeps looking for work well past the first claim's expiry.
    let looks = 0;
    const storeB: WorkflowStore = { ...stores[1], claimDue: (now, limit) => (looks++, stores[1].claimDue(now, limit)) };
    const others: string[] = [];
    const b = new ActionRunner({ store: storeB, clock: systemClock, pollIntervalMs: 20, perform: async (e) => (others.push(e.id), { kind: 'ok' }) });
    await b.start();
    try {
      await vi.waitFor(async () => {
        const [r] = await db.query<{ past: boolean }>('SELECT clock_timestamp() > $1 AS past', [until]);
        expect(r.past).toBe(true);
      }, { timeout: 10_000, interval: 20 });
      const from = looks;
      await vi.waitFor(() => expect(looks).toBeGreaterThan(from + 2), { timeout: 10_000, interval: 20 });
    } finally {
      await b.stop();
    }
    expect(others).toEqual([]);
    release();
    await slow;
    const [e] = await stores[1].executions(cohort, { limit: 10 });
    expect(e).toMatchObject({ status: 'succeeded', attempts: 1 });
  });
});
