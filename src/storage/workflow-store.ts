import type { Action, AttemptEntry, ExecutionStatus } from '../schemas/workflow.js';

/**
 * Workflow steps, cards and the durable queue of step-action executions: the
 * port the workflow service and the action runner use. Every method that both
 * changes cards and enqueues executions does so in one transaction, so a card
 * reaching a step yields exactly one execution, whatever crashes or repeats.
 */

/** A step as stored (a webhook action holds its real secret). */
export interface StoredStep {
  id: string;
  name: string;
  position: number;
  action: Action | null;
}

export interface CardRecord {
  userId: string;
  stepId: string;
  movedAt: Date;
  movedBy: string | null;
}

export interface ExecutionRecord {
  id: string;
  cohortId: string;
  stepId: string;
  stepName: string;
  userId: string;
  /** The step's action when the card reached it (secret included: never answer with it). */
  action: Action;
  status: ExecutionStatus;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  finishedAt: Date | null;
  nextAttemptAt: Date | null;
  /** When and by whom the card reached the step. */
  movedAt: Date;
  movedBy: string | null;
  attemptLog: AttemptEntry[];
}

/**
 * Every member's user id, in pages: read only when the store needs it (a
 * cohort without a board never reads it). Membership lives in another store;
 * the workflow store never reads that store's tables.
 */
export type MemberPages = () => AsyncIterable<string[]>;

/** A claimed attempt: the execution and its attempt number (the claim's token). */
export interface RunningAttempt {
  id: string;
  attempts: number;
}

/** How long a claimed execution stays its worker's when the worker stops renewing it (engines shared by processes). */
export const EXECUTION_LEASE_MS = 30_000;

export type MoveResult =
  | { kind: 'moved'; card: CardRecord; executionId: string | null }
  | { kind: 'unchanged'; card: CardRecord }
  | { kind: 'no_card' }
  | { kind: 'no_step' };

export interface ReconcileResult {
  entered: number;
  left: number;
  enqueued: number;
}

/** How an execution attempt ended, as the runner records it. */
export type AttemptRecord =
  | { kind: 'succeeded'; at: Date }
  | { kind: 'failed'; at: Date; error: string }
  | { kind: 'retry'; at: Date; error: string; nextAttemptAt: Date };

export interface WorkflowStore {
  steps(cohortId: string): Promise<StoredStep[]>;
  /** Cards per step id of one cohort. */
  cardCounts(cohortId: string): Promise<Map<string, number>>;
  /** Steps with card counts for many cohorts at once (cohort lists). */
  summaries(cohortIds: string[]): Promise<Map<string, { id: string; name: string; cardCount: number }[]>>;
  /**
   * Replaces the ordered step list. Cards of removed steps go to the first step;
   * when the cohort had no steps, every member gets a card in the first step
   * (no action fires for either). An empty list removes the board.
   */
  replaceSteps(cohortId: string, steps: StoredStep[], members: MemberPages, at: Date): Promise<void>;
  /**
   * Makes cards match membership: members without a card enter the first step
   * (and the first step's action is enqueued for each); cards of non-members go.
   * Membership is streamed in (never held whole in memory by the store).
   */
  reconcile(cohortId: string, members: MemberPages, at: Date): Promise<ReconcileResult>;
  /** Moves a card and enqueues the target step's action, atomically; no-op when already there. */
  move(cohortId: string, userId: string, stepId: string, at: Date, by: string | null): Promise<MoveResult>;
  /**
   * The step of each of these users' cards in each of these cohorts (the
   * contacts directory shows it per membership): cohort id → user id → step.
   * Users without a card are absent. Both lists are one page's worth.
   */
  stepOfUsers(cohortIds: string[], userIds: string[]): Promise<Map<string, Map<string, { id: string; name: string }>>>;
  /** Cards ordered by user id, after `afterUserId`. */
  cards(cohortId: string, q: { stepId?: string; search?: string; afterUserId?: string; limit: number }): Promise<CardRecord[]>;
  /** Removes the cohort's steps, cards and executions (the cohort is gone). */
  deleteCohort(cohortId: string): Promise<void>;
  /** Cohort ids that have workflow rows but no longer exist in `existing`. */
  orphanCohorts(existing: Set<string>): Promise<string[]>;

  /** Newest first; `beforeSeq` is the cursor. */
  executions(cohortId: string, q: { userId?: string; stepId?: string; beforeSeq?: number; limit: number }): Promise<(ExecutionRecord & { seq: number })[]>;
  /**
   * Marks up to `limit` due pending executions running (attempts + 1) and
   * returns them. Across processes sharing the store each claim goes to one
   * worker; a claim lapses when its worker stops renewing it (then the
   * execution is due again, its interrupted attempt logged).
   */
  claimDue(now: Date, limit: number): Promise<ExecutionRecord[]>;
  /** Keeps the claims of attempts still in flight (called well within `EXECUTION_LEASE_MS`). */
  renewLeases(running: RunningAttempt[]): Promise<void>;
  /**
   * Records the end of a running attempt; false (nothing recorded) when the
   * claim lapsed and the execution was requeued or claimed again meanwhile.
   */
  finishAttempt(attempt: RunningAttempt, r: AttemptRecord): Promise<boolean>;
  /**
   * At start: executions left running by a worker that is gone go back to
   * pending (due now). One process (embedded): every running one; shared:
   * those whose claim lapsed.
   */
  requeueRunning(now: Date): Promise<number>;
  /** Earliest next attempt among pending executions, or null when none is pending. */
  nextDueAt(): Promise<Date | null>;
  /** Deletes succeeded and failed executions that finished before `before`; returns how many. */
  pruneFinished(before: Date): Promise<number>;
  execution(id: string): Promise<ExecutionRecord | undefined>;
}
