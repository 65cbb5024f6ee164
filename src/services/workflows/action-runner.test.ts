import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockReceiver } from '../../destinations/test-support/mock-receiver.js';
import { createKohort, type Kohort } from '../../main.js';
import { openDatabase, type Database } from '../../storage/duckdb/database.js';
import { WORKFLOW_MIGRATIONS } from '../../storage/duckdb/workflow-migrations.js';
import { createDuckDBWorkflowStore } from '../../storage/duckdb/workflow-store.js';
import type { ExecutionRecord, WorkflowStore } from '../../storage/workflow-store.js';
import { systemClock } from '../syncs/clock.js';
import { FakeClock } from '../syncs/test-support/fake-clock.js';
import { ActionRunner, type ActionOutcome } from './action-runner.js';
import { rawDuckDBFile } from '../../storage/duckdb/test-support/raw-duckdb.js';

const ADMIN = 'kha_action_runner_test';
const WRITE = 'khw_action_runner_test';

async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await fn();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not reached');
}

describe('ActionRunner over the DuckDB queue', () => {
  let db: Database;
  let store: WorkflowStore;
  let n = 0;

  beforeAll(async () => {
    db = await openDatabase(':memory:', [WORKFLOW_MIGRATIONS]);
    store = createDuckDBWorkflowStore(await db.connect());
  });
  afterAll(() => db.close());

  const oneMember = async function* () {
    yield ['u1'];
  };

  /** A fresh cohort whose one member's card is moved into a step with an action: one pending execution. */
  async function enqueue(at: Date): Promise<string> {
    const cohort = `c${++n}`;
    await store.replaceSteps(cohort, [
      { id: `${cohort}-a`, name: 'A', position: 0, action: null },
      { id: `${cohort}-b`, name: 'B', position: 1, action: { type: 'run_sync', syncId: 's1' } },
    ], oneMember, at);
    const r = await store.move(cohort, 'u1', `${cohort}-b`, at, null);
    if (r.kind !== 'moved' || !r.executionId) throw new Error('not enqueued');
    return r.executionId;
  }

  it('an unexpected error is retried like a transient one, then the outcome is recorded', async () => {
    const clock = new FakeClock();
    const id = await enqueue(clock.now());
    const outcomes: (ActionOutcome | Error)[] = [new Error('boom'), { kind: 'ok' }];
    const seen: ExecutionRecord[] = [];
    const runner = new ActionRunner({
      store, clock, random: () => 0.5,
      perform: async (e) => {
        seen.push(e);
        const o = outcomes.shift()!;
        if (o instanceof Error) throw o;
        return o;
      },
    });
    await runner.drain();
    expect(seen.map((e) => [e.id, e.attempts])).toEqual([[id, 1], [id, 2]]);
    expect(await store.execution(id)).toMatchObject({ status: 'succeeded', attempts: 2, attemptLog: [{ ok: false, error: 'boom' }, { ok: true, error: null }] });
  });

  it('prunes finished executions past the retention, at most hourly', async () => {
    const clock = new FakeClock();
    const id = await enqueue(clock.now());
    const runner = new ActionRunner({ store, clock, retentionMs: 86_400_000, perform: async () => ({ kind: 'ok' }) });
    await runner.drain();
    expect(await runner.pruneIfDue()).toBe(0); // finished just now: kept
    clock.advance(2 * 86_400_000);
    await runner.pruneIfDue(); // the first look of the day prunes (earlier tests' rows too)
    expect(await store.execution(id)).toBeUndefined();
    const later = await enqueue(clock.now());
    await runner.drain();
    clock.advance(2 * 86_400_000 - 3_600_000 + 1);
    expect(await runner.pruneIfDue()).toBe(1);
    expect(await store.execution(later)).toBeUndefined();
  });

  it('started, it runs what is enqueued as soon as it is poked, and stops cleanly', async () => {
    const done: string[] = [];
    const runner = new ActionRunner({ store, clock: systemClock, pollIntervalMs: 60_000, perform: async (e) => (done.push(e.id), { kind: 'ok' }) });
    await runner.start();
    const id = await enqueue(new Date());
    runner.poke();
    await waitFor(async () => (await store.execution(id))?.status, (s) => s === 'succeeded');
    expect(done).toEqual([id]);
    await runner.stop();
    // Stopped, it still drains on request.
    const later = await enqueue(new Date());
    await runner.drain();
    expect(done).toEqual([id, later]);
  });

  it('runs several executions at once, never one twice', async () => {
    const clock = new FakeClock();
    const ids = await Promise.all([1, 2, 3, 4, 5, 6].map(() => enqueue(clock.now())));
    let inFlight = 0;
    let most = 0;
    const runs: string[] = [];
    const runner = new ActionRunner({
      store, clock, concurrency: 3,
      perform: async (e) => {
        runs.push(e.id);
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 20));
        inFlight--;
        return { kind: 'ok' };
      },
    });
    await Promise.all([runner.drain(), runner.runDue()]);
    expect(runs.sort()).toEqual([...ids].sort());
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(3);
  });
});

