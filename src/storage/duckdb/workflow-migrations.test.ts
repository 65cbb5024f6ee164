import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from './database.js';
import { WORKFLOW_MIGRATIONS } from './workflow-migrations.js';
import { createDuckDBWorkflowStore } from './workflow-store.js';

const dir = mkdtempSync(join(tmpdir(), 'kohort-wf-migrate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('workflow-002: cards and executions keyed by user id', () => {
  it('a board saved by an older version keeps its cards, steps and execution log', async () => {
    const path = join(dir, 'k.duckdb');
    const old = await openDatabase(path, [WORKFLOW_MIGRATIONS.slice(0, 1)], { readConnections: 1 });
    await old.writer.run(`INSERT INTO users VALUES (1, 'alice', now()), (2, 'bob', now())`);
    await old.writer.run(`INSERT INTO workflow_steps VALUES ('s-a', 'c1', 0, 'New', NULL, now(), now()),
                            ('s-b', 'c1', 1, 'Hook', '{"type":"run_sync","syncId":"s1"}', now(), now())`);
    await old.writer.run(`INSERT INTO workflow_cards VALUES ('c1', 1, 's-a', TIMESTAMP '2025-01-01 00:00:00', NULL),
                            ('c1', 2, 's-b', TIMESTAMP '2025-01-02 00:00:00', 'acc1'), ('c1', 99, 's-a', now(), NULL)`);
    await old.writer.run(`INSERT INTO workflow_actions (id, cohort_id, step_id, step_name, uid, type, action, status, attempts, last_error,
                              attempt_log, created_at, finished_at, next_attempt_at, moved_at, moved_by)
                          VALUES ('wfx_old', 'c1', 's-b', 'Hook', 2, 'run_sync', '{"type":"run_sync","syncId":"s1"}', 'pending', 1, 'HTTP 500',
                                  '[{"at":"2025-01-02T00:00:01.000Z","ok":false,"error":"HTTP 500"}]', TIMESTAMP '2025-01-02 00:00:00', NULL,
                                  TIMESTAMP '2025-01-02 00:01:00', TIMESTAMP '2025-01-02 00:00:00', 'acc1')`);
    await old.close();

    const db = await openDatabase(path, [WORKFLOW_MIGRATIONS], { readConnections: 1 });
    try {
      const store = createDuckDBWorkflowStore(await db.connect());
      // The card of a person merged away (uid 99, no user) was already invisible: it is dropped.
      expect((await store.cards('c1', { limit: 10 })).map((c) => [c.userId, c.stepId, c.movedBy])).toEqual([
        ['alice', 's-a', null],
        ['bob', 's-b', 'acc1'],
      ]);
      const [e] = await store.executions('c1', { userId: 'bob', limit: 10 });
      expect(e).toMatchObject({ id: 'wfx_old', userId: 'bob', attempts: 1, lastError: 'HTTP 500', nextAttemptAt: new Date('2025-01-02T00:01:00Z') });
      expect(e.attemptLog).toHaveLength(1);
      // The queue continues: new executions follow the old ones (the sequence carried over).
      expect(await store.move('c1', 'alice', 's-b', new Date('2025-01-03T00:00:00Z'), null)).toMatchObject({ kind: 'moved' });
      const log = await store.executions('c1', { limit: 10 });
      expect(log.map((x) => x.userId)).toEqual(['alice', 'bob']);
      expect(log[0].seq).toBeGreaterThan(log[1].seq);
    } finally {
      await db.close();
    }
  });
});
