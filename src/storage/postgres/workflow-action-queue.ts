import type { Action, AttemptEntry, ExecutionStatus } from '../../schemas/workflow.js';
import type { ExecutionRecord, WorkflowStore } from '../workflow-store.js';
import type { PgDatabase, PgQueryable } from './database.js';
import { decodeText, encodeText } from './text-values.js';

/** Attempts kept per execution (the policy allows 9; a lapsed claim may add one). */
const MAX_LOG = 20;
/** What the log says of an attempt whose worker stopped renewing its claim (crashed, killed, stalled). */
export const LAPSED = 'interrupted by a restart (its worker stopped)';

export const COLUMNS = `seq, id, cohort_id, step_id, step_name, user_id, action, status, attempts, last_error, attempt_log,
  created_at, finished_at, next_attempt_at, moved_at, moved_by`;

/** Appends one entry (a jsonb parameter) to `attempt_log`, keeping the last MAX_LOG. */
const appendLog = (param: string) =>
  `(CASE WHEN jsonb_array_length(attempt_log) >= ${MAX_LOG} THEN attempt_log - 0 ELSE attempt_log END) || jsonb_build_array(${param}::jsonb)`;

export interface ActionRow {
  seq: number;
  id: string;
  cohort_id: string;
  step_id: string;
  step_name: string;
  user_id: string;
  action: Action;
  status: string;
  attempts: number;
  last_error: string | null;
  attempt_log: AttemptEntry[];
  created_at: Date;
  finished_at: Date | null;
  next_attempt_at: Date | null;
  moved_at: Date;
  moved_by: string | null;
}

export const toExecution = (r: ActionRow): ExecutionRecord & { seq: number } => ({
  seq: r.seq,
  id: r.id,
  cohortId: r.cohort_id,
  stepId: r.step_id,
  stepName: r.step_name,
  userId: decodeText(r.user_id),
  action: r.action,
  status: r.status as ExecutionStatus,
  attempts: r.attempts,
  lastError: r.last_error,
  createdAt: r.created_at,
  finishedAt: r.finished_at,
  nextAttemptAt: r.next_attempt_at,
  movedAt: r.moved_at,
  movedBy: r.moved_by,
  attemptLog: r.attempt_log,
});

type QueueMethods = Pick<
  WorkflowStore,
  'executions' | 'claimDue' | 'renewLeases' | 'finishAttempt' | 'requeueRunning' | 'nextDueAt' | 'pruneFinished' | 'execution'
>;

/**
 * The step-action queue on PostgreSQL, shared by every process. A claim is the
 * row's `running` status with a lease (`lease_until`, on the server's clock)
 * that its worker renews; claims are taken with FOR UPDATE SKIP LOCKED, so
 * concurrent workers never take the same execution, and an attempt is recorded
 * only by the claim that made it (its attempt number).
 */