describe('crash safety of the queue', () => {
  let dir: string;
  let receiver: MockReceiver;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kohort-actions-'));
    receiver = await new MockReceiver().start();
  });
  afterAll(async () => {
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const open = (clock: FakeClock) =>
    createKohort({ dbPath: join(dir, 'k.duckdb'), adminToken: ADMIN, writeKey: WRITE, background: false, schedulers: false, workflows: { clock, random: () => 0.5 }, allowPrivateUrls: '127.0.0.1' });
  const api = async (k: Kohort, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) => {
    const r = await k.app.inject({ method, url, payload: payload as never, headers: { authorization: `Bearer ${ADMIN}` } });
    return r.json();
  };

  it('a move committed before a restart is delivered after it; one left running is run again', async () => {
    const clock = new FakeClock(Date.now());
    let k = await open(clock);
    await k.app.inject({ method: 'POST', url: '/v1/batch', payload: { batch: [{ type: 'identify', userId: 'a', traits: {} }, { type: 'identify', userId: 'b', traits: {} }] }, headers: { authorization: `Bearer ${WRITE}` } });
    const c = (await api(k, 'POST', '/v1/cohorts', { name: 'Crash', kind: 'static' })).id;
    await api(k, 'POST', `/v1/cohorts/${c}/members`, { userIds: ['a', 'b'] });
    const [, hook] = await api(k, 'PUT', `/v1/cohorts/${c}/steps`, { steps: [{ name: 'In' }, { name: 'Hook', action: { type: 'webhook', url: `${receiver.url}/crash` } }] });
    await api(k, 'POST', `/v1/cohorts/${c}/cards/a/move`, { stepId: hook.id });
    await api(k, 'POST', `/v1/cohorts/${c}/cards/b/move`, { stepId: hook.id });
    // b's execution was claimed when the process died (its attempt never recorded).
    await rawDuckDBFile(k).writer.run(`UPDATE workflow_actions SET status = 'running', attempts = 1, next_attempt_at = NULL WHERE user_id = 'b'`);
    await k.close();
    expect(receiver.requests).toHaveLength(0);

    k = await open(clock);
    try {
      const before = (await api(k, 'GET', `/v1/cohorts/${c}/actions`)).items;
      expect(before.map((e: any) => [e.userId, e.status])).toEqual([['b', 'pending'], ['a', 'pending']]);
      await k.workflows.runner.drain();
      expect(receiver.requests.map((r) => r.json.userId).sort()).toEqual(['a', 'b']);
      const after = (await api(k, 'GET', `/v1/cohorts/${c}/actions`)).items;
      expect(after.map((e: any) => [e.userId, e.status, e.attempts])).toEqual([['b', 'succeeded', 2], ['a', 'succeeded', 1]]);
      expect(after[0].attemptLog[0].error).toBe('interrupted by a restart');
      await k.workflows.runner.drain(); // nothing left: nothing sent again
      expect(receiver.requests).toHaveLength(2);
    } finally {
      await k.close();
    }
  });
});
