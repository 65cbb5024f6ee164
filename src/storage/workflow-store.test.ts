import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from './duckdb/database.js';
import { WORKFLOW_MIGRATIONS } from './duckdb/workflow-migrations.js';
import { createDuckDBWorkflowStore } from './duckdb/workflow-store.js';
import { freshPgDatabase, noPostgres } from './postgres/test-support/pg-test-db.js';
import { PG_WORKFLOW_MIGRATIONS } from './postgres/workflow-migrations.js';
import { createPostgresWorkflowStore } from './postgres/workflow-store.js';
import type { MemberPages, WorkflowStore } from './workflow-store.js';

/** A store, and a way to make its current claims lapse (as when their worker died long enough ago). */
interface Subject {
  store: WorkflowStore;
  lapseClaims(): Promise<void>;
}

const duckdbs: Database[] = [];
afterAll(async () => {
  for (const d of duckdbs) await d.close();
});

const impls: [string, () => Promise<Subject>, boolean][] = [
  [
    'DuckDB',
    async () => {
      const db = await openDatabase(':memory:', [WORKFLOW_MIGRATIONS], { readConnections: 1 });
      duckdbs.push(db);
      // One process: whatever is running when it starts was cut short (requeueRunning takes every one).
      return { store: createDuckDBWorkflowStore(await db.connect()), lapseClaims: async () => undefined };
    },
    false,
  ],
  [
    'PostgreSQL',
    async () => {
      const db = await freshPgDatabase([PG_WORKFLOW_MIGRATIONS]);
      return {
        store: createPostgresWorkflowStore(db),
        lapseClaims: async () => void (await db.query(`UPDATE workflow_actions SET lease_until = clock_timestamp() - interval '1 second' WHERE status = 'running'`)),
      };
    },
    noPostgres(),
  ],
];

