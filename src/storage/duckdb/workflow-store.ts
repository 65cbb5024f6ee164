import { randomUUID } from 'node:crypto';
import { listValue, LIST, VARCHAR, type DuckDBType } from '@duckdb/node-api';
import type { Action } from '../../schemas/workflow.js';
import type { CardRecord, MemberPages, MoveResult, StoredStep, WorkflowStore } from '../workflow-store.js';
import type { SerialConnection } from './database.js';
import { createActionQueue } from './workflow-action-queue.js';
import { TS } from './time-values.js';
import { queryOn, type Query, type Row } from './workflow-sql.js';

export const newExecutionId = () => `wfx_${randomUUID().replaceAll('-', '')}`;
/** The same id shape, made by DuckDB for executions enqueued in bulk. */
const SQL_EXECUTION_ID = `'wfx_' || replace(CAST(gen_random_uuid() AS VARCHAR), '-', '')`;

const toStep = (r: Row): StoredStep => ({
  id: String(r.id),
  name: String(r.name),
  position: Number(r.position),
  action: r.action === null || r.action === undefined ? null : (JSON.parse(String(r.action)) as Action),
});
const toCard = (r: Row): CardRecord => ({
  userId: String(r.user_id),
  stepId: String(r.step_id),
  movedAt: new Date(Number(r.moved_at)),
  movedBy: r.moved_by === null || r.moved_by === undefined ? null : String(r.moved_by),
});

const STEP_COLUMNS = 'id, name, position, CAST(action AS VARCHAR) AS action';

/**
 * Enqueues the step's action for every user id in the temp table `wf_entering`
 * (a bulk version of what a move does for one card).
 */
async function enqueueForEntering(q: Query, cohortId: string, step: StoredStep, atMs: number): Promise<void> {
  if (!step.action) return;
  await q(
    `INSERT INTO workflow_actions (id, cohort_id, step_id, step_name, user_id, type, action, status, attempts, last_error,
                                   attempt_log, created_at, finished_at, next_attempt_at, moved_at, moved_by)
     SELECT ${SQL_EXECUTION_ID}, ?, ?, ?, user_id, ?, ?, 'pending', 0, NULL, '[]', ${TS}, NULL, ${TS}, ${TS}, NULL FROM wf_entering`,
    [cohortId, step.id, step.name, step.action.type, JSON.stringify(step.action), atMs, atMs, atMs],
  );
}

/**
 * Streams the members into the temp table `wf_members` (connection-local), one
 * bound list per page: the set operations then run in SQL.
 */
async function loadMembers(q: Query, members: MemberPages): Promise<void> {
  await q('CREATE OR REPLACE TEMP TABLE wf_members (user_id VARCHAR NOT NULL)');
  for await (const page of members()) {
    if (page.length) await q('INSERT INTO wf_members SELECT unnest(?)', [listValue(page)], [LIST(VARCHAR)]);
  }
}

/**
 * Workflow tables on DuckDB. Everything goes through one serialized connection,
 * so a read-check-write (a move, a reconcile) can never interleave with another.
 */
