import type { Action } from '../../schemas/workflow.js';
import { EXECUTION_LEASE_MS, type CardRecord, type MemberPages, type MoveResult, type StoredStep, type WorkflowStore } from '../workflow-store.js';
import type { PgDatabase, PgQueryable } from './database.js';
import type { PgImportTable } from './bulk-import.js';
import { decodeText, encodeText, encodeTexts } from './text-values.js';
import { createPgActionQueue } from './workflow-action-queue.js';

/** The execution id shape of the embedded store (`wfx_` + 32 hex digits), made by the server for bulk enqueues. */
const SQL_EXECUTION_ID = `'wfx_' || replace(gen_random_uuid()::text, '-', '')`;
const STEP_COLUMNS = 'id, name, position, action';

interface StepRow {
  id: string;
  name: string;
  position: number;
  action: Action | null;
}
interface CardRow {
  user_id: string;
  step_id: string;
  moved_at: Date;
  moved_by: string | null;
}

const toStep = (r: StepRow): StoredStep => ({ id: r.id, name: r.name, position: r.position, action: r.action });
const toCard = (r: CardRow): CardRecord => ({ userId: decodeText(r.user_id), stepId: r.step_id, movedAt: r.moved_at, movedBy: r.moved_by });

/**
 * Every writer of one cohort's board (steps, reconcile, moves, delete) holds
 * this transaction-scoped lock, so processes sharing the database change a
 * board one at a time, as the embedded store's single connection does.
 */
const lockBoard = (q: PgQueryable, cohortId: string) => q.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 7301113013))', [cohortId]);

const stepsOf = async (q: PgQueryable, cohortId: string) =>
  (await q.query<StepRow>(`SELECT ${STEP_COLUMNS} FROM workflow_steps WHERE cohort_id = $1 ORDER BY position`, [cohortId])).map(toStep);

/**
 * Streams the members into `wf_members`, a temp table dropped at commit, one
 * bound array per page: only a page is ever in memory, and the set operations
 * against the cards run in SQL.
 */
async function loadMembers(q: PgQueryable, members: MemberPages): Promise<void> {
  await q.query('CREATE TEMP TABLE wf_members (user_id text COLLATE "C" NOT NULL) ON COMMIT DROP');
  for await (const page of members()) {
    if (page.length) await q.query('INSERT INTO wf_members SELECT unnest($1::text[])', [encodeTexts(page)]);
  }
  // Planner statistics: a million members want a hash join, ten want a nested loop.
  await q.query('ANALYZE wf_members');
}

export interface PgWorkflowStoreOptions {
  /** How long a claimed execution stays its worker's without renewal (default EXECUTION_LEASE_MS; ≤ 60 s). */
  leaseMs?: number;
}