const T0 = new Date('2025-03-01T10:00:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const hook = { type: 'webhook' as const, url: 'http://127.0.0.1:1/h', secret: 'whsec_AAAAAAAAAAAAAAAAAAAAAA==' };

const steps = (cohort: string) => [
  { id: `${cohort}-a`, name: 'New', position: 0, action: hook },
  { id: `${cohort}-b`, name: 'Called', position: 1, action: { type: 'set_property' as const, key: 'stage', value: 'called' } },
  { id: `${cohort}-c`, name: 'Done', position: 2, action: null },
];

for (const [label, make, skip] of impls) {
  describe.skipIf(skip)(`WorkflowStore contract: ${label}`, () => {
    let store: WorkflowStore;
    let subject: Subject;
    /** Membership lives elsewhere: here, lists handed out two ids a page; `reads` counts the streams opened. */
    const membership = new Map<string, string[]>();
    let reads = 0;
    const members = (cohortId: string): MemberPages =>
      async function* () {
        reads++;
        const all = membership.get(cohortId) ?? [];
        for (let i = 0; i < all.length; i += 2) yield all.slice(i, i + 2);
      };
    const setMembers = (cohortId: string, n: number[]) => membership.set(cohortId, n.map((i) => `u${i}`));

    beforeEach(async () => {
      subject = await make();
      store = subject.store;
      membership.clear();
      reads = 0;
    });

    it('a new board places current members in the first step without enqueuing anything', async () => {
      setMembers('c1', [1, 2]);
      await store.replaceSteps('c1', steps('c1'), members('c1'), at(0));
      expect((await store.cards('c1', { limit: 10 })).map((c) => [c.userId, c.stepId, c.movedBy])).toEqual([
        ['u1', 'c1-a', null],
        ['u2', 'c1-a', null],
      ]);
      expect(await store.executions('c1', { limit: 10 })).toEqual([]);
      expect((await store.steps('c1')).map((s) => s.name)).toEqual(['New', 'Called', 'Done']);
      expect((await store.steps('c1'))[0].action).toEqual(hook);
      // Saving the list again does not read the membership: the board has its cards.
      await store.replaceSteps('c1', steps('c1'), members('c1'), at(1));
      expect(reads).toBe(1);
    });

    it('reconcile: entering members get a card and one execution of the first step; leavers lose their card', async () => {
      setMembers('c1', [1]);
      await store.replaceSteps('c1', steps('c1'), members('c1'), at(0));
      setMembers('c1', [2, 3]);
      expect(await store.reconcile('c1', members('c1'), at(5))).toEqual({ entered: 2, left: 1, enqueued: 2 });
      expect((await store.cards('c1', { limit: 10 })).map((c) => c.userId)).toEqual(['u2', 'u3']);
      const ex = await store.executions('c1', { limit: 10 });
      expect(ex.map((e) => [e.userId, e.stepId, e.status, e.action.type])).toEqual(
        expect.arrayContaining([['u2', 'c1-a', 'pending', 'webhook'], ['u3', 'c1-a', 'pending', 'webhook']]),
      );
      expect(ex[0].id).toMatch(/^wfx_[0-9a-f]{32}$/);
      expect(ex[0]).toMatchObject({ movedAt: at(5), createdAt: at(5), nextAttemptAt: at(5), movedBy: null, attempts: 0, attemptLog: [] });
      // Nothing changed: nothing happens.
      expect(await store.reconcile('c1', members('c1'), at(6))).toEqual({ entered: 0, left: 0, enqueued: 0 });
      expect(await store.executions('c1', { limit: 10 })).toHaveLength(2);
    });

    it('reconcile streams many pages, ignores repeats and keeps ids byte for byte', async () => {
      await store.replaceSteps('c1', steps('c1'), members('c1'), at(0));
      const odd = ['a\u0000b', 'back\\slash', 'Émile', 'z'];
      membership.set('c1', [...odd, 'Émile', ...Array.from({ length: 25 }, (_, i) => `p${String(i).padStart(2, '0')}`)]);
      expect(await store.reconcile('c1', members('c1'), at(1))).toEqual({ entered: 29, left: 0, enqueued: 29 });
      const cards = (await store.cards('c1', { limit: 100 })).map((c) => c.userId);
      expect(new Set(cards)).toEqual(new Set(membership.get('c1')));
      expect(cards).toHaveLength(29);
      expect((await store.cards('c1', { search: 'ÉMI', limit: 10 })).map((c) => c.userId)).toEqual(['Émile']);
      expect(await store.move('c1', 'a\u0000b', 'c1-c', at(2), null)).toMatchObject({ kind: 'moved', card: { userId: 'a\u0000b' } });
      expect((await store.executions('c1', { userId: 'back\\slash', limit: 10 })).map((e) => e.userId)).toEqual(['back\\slash']);
      membership.set('c1', ['z']);
      expect(await store.reconcile('c1', members('c1'), at(3))).toEqual({ entered: 0, left: 28, enqueued: 0 });
    });

    it('reconcile without steps drops the cards and never reads the membership', async () => {
      setMembers('c1', [1, 2]);
      await store.replaceSteps('c1', steps('c1'), members('c1'), at(0));
      await store.replaceSteps('c1', [], members('c1'), at(1));
      reads = 0;
      expect(await store.reconcile('c1', members('c1'), at(2))).toEqual({ entered: 0, left: 0, enqueued: 0 });
      expect(await store.reconcile('zz', members('zz'), at(2))).toEqual({ entered: 0, left: 0, enqueued: 0 });
      expect(reads).toBe(0);
    });

    it('repeated and concurrent reconciles make one card and one execution per arrival', async () => {
      setMembers('c1', [1]);
      await store.replaceSteps('c1', steps('c1'), members('c1'), at(0));
      setMembers('c1', [1, 2, 3, 4]);
      const rs = await Promise.all([1, 2, 3].map(() => store.reconcile('c1', members('c1'), at(1))));
      expect(rs.reduce((n, r) => n + r.enqueued, 0)).toBe(3);
      expect((await store.executions('c1', { limit: 10 })).map((e) => e.userId).sort()).toEqual(['u2', 'u3', 'u4']);
      expect(await store.cardCounts('c1')).toEqual(new Map([['c1-a', 4]]));
    });

    it('move: updates the card and enqueues once; a repeat is unchanged; unknown step or card say so', async () => {
      setMembers('c1', [1, 2]);
      await store.replaceSteps('c1', steps('c1'), members('c1'), at(0));
      const m = await store.move('c1', 'u1', 'c1-b', at(10), 'acc1');
      expect(m).toMatchObject({ kind: 'moved', card: { userId: 'u1', stepId: 'c1-b', movedBy: 'acc1' } });
      const again = await Promise.all([store.move('c1', 'u1', 'c1-b', at(11), 'acc1'), store.move('c1', 'u1', 'c1-b', at(11), 'acc1')]);
      expect(again.map((r) => r.kind)).toEqual(['unchanged', 'unchanged']);
      expect(await store.move('c1', 'u1', 'nope', at(12), null)).toEqual({ kind: 'no_step' });
      expect(await store.move('c1', 'u5', 'c1-b', at(12), null)).toEqual({ kind: 'no_card' });
      const ex = await store.executions('c1', { limit: 10 });
      expect(ex).toHaveLength(1);
      expect(ex[0]).toMatchObject({ userId: 'u1', stepId: 'c1-b', stepName: 'Called', movedBy: 'acc1', movedAt: at(10) });
      expect(m.kind === 'moved' && m.executionId).toBe(ex[0].id);
      // A step without action moves without enqueuing.
      expect(await store.move('c1', 'u1', 'c1-c', at(13), 'acc1')).toMatchObject({ kind: 'moved', executionId: null });
      // Concurrent moves of one card into one step: one moves, one execution.
      const both = await Promise.all([store.move('c1', 'u2', 'c1-b', at(14), 'x'), store.move('c1', 'u2', 'c1-b', at(14), 'y')]);
      expect(both.map((r) => r.kind).sort()).toEqual(['moved', 'unchanged']);
      expect(await store.executions('c1', { userId: 'u2', limit: 10 })).toHaveLength(1);
    });

    it('removing a step moves its cards to the first step; an empty list removes the board', async () => {
      setMembers('c1', [1, 2]);
      await store.replaceSteps('c1', steps('c1'), members('c1'), at(0));
      await store.move('c1', 'u2', 'c1-c', at(1), 'x');
      const [a, b] = steps('c1');
      await store.replaceSteps('c1', [{ ...b, position: 0 }, { ...a, position: 1 }], members('c1'), at(2));
      expect(Object.fromEntries((await store.cards('c1', { limit: 10 })).map((c) => [c.userId, c.stepId]))).toEqual({ u1: 'c1-a', u2: 'c1-b' });
      // Relocated, not moved: the card keeps when and by whom it was last moved.
      expect((await store.cards('c1', { limit: 10 }))[1]).toMatchObject({ movedAt: at(1), movedBy: 'x' });
      expect(await store.cardCounts('c1')).toEqual(new Map([['c1-a', 1], ['c1-b', 1]]));
      const sums = await store.summaries(['c1', 'zz']);
      expect(sums.get('c1')).toEqual([{ id: 'c1-b', name: 'Called', cardCount: 1 }, { id: 'c1-a', name: 'New', cardCount: 1 }]);
      expect(sums.has('zz')).toBe(false);
      await store.replaceSteps('c1', [], members('c1'), at(3));
      expect(await store.cards('c1', { limit: 10 })).toEqual([]);
      expect(await store.steps('c1')).toEqual([]);
    });

    it('cards filter by step and search, page by user id', async () => {
      setMembers('c1', [1, 2, 3, 4]);
      await store.replaceSteps('c1', steps('c1'), members('c1'), at(0));
      await store.move('c1', 'u3', 'c1-b', at(1), null);
      expect((await store.cards('c1', { stepId: 'c1-a', limit: 10 })).map((c) => c.userId)).toEqual(['u1', 'u2', 'u4']);
      expect((await store.cards('c1', { search: 'U3', limit: 10 })).map((c) => c.userId)).toEqual(['u3']);
      expect((await store.cards('c1', { afterUserId: 'u2', limit: 1 })).map((c) => c.userId)).toEqual(['u3']);
    });

    it('stepOfUsers: the step of each listed user per listed cohort; users without a card are absent', async () => {
      setMembers('c1', [1, 2, 3]);
      setMembers('c2', [2, 3]);
      await store.replaceSteps('c1', steps('c1'), members('c1'), at(0));
      await store.replaceSteps('c2', steps('c2'), members('c2'), at(0));
      await store.move('c1', 'u2', 'c1-c', at(1), null);
      const got = await store.stepOfUsers(['c1', 'c2', 'c3'], ['u2', 'u3', 'u9']);
      const flat = [...got].flatMap(([c, m]) => [...m].map(([u, s]) => [c, u, s.id, s.name])).sort();
      expect(flat).toEqual([
        ['c1', 'u2', 'c1-c', 'Done'],
        ['c1', 'u3', 'c1-a', 'New'],
        ['c2', 'u2', 'c2-a', 'New'],
        ['c2', 'u3', 'c2-a', 'New'],
      ]);
      expect((await store.stepOfUsers([], ['u2'])).size).toBe(0);
      expect((await store.stepOfUsers(['c1'], [])).size).toBe(0);
      // Ids are kept byte for byte (a backslash and U+0000 are escaped by some engines).
      membership.set('c4', ['a\\b', 'z\u0000']);
      await store.replaceSteps('c4', steps('c4'), members('c4'), at(0));
      const odd = await store.stepOfUsers(['c4'], ['a\\b', 'z\u0000', 'z']);
      expect([...(odd.get('c4') ?? new Map()).keys()].sort()).toEqual(['a\\b', 'z\u0000']);
    });

    it('queue: claim marks running once, retry and finish record every attempt, lapsed claims are requeued', async () => {
      setMembers('c1', [1]);
      await store.replaceSteps('c1', steps('c1'), members('c1'), at(0));
      setMembers('c1', [1, 2]);
      await store.reconcile('c1', members('c1'), at(1));
      expect(await store.claimDue(at(0), 10)).toEqual([]); // not due yet
      const [e] = await store.claimDue(at(1), 10);
      expect(e).toMatchObject({ userId: 'u2', status: 'running', attempts: 1 });
      expect(await store.claimDue(at(1), 10)).toEqual([]);
      await store.renewLeases([{ id: e.id, attempts: 1 }]);
      await store.finishAttempt(e, { kind: 'retry', at: at(2), error: 'HTTP 500', nextAttemptAt: at(3) });
      expect(await store.nextDueAt()).toEqual(at(3));
      expect(await store.pruneFinished(at(1000))).toBe(0); // a pending execution is never pruned
      const [again] = await store.claimDue(at(3), 10);
      expect(again.attempts).toBe(2);
      await subject.lapseClaims();
      expect(await store.requeueRunning(at(4))).toBe(1);
      // The stale claim records nothing once the execution was requeued.
      expect(await store.finishAttempt(again, { kind: 'succeeded', at: at(4) })).toBe(false);
      const [third] = await store.claimDue(at(4), 10);
      expect(await store.finishAttempt(third, { kind: 'succeeded', at: at(5) })).toBe(true);
      expect(await store.finishAttempt(third, { kind: 'succeeded', at: at(5) })).toBe(false);
      const done = (await store.execution(e.id))!;
      expect(done).toMatchObject({ status: 'succeeded', attempts: 3, finishedAt: at(5), nextAttemptAt: null, lastError: null });
      expect(done.attemptLog.map((l) => l.error)).toEqual(['HTTP 500', expect.stringMatching(/^interrupted by a restart/), null]);
      expect(await store.nextDueAt()).toBeNull();
      // Retention: only finished executions older than the cut go.
      expect(await store.pruneFinished(at(5))).toBe(0);
      expect(await store.pruneFinished(at(6))).toBe(1);
      expect(await store.execution(e.id)).toBeUndefined();
    });

    it('queue: claims in due order up to the limit; a failure is final; executions page newest first', async () => {
      setMembers('c1', []);
      await store.replaceSteps('c1', steps('c1'), members('c1'), at(0));
      setMembers('c1', [1, 2, 3]);
      await store.reconcile('c1', members('c1'), at(1));
      const first = await store.claimDue(at(1), 2);
      expect(first).toHaveLength(2);
      const oldest = (await store.executions('c1', { limit: 10 })).reverse().slice(0, 2);
      expect(first.map((e) => e.id)).toEqual(oldest.map((e) => e.id));
      await store.finishAttempt(first[0], { kind: 'failed', at: at(2), error: 'HTTP 404' });
      expect(await store.execution(first[0].id)).toMatchObject({ status: 'failed', lastError: 'HTTP 404', finishedAt: at(2) });
      const page1 = await store.executions('c1', { limit: 2 });
      const page2 = await store.executions('c1', { limit: 2, beforeSeq: page1[1].seq });
      expect([...page1, ...page2].map((e) => e.seq)).toEqual([...[...page1, ...page2].map((e) => e.seq)].sort((a, b) => b - a));
      expect(page1.length + page2.length).toBe(3);
      expect(await store.executions('c1', { stepId: 'c1-b', limit: 10 })).toEqual([]);
    });

    it('deleting a cohort removes its rows; orphans are found', async () => {
      setMembers('c1', [1]);
      setMembers('c2', [2]);
      await store.replaceSteps('c1', steps('c1'), members('c1'), at(0));
      await store.replaceSteps('c2', steps('c2'), members('c2'), at(0));
      await store.move('c1', 'u1', 'c1-b', at(1), null);
      expect(await store.orphanCohorts(new Set(['c1']))).toEqual(['c2']);
      await store.deleteCohort('c1');
      expect(await store.steps('c1')).toEqual([]);
      expect(await store.executions('c1', { limit: 10 })).toEqual([]);
      expect(await store.cards('c2', { limit: 10 })).toHaveLength(1);
    });
  });
}