export function createPgActionQueue(db: PgDatabase, leaseMs: number): QueueMethods {
  /** Requeues executions whose claim lapsed; returns how many. */
  async function requeueLapsed(q: PgQueryable, now: Date): Promise<number> {
    const entry = JSON.stringify({ at: now.toISOString(), ok: false, error: LAPSED });
    const [r] = await q.query<{ n: number }>(
      `WITH lapsed AS (
         SELECT id FROM workflow_actions WHERE status = 'running' AND lease_until < clock_timestamp() FOR UPDATE SKIP LOCKED),
       done AS (
         UPDATE workflow_actions a SET status = 'pending', last_error = $1, attempt_log = ${appendLog('$2')},
                next_attempt_at = $3, lease_until = NULL
           FROM lapsed WHERE a.id = lapsed.id RETURNING 1)
       SELECT count(*) AS n FROM done`,
      [LAPSED, entry, now],
    );
    return r.n;
  }

  return {
    async executions(cohortId, o) {
      const rows = await db.query<ActionRow>(
        `SELECT ${COLUMNS} FROM workflow_actions
          WHERE cohort_id = $1 AND ($2::text IS NULL OR user_id = $2)
            AND ($3::text IS NULL OR step_id = $3) AND ($4::bigint IS NULL OR seq < $4)
          ORDER BY seq DESC LIMIT $5`,
        [cohortId, o.userId === undefined ? null : encodeText(o.userId), o.stepId ?? null, o.beforeSeq ?? null, o.limit],
      );
      return rows.map(toExecution);
    },

    async execution(id) {
      const [r] = await db.query<ActionRow>(`SELECT ${COLUMNS} FROM workflow_actions WHERE id = $1`, [id]);
      return r ? toExecution(r) : undefined;
    },

    async claimDue(now, limit) {
      // Executions of a worker that died are due again once its claim lapsed (≤ the lease).
      await requeueLapsed(db, now);
      const rows = await db.query<ActionRow>(
        `WITH due AS (
           SELECT id FROM workflow_actions WHERE status = 'pending' AND next_attempt_at <= $1
            ORDER BY next_attempt_at, seq LIMIT $2 FOR UPDATE SKIP LOCKED)
         UPDATE workflow_actions a SET status = 'running', attempts = a.attempts + 1, next_attempt_at = NULL,
                lease_until = clock_timestamp() + $3 * interval '1 millisecond'
           FROM due WHERE a.id = due.id
         RETURNING ${COLUMNS.split(',').map((c) => `a.${c.trim()}`).join(', ')}`,
        [now, limit, leaseMs],
      );
      return rows.map(toExecution).sort((a, b) => a.seq - b.seq);
    },

    async renewLeases(running) {
      if (!running.length) return;
      await db.query(
        `UPDATE workflow_actions a SET lease_until = clock_timestamp() + $3 * interval '1 millisecond'
           FROM unnest($1::text[], $2::int[]) AS x(id, n)
          WHERE a.id = x.id AND a.attempts = x.n AND a.status = 'running'`,
        [running.map((r) => r.id), running.map((r) => r.attempts), leaseMs],
      );
    },

    async finishAttempt({ id, attempts }, r) {
      const entry = JSON.stringify({ at: r.at.toISOString(), ok: r.kind === 'succeeded', error: r.kind === 'succeeded' ? null : r.error });
      const rows =
        r.kind === 'retry'
          ? await db.query(
              `UPDATE workflow_actions SET status = 'pending', last_error = $3, attempt_log = ${appendLog('$4')},
                      next_attempt_at = $5, lease_until = NULL
                WHERE id = $1 AND attempts = $2 AND status = 'running' RETURNING 1`,
              [id, attempts, r.error, entry, r.nextAttemptAt],
            )
          : await db.query(
              `UPDATE workflow_actions SET status = $3, last_error = $4, attempt_log = ${appendLog('$5')},
                      finished_at = $6, next_attempt_at = NULL, lease_until = NULL
                WHERE id = $1 AND attempts = $2 AND status = 'running' RETURNING 1`,
              [id, attempts, r.kind, r.kind === 'failed' ? r.error : null, entry, r.at],
            );
      return rows.length === 1;
    },

    // Other processes may be running executions right now: only lapsed claims are theirs to give back.
    requeueRunning: (now) => requeueLapsed(db, now),

    async pruneFinished(before) {
      const [r] = await db.query<{ n: number }>(
        `WITH gone AS (DELETE FROM workflow_actions WHERE status IN ('succeeded', 'failed') AND finished_at < $1 RETURNING 1)
         SELECT count(*) AS n FROM gone`,
        [before],
      );
      return r.n;
    },

    async nextDueAt() {
      const [r] = await db.query<{ at: Date | null }>(`SELECT min(next_attempt_at) AS at FROM workflow_actions WHERE status = 'pending'`);
      return r?.at ?? null;
    },
  };
}