/** Workflow steps, cards and the step-action queue on PostgreSQL, shared by any number of processes. */
export function createPostgresWorkflowStore(db: PgDatabase, opts: PgWorkflowStoreOptions = {}): WorkflowStore {
  const board = <T>(cohortId: string, fn: (q: PgQueryable) => Promise<T>) =>
    db.tx(async (q) => {
      await lockBoard(q, cohortId);
      return fn(q);
    });

  /** Cards for every loaded member without one, in `stepId`; the step's action enqueued for each card made. */
  async function enter(q: PgQueryable, cohortId: string, step: StoredStep, at: Date, withAction: boolean): Promise<{ entered: number; enqueued: number }> {
    const action = withAction ? step.action : null;
    const [r] = await q.query<{ entered: number; enqueued: number }>(
      `WITH e AS (
         INSERT INTO workflow_cards (cohort_id, user_id, step_id, moved_at, moved_by)
         SELECT DISTINCT $1::text, m.user_id, $2::text, $3::timestamptz, NULL::text FROM wf_members m
          WHERE NOT EXISTS (SELECT 1 FROM workflow_cards c WHERE c.cohort_id = $1 AND c.user_id = m.user_id)
         ON CONFLICT DO NOTHING RETURNING user_id),
       x AS (
         INSERT INTO workflow_actions (id, cohort_id, step_id, step_name, user_id, type, action, status, attempts,
                                       last_error, attempt_log, created_at, next_attempt_at, moved_at)
         SELECT ${SQL_EXECUTION_ID}, $1, $2, $4, e.user_id, $5::text, $6::jsonb, 'pending', 0, NULL, '[]', $3, $3, $3
           FROM e WHERE $5::text IS NOT NULL RETURNING 1)
       SELECT (SELECT count(*) FROM e) AS entered, (SELECT count(*) FROM x) AS enqueued`,
      [cohortId, step.id, at, step.name, action?.type ?? null, action ? JSON.stringify(action) : null],
    );
    return r;
  }

  return {
    steps: (cohortId) => stepsOf(db, cohortId),

    async cardCounts(cohortId) {
      const r = await db.query<{ step_id: string; n: number }>('SELECT step_id, count(*) AS n FROM workflow_cards WHERE cohort_id = $1 GROUP BY step_id', [cohortId]);
      return new Map(r.map((x) => [x.step_id, x.n]));
    },

    async summaries(cohortIds) {
      const out = new Map<string, { id: string; name: string; cardCount: number }[]>();
      if (!cohortIds.length) return out;
      const r = await db.query<{ cohort_id: string; id: string; name: string; n: number }>(
        // Cards are counted only for cohorts that have steps: most cohorts have none.
        `WITH s AS (SELECT cohort_id, id, name, position FROM workflow_steps WHERE cohort_id = ANY($1::text[])),
              n AS (SELECT cohort_id, step_id, count(*) AS n FROM workflow_cards
                     WHERE cohort_id IN (SELECT DISTINCT cohort_id FROM s) GROUP BY cohort_id, step_id)
         SELECT s.cohort_id, s.id, s.name, coalesce(n.n, 0) AS n
           FROM s LEFT JOIN n ON n.cohort_id = s.cohort_id AND n.step_id = s.id
          ORDER BY s.cohort_id, s.position`,
        [cohortIds],
      );
      for (const x of r) {
        const list = out.get(x.cohort_id) ?? [];
        list.push({ id: x.id, name: x.name, cardCount: x.n });
        out.set(x.cohort_id, list);
      }
      return out;
    },

    async replaceSteps(cohortId, steps, members, at) {
      await board(cohortId, async (q) => {
        const before = await stepsOf(q, cohortId);
        const keep = new Set(steps.map((s) => s.id));
        const removed = before.filter((s) => !keep.has(s.id)).map((s) => s.id);
        await q.query(
          `DELETE FROM workflow_steps WHERE cohort_id = $1 AND NOT (id = ANY($2::text[]))`,
          [cohortId, steps.map((s) => s.id)],
        );
        if (steps.length) {
          // Kept steps keep their created_at.
          await q.query(
            `INSERT INTO workflow_steps (id, cohort_id, position, name, action, created_at, updated_at)
             SELECT id, $1, position, name, action::jsonb, $6, $6 FROM unnest($2::text[], $3::int[], $4::text[], $5::text[]) AS x(id, position, name, action)
             ON CONFLICT (id) DO UPDATE SET position = excluded.position, name = excluded.name, action = excluded.action, updated_at = excluded.updated_at
             WHERE workflow_steps.cohort_id = excluded.cohort_id`,
            [cohortId, steps.map((s) => s.id), steps.map((s) => s.position), steps.map((s) => s.name), steps.map((s) => (s.action ? JSON.stringify(s.action) : null)), at],
          );
        }
        if (!steps.length) {
          await q.query('DELETE FROM workflow_cards WHERE cohort_id = $1', [cohortId]);
          return;
        }
        const first = steps[0];
        if (removed.length) {
          // Cards keep their moved_at: they were relocated, not moved by anyone.
          await q.query('UPDATE workflow_cards SET step_id = $2 WHERE cohort_id = $1 AND step_id = ANY($3::text[])', [cohortId, first.id, removed]);
        }
        if (!before.length) {
          // A new board: current members start in the first step without firing its action
          // (only members entering from now on trigger it).
          await loadMembers(q, members);
          await enter(q, cohortId, first, at, false);
        }
      });
    },

    async reconcile(cohortId, members, at) {
      return board(cohortId, async (q) => {
        const steps = await stepsOf(q, cohortId);
        if (!steps.length) {
          const [r] = await q.query<{ n: number }>(
            'WITH d AS (DELETE FROM workflow_cards WHERE cohort_id = $1 RETURNING 1) SELECT count(*) AS n FROM d',
            [cohortId],
          );
          return { entered: 0, left: r.n, enqueued: 0 };
        }
        await loadMembers(q, members);
        const [d] = await q.query<{ n: number }>(
          `WITH d AS (DELETE FROM workflow_cards c WHERE c.cohort_id = $1
                        AND NOT EXISTS (SELECT 1 FROM wf_members m WHERE m.user_id = c.user_id) RETURNING 1)
           SELECT count(*) AS n FROM d`,
          [cohortId],
        );
        const e = await enter(q, cohortId, steps[0], at, true);
        return { entered: e.entered, left: d.n, enqueued: e.enqueued };
      });
    },

    async move(cohortId, userId, stepId, at, by): Promise<MoveResult> {
      return board(cohortId, async (q) => {
        const [stepRow] = await q.query<StepRow>(`SELECT ${STEP_COLUMNS} FROM workflow_steps WHERE cohort_id = $1 AND id = $2`, [cohortId, stepId]);
        if (!stepRow) return { kind: 'no_step' };
        const step = toStep(stepRow);
        const uid = encodeText(userId);
        const [cardRow] = await q.query<CardRow>(
          'SELECT user_id, step_id, moved_at, moved_by FROM workflow_cards WHERE cohort_id = $1 AND user_id = $2',
          [cohortId, uid],
        );
        if (!cardRow) return { kind: 'no_card' };
        if (cardRow.step_id === stepId) return { kind: 'unchanged', card: toCard(cardRow) };
        await q.query('UPDATE workflow_cards SET step_id = $3, moved_at = $4, moved_by = $5 WHERE cohort_id = $1 AND user_id = $2', [
          cohortId, uid, stepId, at, by,
        ]);
        let executionId: string | null = null;
        if (step.action) {
          const [x] = await q.query<{ id: string }>(
            `INSERT INTO workflow_actions (id, cohort_id, step_id, step_name, user_id, type, action, status, attempts,
                                           last_error, attempt_log, created_at, next_attempt_at, moved_at, moved_by)
             VALUES (${SQL_EXECUTION_ID}, $1, $2, $3, $4, $5, $6::jsonb, 'pending', 0, NULL, '[]', $7, $7, $7, $8) RETURNING id`,
            [cohortId, step.id, step.name, uid, step.action.type, JSON.stringify(step.action), at, by],
          );
          executionId = x.id;
        }
        return { kind: 'moved', card: { userId, stepId, movedAt: at, movedBy: by }, executionId };
      });
    },

    async stepOfUsers(cohortIds, userIds) {
      const out = new Map<string, Map<string, { id: string; name: string }>>();
      if (!cohortIds.length || !userIds.length) return out;
      const r = await db.query<{ cohort_id: string; user_id: string; id: string; name: string }>(
        `SELECT c.cohort_id, c.user_id, s.id, s.name FROM workflow_cards c
           JOIN workflow_steps s ON s.cohort_id = c.cohort_id AND s.id = c.step_id
          WHERE c.cohort_id = ANY($1::text[]) AND c.user_id = ANY($2::text[])`,
        [cohortIds, encodeTexts(userIds)],
      );
      for (const x of r) {
        const byUser = out.get(x.cohort_id) ?? new Map<string, { id: string; name: string }>();
        byUser.set(decodeText(x.user_id), { id: x.id, name: x.name });
        out.set(x.cohort_id, byUser);
      }
      return out;
    },

    async cards(cohortId, o) {
      // The search matches any case under the database's collation (the ids themselves sort bytewise).
      const r = await db.query<CardRow>(
        `SELECT user_id, step_id, moved_at, moved_by FROM workflow_cards
          WHERE cohort_id = $1 AND ($2::text IS NULL OR step_id = $2)
            AND ($3::text IS NULL OR user_id > $3)
            AND ($4::text IS NULL OR strpos(lower(user_id COLLATE "default"), lower($4 COLLATE "default")) > 0)
          ORDER BY user_id LIMIT $5`,
        [cohortId, o.stepId ?? null, o.afterUserId === undefined ? null : encodeText(o.afterUserId), o.search === undefined ? null : encodeText(o.search), o.limit],
      );
      return r.map(toCard);
    },

    async deleteCohort(cohortId) {
      await board(cohortId, async (q) => {
        for (const t of ['workflow_cards', 'workflow_actions', 'workflow_steps']) await q.query(`DELETE FROM ${t} WHERE cohort_id = $1`, [cohortId]);
      });
    },

    async orphanCohorts(existing) {
      const r = await db.query<{ cohort_id: string }>(
        'SELECT cohort_id FROM workflow_steps UNION SELECT cohort_id FROM workflow_cards UNION SELECT cohort_id FROM workflow_actions',
      );
      return r.map((x) => x.cohort_id).filter((id) => !existing.has(id));
    },

    ...createPgActionQueue(db, opts.leaseMs ?? EXECUTION_LEASE_MS),
  };
}

