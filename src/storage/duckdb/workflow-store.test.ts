import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WorkflowStore } from '../workflow-store.js';
import { openDatabase, type Database } from './database.js';
import { WORKFLOW_MIGRATIONS } from './workflow-migrations.js';
import { createDuckDBWorkflowStore } from './workflow-store.js';

let db: Database;
let store: WorkflowStore;
const T0 = new Date('2025-03-01T10:00:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const hook = { type: 'webhook' as const, url: 'http://127.0.0.1:1/h', secret: 'whsec_AAAAAAAAAAAAAAAAAAAAAA==' };

async function setMembers(cohortId: string, uids: number[]) {
  await db.writer.run('DELETE FROM cohort_members WHERE cohort_id = ?', [cohortId]);
  for (const u of uids) await db.writer.run('INSERT INTO cohort_members VALUES (?, ?)', [cohortId, u]);
}

beforeAll(async () => {
  db = await openDatabase(':memory:', [WORKFLOW_MIGRATIONS]);
  for (let uid = 1; uid <= 5; uid++) await db.writer.run('INSERT INTO users VALUES (?, ?, now())', [uid, `u${uid}`]);
  store = createDuckDBWorkflowStore(await db.connect());
});
afterAll(() => db.close());
beforeEach(async () => {
  for (const t of ['workflow_steps', 'workflow_cards', 'workflow_actions', 'cohort_members']) await db.writer.run(`DELETE FROM ${t}`);
});

const steps = (cohort: string) => [
  { id: `${cohort}-a`, name: 'New', position: 0, action: hook },
  { id: `${cohort}-b`, name: 'Called', position: 1, action: { type: 'set_property' as const, key: 'stage', value: 'called' } },
  { id: `${cohort}-c`, name: 'Done', position: 2, action: null },
];

describe('DuckDB workflow store', () => {
  it('a new board places current members in the first step without enqueuing anything', async () => {
    await setMembers('c1', [1, 2]);
    await store.replaceSteps('c1', steps('c1'), at(0));
    expect((await store.cards('c1', { limit: 10 })).map((c) => [c.userId, c.stepId, c.movedBy])).toEqual([
      ['u1', 'c1-a', null],
      ['u2', 'c1-a', null],
    ]);
    expect(await store.executions('c1', { limit: 10 })).toEqual([]);
    expect((await store.steps('c1')).map((s) => s.name)).toEqual(['New', 'Called', 'Done']);
  });

  it('reconcile: entering members get a card and one execution of the first step; leavers lose their card', async () => {
    await setMembers('c1', [1]);
    await store.replaceSteps('c1', steps('c1'), at(0));
    await setMembers('c1', [2, 3]);
    expect(await store.reconcile('c1', at(5))).toEqual({ entered: 2, left: 1, enqueued: 2 });
    expect((await store.cards('c1', { limit: 10 })).map((c) => c.userId)).toEqual(['u2', 'u3']);
    const ex = await store.executions('c1', { limit: 10 });
    expect(ex.map((e) => [e.userId, e.stepId, e.status, e.action.type])).toEqual(
      expect.arrayContaining([['u2', 'c1-a', 'pending', 'webhook'], ['u3', 'c1-a', 'pending', 'webhook']]),
    );
    expect(ex[0].id).toMatch(/^wfx_[0-9a-f]{32}$/);
    // Nothing changed: nothing happens.
    expect(await store.reconcile('c1', at(6))).toEqual({ entered: 0, left: 0, enqueued: 0 });
    expect(await store.executions('c1', { limit: 10 })).toHaveLength(2);
  });

  it('move: updates the card and enqueues once; a repeat is unchanged; unknown step or card say so', async () => {
    await setMembers('c1', [1, 2]);
    await store.replaceSteps('c1', steps('c1'), at(0));
    const m = await store.move('c1', 'u1', 'c1-b', at(10), 'acc1');
    expect(m).toMatchObject({ kind: 'moved', card: { userId: 'u1', stepId: 'c1-b', movedBy: 'acc1' } });
    const again = await Promise.all([store.move('c1', 'u1', 'c1-b', at(11), 'acc1'), store.move('c1', 'u1', 'c1-b', at(11), 'acc1')]);
    expect(again.map((r) => r.kind)).toEqual(['unchanged', 'unchanged']);
    expect(await store.move('c1', 'u1', 'nope', at(12), null)).toEqual({ kind: 'no_step' });
    expect(await store.move('c1', 'u5', 'c1-b', at(12), null)).toEqual({ kind: 'no_card' });
    const ex = await store.executions('c1', { limit: 10 });
    expect(ex).toHaveLength(1);
    expect(ex[0]).toMatchObject({ userId: 'u1', stepId: 'c1-b', stepName: 'Called', movedBy: 'acc1', movedAt: at(10) });
    // A step without action moves without enqueuing.
    expect(await store.move('c1', 'u1', 'c1-c', at(13), 'acc1')).toMatchObject({ kind: 'moved', executionId: null });
  });

  it('removing a step moves its cards to the first step; an empty list removes the board', async () => {
    await setMembers('c1', [1, 2]);
    await store.replaceSteps('c1', steps('c1'), at(0));
    await store.move('c1', 'u2', 'c1-c', at(1), 'x');
    const [a, b] = steps('c1');
    await store.replaceSteps('c1', [{ ...b, position: 0 }, { ...a, position: 1 }], at(2));
    expect(Object.fromEntries((await store.cards('c1', { limit: 10 })).map((c) => [c.userId, c.stepId]))).toEqual({ u1: 'c1-a', u2: 'c1-b' });
    expect(await store.cardCounts('c1')).toEqual(new Map([['c1-a', 1], ['c1-b', 1]]));
    const sums = await store.summaries(['c1', 'zz']);
    expect(sums.get('c1')).toEqual([{ id: 'c1-b', name: 'Called', cardCount: 1 }, { id: 'c1-a', name: 'New', cardCount: 1 }]);
    expect(sums.has('zz')).toBe(false);
    await store.replaceSteps('c1', [], at(3));
    expect(await store.cards('c1', { limit: 10 })).toEqual([]);
  });

  it('cards filter by step and search, page by user id', async () => {
    await setMembers('c1', [1, 2, 3, 4]);
    await store.replaceSteps('c1', steps('c1'), at(0));
    await store.move('c1', 'u3', 'c1-b', at(1), null);
    expect((await store.cards('c1', { stepId: 'c1-a', limit: 10 })).map((c) => c.userId)).toEqual(['u1', 'u2', 'u4']);
    expect((await store.cards('c1', { search: 'U3', limit: 10 })).map((c) => c.userId)).toEqual(['u3']);
    expect((await store.cards('c1', { afterUserId: 'u2', limit: 1 })).map((c) => c.userId)).toEqual(['u3']);
  });

  it('queue: claim marks running once, retry and finish record every attempt, restart requeues running', async () => {
    await setMembers('c1', [1]);
    await store.replaceSteps('c1', steps('c1'), at(0));
    await setMembers('c1', [1, 2]);
    await store.reconcile('c1', at(1));
    expect(await store.claimDue(at(0), 10)).toEqual([]); // not due yet
    const [e] = await store.claimDue(at(1), 10);
    expect(e).toMatchObject({ userId: 'u2', status: 'running', attempts: 1 });
    expect(await store.claimDue(at(1), 10)).toEqual([]);
    await store.finishAttempt(e.id, { kind: 'retry', at: at(2), error: 'HTTP 500', nextAttemptAt: at(3) });
    expect(await store.nextDueAt()).toEqual(at(3));
    expect(await store.pruneFinished(at(1000))).toBe(0); // a pending execution is never pruned
    const [again] = await store.claimDue(at(3), 10);
    expect(again.attempts).toBe(2);
    expect(await store.requeueRunning(at(4))).toBe(1);
    const [third] = await store.claimDue(at(4), 10);
    await store.finishAttempt(third.id, { kind: 'succeeded', at: at(5) });
    const done = (await store.execution(e.id))!;
    expect(done).toMatchObject({ status: 'succeeded', attempts: 3, finishedAt: at(5), nextAttemptAt: null });
    expect(done.attemptLog.map((l) => l.error)).toEqual(['HTTP 500', 'interrupted by a restart', null]);
    expect(await store.nextDueAt()).toBeNull();
    // Retention: only finished executions older than the cut go.
    expect(await store.pruneFinished(at(5))).toBe(0);
    expect(await store.pruneFinished(at(6))).toBe(1);
    expect(await store.execution(e.id)).toBeUndefined();
  });

  it('deleting a cohort removes its rows; orphans are found', async () => {
    await setMembers('c1', [1]);
    await setMembers('c2', [2]);
    await store.replaceSteps('c1', steps('c1'), at(0));
    await store.replaceSteps('c2', steps('c2'), at(0));
    await store.move('c1', 'u1', 'c1-b', at(1), null);
    expect(await store.orphanCohorts(new Set(['c1']))).toEqual(['c2']);
    await store.deleteCohort('c1');
    expect(await store.steps('c1')).toEqual([]);
    expect(await store.executions('c1', { limit: 10 })).toEqual([]);
    expect(await store.cards('c2', { limit: 10 })).toHaveLength(1);
  });
});
