import type { Action, AttemptEntry, ExecutionStatus } from '../../schemas/workflow.js';
import type { ExecutionRecord, WorkflowStore } from '../workflow-store.js';
import type { SerialConnection } from './database.js';
import { date, TS } from './time-values.js';
import { queryOn, type Query, type Row } from './workflow-sql.js';
/** Attempts kept per execution (the policy allows 9; a restart may add one). */
const MAX_LOG = 20;


const COLUMNS = `seq, id, cohort_id, step_id, step_name, user_id, CAST(action AS VARCHAR) AS action, status,
  attempts, last_error, CAST(attempt_log AS VARCHAR) AS attempt_log, epoch_ms(created_at) AS created_at,
  epoch_ms(finished_at) AS finished_at, epoch_ms(next_attempt_at) AS next_attempt_at,
  epoch_ms(moved_at) AS moved_at, moved_by`;

function toExecution(r: Row): ExecutionRecord & { seq: number } {
  return {
    seq: Number(r.seq),
    id: String(r.id),
    cohortId: String(r.cohort_id),
    stepId: String(r.step_id),
    stepName: String(r.step_name),
    userId: String(r.user_id),
    action: JSON.parse(String(r.action)) as Action,
    status: r.status as ExecutionStatus,
    attempts: Number(r.attempts),
    lastError: r.last_error === null || r.last_error === undefined ? null : String(r.last_error),
    createdAt: date(r.created_at)!,
    finishedAt: date(r.finished_at),
    nextAttemptAt: date(r.next_attempt_at),
    movedAt: date(r.moved_at)!,
    movedBy: r.moved_by === null || r.moved_by === undefined ? null : String(r.moved_by),
    attemptLog: JSON.parse(String(r.attempt_log)) as AttemptEntry[],
  };
}

async function appendLog(q: Query, id: string, entry: AttemptEntry): Promise<string> {
  const [r] = await q('SELECT CAST(attempt_log AS VARCHAR) AS log FROM workflow_actions WHERE id = ?', [id]);
  const log = r ? (JSON.parse(String(r.log)) as AttemptEntry[]) : [];
  log.push(entry);
  return JSON.stringify(log.slice(-MAX_LOG));
}

type QueueMethods = Pick<
  WorkflowStore,
  'executions' | 'claimDue' | 'renewLeases' | 'finishAttempt' | 'requeueRunning' | 'nextDueAt' | 'pruneFinished' | 'execution'
>;

/**
 * The durable queue of step-action executions (`workflow_actions`). One
 * process owns the file, so a claim is simply the `running` status: it holds
 * until the attempt is recorded or the process restarts (`requeueRunning`).
 */
export function createActionQueue(conn: SerialConnection): QueueMethods {
  const rows = (sql: string, params: unknown[] = []) => conn.use((c) => queryOn(c)(sql, params));
  const tx = <T>(fn: (q: Query) => Promise<T>) => conn.transaction((c) => fn(queryOn(c)));

  return {
    async executions(cohortId, o) {
      const r = await rows(
        `SELECT ${COLUMNS} FROM workflow_actions
          WHERE cohort_id = $1 AND ($2::VARCHAR IS NULL OR user_id = $2)
            AND ($3::VARCHAR IS NULL OR step_id = $3) AND ($4::BIGINT IS NULL OR seq < $4)
          ORDER BY seq DESC LIMIT $5`,
        [cohortId, o.userId ?? null, o.stepId ?? null, o.beforeSeq ?? null, o.limit],
      );
      return r.map(toExecution);
    },

    async execution(id) {
      const [r] = await rows(`SELECT ${COLUMNS} FROM workflow_actions WHERE id = ?`, [id]);
      return r ? toExecution(r) : undefined;
    },

    async claimDue(now, limit) {
      return tx(async (q) => {
        const due = await q(
          `SELECT id FROM workflow_actions WHERE status = 'pending' AND next_attempt_at <= ${TS} ORDER BY next_attempt_at, seq LIMIT ?`,
          [now.getTime(), limit],
        );
        if (!due.length) return [];
        const ids = due.map((d) => String(d.id));
        const marks = ids.map(() => '?').join(', ');
        await q(`UPDATE workflow_actions SET status = 'running', attempts = attempts + 1, next_attempt_at = NULL WHERE id IN (${marks})`, ids);
        const claimed = await q(`SELECT ${COLUMNS} FROM workflow_actions WHERE id IN (${marks}) ORDER BY seq`, ids);
        return claimed.map(toExecution);
      });
    },

    // Nothing to renew: no other process can take a claim over.
    async renewLeases() {},

    async finishAttempt({ id, attempts }, r) {
      return tx(async (q) => {
        const [cur] = await q(`SELECT 1 FROM workflow_actions WHERE id = ? AND status = 'running' AND attempts = ?`, [id, attempts]);
        if (!cur) return false;
        const log = await appendLog(q, id, { at: r.at.toISOString(), ok: r.kind === 'succeeded', error: r.kind === 'succeeded' ? null : r.error });
        const atMs = r.at.getTime();
        if (r.kind === 'retry') {
          await q(`UPDATE workflow_actions SET status = 'pending', last_error = ?, attempt_log = ?, next_attempt_at = ${TS} WHERE id = ? AND status = 'running'`, [
            r.error, log, r.nextAttemptAt.getTime(), id,
          ]);
        } else {
          await q(
            `UPDATE workflow_actions SET status = ?, last_error = ?, attempt_log = ?, finished_at = ${TS}, next_attempt_at = NULL WHERE id = ? AND status = 'running'`,
            [r.kind, r.kind === 'failed' ? r.error : null, log, atMs, id],
          );
        }
        return true;
      });
    },

    async requeueRunning(now) {
      return tx(async (q) => {
        const running = await q(`SELECT id FROM workflow_actions WHERE status = 'running'`);
        for (const r of running) {
          const id = String(r.id);
          const log = await appendLog(q, id, { at: now.toISOString(), ok: false, error: 'interrupted by a restart' });
          await q(`UPDATE workflow_actions SET status = 'pending', last_error = 'interrupted by a restart', attempt_log = ?, next_attempt_at = ${TS} WHERE id = ?`, [
            log, now.getTime(), id,
          ]);
        }
        return running.length;
      });
    },

    async pruneFinished(before) {
      const gone = await rows(
        `DELETE FROM workflow_actions WHERE status IN ('succeeded', 'failed') AND finished_at < ${TS} RETURNING id`,
        [before.getTime()],
      );
      return gone.length;
    },

    async nextDueAt() {
      const [r] = await rows(`SELECT epoch_ms(min(next_attempt_at)) AS at FROM workflow_actions WHERE status = 'pending'`);
      return date(r?.at);
    },
  };
}