/**
 * What `kohort migrate` may import into this adapter's tables (bulk-import.ts):
 * steps (actions with their secrets sealed, as stored), cards and executions
 * keyed by user id, ids and queue order (seq) kept.
 */
export const PG_WORKFLOW_IMPORTS = {
  workflow_steps: {
    table: 'workflow_steps',
    columns: { id: 'text', cohort_id: 'text', position: 'integer', name: 'text', action: 'jsonb', created_at: 'timestamptz', updated_at: 'timestamptz' },
  },
  workflow_cards: {
    table: 'workflow_cards',
    columns: { cohort_id: 'text', user_id: 'etext', step_id: 'text', moved_at: 'timestamptz', moved_by: 'text' },
    // The embedded table has no key: a second card of one member (never expected) is left out, and shows in the counts.
    onConflict: 'ON CONFLICT DO NOTHING',
  },
  workflow_actions: {
    table: 'workflow_actions',
    columns: {
      seq: 'bigint', id: 'text', cohort_id: 'text', step_id: 'text', step_name: 'text', user_id: 'etext', type: 'text', action: 'jsonb',
      status: 'text', attempts: 'integer', last_error: 'text', attempt_log: 'jsonb', created_at: 'timestamptz', finished_at: 'timestamptz',
      next_attempt_at: 'timestamptz', moved_at: 'timestamptz', moved_by: 'text',
    },
    serial: 'seq',
  },
} as const satisfies Record<string, PgImportTable>;