export function createDuckDBWorkflowStore(conn: SerialConnection): WorkflowStore {
  const rows = (sql: string, params: unknown[] = [], types?: DuckDBType[]) => conn.use((c) => queryOn(c)(sql, params, types));
  const tx = <T>(fn: (q: Query) => Promise<T>) => conn.transaction((c) => fn(queryOn(c)));
  const stepsOf = async (q: Query, cohortId: string) =>
    (await q(`SELECT ${STEP_COLUMNS} FROM workflow_steps WHERE cohort_id = ? ORDER BY position`, [cohortId])).map(toStep);

  return {
    steps: (cohortId) => stepsOf(rows, cohortId),

    async cardCounts(cohortId) {
      const r = await rows('SELECT step_id, count(*) AS n FROM workflow_cards WHERE cohort_id = ? GROUP BY step_id', [cohortId]);
      return new Map(r.map((x) => [String(x.step_id), Number(x.n)]));
    },

    async summaries(cohortIds) {
      const out = new Map<string, { id: string; name: string; cardCount: number }[]>();
      if (!cohortIds.length) return out;
      const r = await rows(
        // Cards are counted only for cohorts that have steps: most cohorts have none.
        `WITH s AS (SELECT cohort_id, id, name, position FROM workflow_steps WHERE cohort_id IN (SELECT unnest(?))),
              n AS (SELECT cohort_id, step_id, count(*) AS n FROM workflow_cards
                     WHERE cohort_id IN (SELECT DISTINCT cohort_id FROM s) GROUP BY cohort_id, step_id)
         SELECT s.cohort_id, s.id, s.name, coalesce(n.n, 0) AS n
           FROM s LEFT JOIN n ON n.cohort_id = s.cohort_id AND n.step_id = s.id
          ORDER BY s.cohort_id, s.position`,
        [listValue(cohortIds)],
        [LIST(VARCHAR)],
      );
      for (const x of r) {
        const list = out.get(String(x.cohort_id)) ?? [];
        list.push({ id: String(x.id), name: String(x.name), cardCount: Number(x.n) });
        out.set(String(x.cohort_id), list);
      }
      return out;
    },

    async replaceSteps(cohortId, steps, members, at) {
      await tx(async (q) => {
        const before = await stepsOf(q, cohortId);
        const keep = new Set(steps.map((s) => s.id));
        const removed = before.filter((s) => !keep.has(s.id)).map((s) => s.id);
        const atMs = at.getTime();
        const created = new Map(
          (await q('SELECT id, epoch_ms(created_at) AS at FROM workflow_steps WHERE cohort_id = ?', [cohortId])).map((r) => [String(r.id), Number(r.at)]),
        );
        await q('DELETE FROM workflow_steps WHERE cohort_id = ?', [cohortId]);
        for (const s of steps) {
          await q(`INSERT INTO workflow_steps VALUES (?, ?, ?, ?, ?, ${TS}, ${TS})`, [
            s.id, cohortId, s.position, s.name, s.action ? JSON.stringify(s.action) : null, created.get(s.id) ?? atMs, atMs,
          ]);
        }
        if (!steps.length) {
          await q('DELETE FROM workflow_cards WHERE cohort_id = ?', [cohortId]);
          return;
        }
        const first = steps[0].id;
        if (removed.length) {
          // Cards keep their moved_at: they were relocated, not moved by anyone.
          await q(`UPDATE workflow_cards SET step_id = ? WHERE cohort_id = ? AND step_id IN (SELECT unnest(?))`, [first, cohortId, listValue(removed)], [
            VARCHAR, VARCHAR, LIST(VARCHAR),
          ]);
        }
        if (!before.length) {
          // A new board: current members start in the first step without firing its action
          // (only members entering from now on trigger it).
          await loadMembers(q, members);
          await q(`INSERT INTO workflow_cards SELECT ?, user_id, ?, ${TS}, NULL FROM (SELECT DISTINCT user_id FROM wf_members)`, [cohortId, first, atMs]);
          await q('DROP TABLE wf_members');
        }
      });
    },

    async reconcile(cohortId, members, at) {
      return tx(async (q) => {
        const steps = await stepsOf(q, cohortId);
        if (!steps.length) {
          const [r] = await q('SELECT count(*) AS n FROM workflow_cards WHERE cohort_id = ?', [cohortId]);
          if (Number(r.n)) await q('DELETE FROM workflow_cards WHERE cohort_id = ?', [cohortId]);
          return { entered: 0, left: Number(r.n), enqueued: 0 };
        }
        await loadMembers(q, members);
        // One pass over both sides says whether anything changed (most computations change nothing).
        const [d] = await q(
          `SELECT count(*) FILTER (WHERE m.user_id IS NULL) AS leaving, count(*) FILTER (WHERE w.user_id IS NULL) AS entering
             FROM (SELECT user_id FROM workflow_cards WHERE cohort_id = $1) w
             FULL JOIN (SELECT DISTINCT user_id FROM wf_members) m USING (user_id)`,
          [cohortId],
        );
        const leaving = Number(d.leaving);
        const entering = Number(d.entering);
        if (leaving) {
          await q(
            `DELETE FROM workflow_cards WHERE cohort_id = $1 AND user_id IN
               (SELECT user_id FROM workflow_cards WHERE cohort_id = $1 EXCEPT SELECT user_id FROM wf_members)`,
            [cohortId],
          );
        }
        if (entering) {
          await q(
            `CREATE OR REPLACE TEMP TABLE wf_entering AS
               SELECT user_id FROM wf_members EXCEPT SELECT user_id FROM workflow_cards WHERE cohort_id = $1`,
            [cohortId],
          );
          const atMs = at.getTime();
          await q(`INSERT INTO workflow_cards SELECT ?, user_id, ?, ${TS}, NULL FROM wf_entering`, [cohortId, steps[0].id, atMs]);
          await enqueueForEntering(q, cohortId, steps[0], atMs);
          await q('DROP TABLE wf_entering');
        }
        await q('DROP TABLE wf_members');
        return { entered: entering, left: leaving, enqueued: steps[0].action ? entering : 0 };
      });
    },

    async move(cohortId, userId, stepId, at, by): Promise<MoveResult> {
      return tx(async (q) => {
        const [stepRow] = await q(`SELECT ${STEP_COLUMNS} FROM workflow_steps WHERE cohort_id = ? AND id = ?`, [cohortId, stepId]);
        if (!stepRow) return { kind: 'no_step' };
        const step = toStep(stepRow);
        const [cardRow] = await q(
          `SELECT user_id, step_id, epoch_ms(moved_at) AS moved_at, moved_by FROM workflow_cards WHERE cohort_id = ? AND user_id = ?`,
          [cohortId, userId],
        );
        if (!cardRow) return { kind: 'no_card' };
        if (String(cardRow.step_id) === stepId) return { kind: 'unchanged', card: toCard(cardRow) };
        const atMs = at.getTime();
        await q(`UPDATE workflow_cards SET step_id = ?, moved_at = ${TS}, moved_by = ? WHERE cohort_id = ? AND user_id = ?`, [
          stepId, atMs, by, cohortId, userId,
        ]);
        let executionId: string | null = null;
        if (step.action) {
          executionId = newExecutionId();
          await q(
            `INSERT INTO workflow_actions (id, cohort_id, step_id, step_name, user_id, type, action, status, attempts, last_error,
                                           attempt_log, created_at, finished_at, next_attempt_at, moved_at, moved_by)
             VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, NULL, '[]', ${TS}, NULL, ${TS}, ${TS}, ?)`,
            [executionId, cohortId, step.id, step.name, userId, step.action.type, JSON.stringify(step.action), atMs, atMs, atMs, by],
          );
        }
        return { kind: 'moved', card: { userId: String(cardRow.user_id), stepId, movedAt: at, movedBy: by }, executionId };
      });
    },

    async stepOfUsers(cohortIds, userIds) {
      const out = new Map<string, Map<string, { id: string; name: string }>>();
      if (!cohortIds.length || !userIds.length) return out;
      const r = await rows(
        `SELECT c.cohort_id, c.user_id, s.id, s.name FROM workflow_cards c
           JOIN workflow_steps s ON s.cohort_id = c.cohort_id AND s.id = c.step_id
          WHERE c.cohort_id IN (SELECT unnest(?)) AND c.user_id IN (SELECT unnest(?))`,
        [listValue(cohortIds), listValue(userIds)],
        [LIST(VARCHAR), LIST(VARCHAR)],
      );
      for (const x of r) {
        const byUser = out.get(String(x.cohort_id)) ?? new Map<string, { id: string; name: string }>();
        byUser.set(String(x.user_id), { id: String(x.id), name: String(x.name) });
        out.set(String(x.cohort_id), byUser);
      }
      return out;
    },

    async cards(cohortId, o) {
      const r = await rows(
        `SELECT user_id, step_id, epoch_ms(moved_at) AS moved_at, moved_by
           FROM workflow_cards
          WHERE cohort_id = $1 AND ($2::VARCHAR IS NULL OR step_id = $2)
            AND ($3::VARCHAR IS NULL OR user_id > $3)
            AND ($4::VARCHAR IS NULL OR contains(lower(user_id), lower($4)))
          ORDER BY user_id LIMIT $5`,
        [cohortId, o.stepId ?? null, o.afterUserId ?? null, o.search ?? null, o.limit],
      );
      return r.map(toCard);
    },

    async deleteCohort(cohortId) {
      await tx(async (q) => {
        for (const t of ['workflow_cards', 'workflow_actions', 'workflow_steps']) await q(`DELETE FROM ${t} WHERE cohort_id = ?`, [cohortId]);
      });
    },

    async orphanCohorts(existing) {
      const r = await rows(
        `SELECT cohort_id FROM workflow_steps UNION SELECT cohort_id FROM workflow_cards UNION SELECT cohort_id FROM workflow_actions`,
      );
      return r.map((x) => String(x.cohort_id)).filter((id) => !existing.has(id));
    },

    ...createActionQueue(conn),
  };
}
