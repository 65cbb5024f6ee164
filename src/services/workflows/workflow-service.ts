import { randomBytes } from 'node:crypto';
import type { Cohort } from '../../schemas/cohort.js';
import { refusedWithoutLookup, REFUSED_MESSAGE, type PrivateAllowList } from '../../destinations/outbound-guard.js';
import { generateWebhookSecret, SECRET_MASK } from '../../schemas/destination.js';
import type { Principal } from '../../schemas/principal.js';
import {
  actionsQuerySchema,
  boardQuerySchema,
  maskAction,
  moveCardBodySchema,
  putStepsBodySchema,
  type Action,
  type ActionExecution,
  type ActionInput,
  type Card,
  type Step,
} from '../../schemas/workflow.js';
import type { CardRecord, ExecutionRecord, StoredStep, WorkflowStore } from '../../storage/workflow-store.js';
import type { Access } from '../accounts/access-port.js';
import { invalidInput, ServiceError, type FieldIssue, parseInput as parse } from '../errors.js';
import type { Clock } from '../syncs/clock.js';

export interface WorkflowServiceDeps {
  store: WorkflowStore;
  /** The cohort's members' user ids, in pages (the membership store's stream): cards follow it. */
  members(cohortId: string): AsyncIterable<string[]>;
  /** Throws a 404 ServiceError for an unknown cohort. */
  cohort(id: string): Promise<Cohort>;
  access: Access;
  /** The sync's cohort, or null when there is no such sync. */
  syncCohort(syncId: string): Promise<string | null>;
  clock: Clock;
  /** What step webhooks may reach although private (KOHORT_ALLOW_PRIVATE_URLS); absent: not checked on save. */
  privateAllow?: PrivateAllowList;
  /** Called after executions were enqueued (the runner's poke). */
  onEnqueued?: () => void;
  newStepId?: () => string;
}


const toCard = (c: CardRecord): Card => ({ userId: c.userId, stepId: c.stepId, movedAt: c.movedAt.toISOString(), movedBy: c.movedBy });
const cursorOf = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
const fromCursor = (c: string) => Buffer.from(c, 'base64url').toString('utf8');
const iso = (d: Date | null) => (d ? d.toISOString() : null);

function toExecution(e: ExecutionRecord): ActionExecution {
  return {
    id: e.id,
    cohortId: e.cohortId,
    stepId: e.stepId,
    stepName: e.stepName,
    userId: e.userId,
    type: e.action.type,
    status: e.status,
    attempts: e.attempts,
    lastError: e.lastError,
    createdAt: e.createdAt.toISOString(),
    finishedAt: iso(e.finishedAt),
    nextAttemptAt: iso(e.nextAttemptAt),
    attemptLog: e.attemptLog,
  };
}

type StepSummary = { id: string; name: string; cardCount: number };

/** Who moved a card, as stored: the account, or the bootstrap token (which has none). */
export const movedByOf = (p: Principal): string => p.accountId ?? p.via;

/**
 * Workflow steps, the board and the action log of a cohort (docs/TEAMS.md).
 * The routes check the caller's level on the cohort; this service checks what
 * a step's action may point at (the caller must be able to change it).
 */
export function createWorkflowService(deps: WorkflowServiceDeps) {
  const { store, access, clock } = deps;
  const newStepId = deps.newStepId ?? (() => `st_${randomBytes(6).toString('hex')}`);
  let batch: { ids: Set<string>; result: Promise<Map<string, StepSummary[]>> } | null = null;

  async function steps(cohortId: string, opts: { reveal?: Map<string, string> } = {}): Promise<Step[]> {
    const [list, counts] = await Promise.all([store.steps(cohortId), store.cardCounts(cohortId)]);
    return list.map((s) => {
      const secret = opts.reveal?.get(s.id);
      const action = secret && s.action?.type === 'webhook' ? { ...s.action, secret } : maskAction(s.action);
      return { id: s.id, name: s.name, position: s.position, action, cardCount: counts.get(s.id) ?? 0 };
    });
  }

  /** Checks an action's target and completes it for storage (the webhook secret). */
  async function resolveAction(
    p: Principal,
    a: ActionInput,
    previous: Action | null | undefined,
    field: string,
    issues: FieldIssue[],
  ): Promise<{ action: Action; generated?: string } | undefined> {
    if (a.type === 'webhook') {
      // Said at once when no lookup is needed; resolved names are checked at every call.
      if (deps.privateAllow && refusedWithoutLookup(a.url, deps.privateAllow)) {
        issues.push({ field: `${field}.url`, message: REFUSED_MESSAGE });
        return undefined;
      }
      if (a.secret && a.secret !== SECRET_MASK) return { action: { type: 'webhook', url: a.url, secret: a.secret } };
      // The mask or nothing: keep the secret this step had, else make one (shown once).
      if (previous?.type === 'webhook') return { action: { type: 'webhook', url: a.url, secret: previous.secret } };
      const secret = generateWebhookSecret();
      return { action: { type: 'webhook', url: a.url, secret }, generated: secret };
    }
    // A target this step already had (perhaps set by an admin) stays when the list is saved
    // again, so an editor who cannot see it can still rename or reorder the steps.
    // It keeps who chose it: that holder's access is what each run checks again.
    if (a.type === 'add_to_cohort' && previous?.type === 'add_to_cohort' && previous.cohortId === a.cohortId) return { action: previous };
    if (a.type === 'run_sync' && previous?.type === 'run_sync' && previous.syncId === a.syncId) return { action: previous };
    if (a.type === 'add_to_cohort') {
      // A cohort the caller cannot see is reported like an unknown one.
      const level = await access.cohortLevel(p, a.cohortId);
      const target = level === 'none' ? undefined : await deps.cohort(a.cohortId).catch(() => undefined);
      if (!target) issues.push({ field: `${field}.cohortId`, message: `cohort "${a.cohortId}" does not exist` });
      else if (target.kind !== 'static') issues.push({ field: `${field}.cohortId`, message: `cohort "${target.name}" is dynamic: only static cohorts take members` });
      else if (level === 'read') issues.push({ field: `${field}.cohortId`, message: `you cannot change cohort "${target.name}" (you can only read it)` });
      else return { action: { ...a, savedBy: movedByOf(p) } };
      return undefined;
    }
    if (a.type === 'run_sync') {
      const cohortId = await deps.syncCohort(a.syncId);
      const level = cohortId === null ? 'none' : await access.cohortLevel(p, cohortId);
      if (level === 'none') issues.push({ field: `${field}.syncId`, message: `sync "${a.syncId}" does not exist` });
      else if (level === 'read') issues.push({ field: `${field}.syncId`, message: `you cannot run sync "${a.syncId}" (you can only read its cohort)` });
      else return { action: { ...a, savedBy: movedByOf(p) } };
      return undefined;
    }
    return { action: a };
  }

  return {
    steps: (cohortId: string) => deps.cohort(cohortId).then(() => steps(cohortId)),

    /**
     * Replaces the ordered step list. Webhook secrets generated here are in the
     * answer, once; every other secret is masked.
     */
    async putSteps(p: Principal, cohortId: string, body: unknown): Promise<Step[]> {
      const b = parse(putStepsBodySchema, body, 'steps');
      await deps.cohort(cohortId);
      const before = new Map((await store.steps(cohortId)).map((s) => [s.id, s]));
      const issues: FieldIssue[] = [];
      const reveal = new Map<string, string>();
      const next: StoredStep[] = [];
      for (const [i, s] of b.steps.entries()) {
        if (s.id !== undefined && !before.has(s.id)) {
          issues.push({ field: `steps.${i}.id`, message: `step "${s.id}" is not a step of this cohort (leave id out for a new step)` });
          continue;
        }
        const id = s.id ?? newStepId();
        let action: Action | null = null;
        if (s.action) {
          const r = await resolveAction(p, s.action, before.get(id)?.action, `steps.${i}.action`, issues);
          if (!r) continue;
          action = r.action;
          if (r.generated) reveal.set(id, r.generated);
        }
        next.push({ id, name: s.name, position: i, action });
      }
      if (issues.length) throw invalidInput('Invalid steps', issues);
      await store.replaceSteps(cohortId, next, () => deps.members(cohortId), clock.now());
      return steps(cohortId, { reveal });
    },

    async board(cohortId: string, query: unknown) {
      const q = parse(boardQuerySchema, query, 'query');
      await deps.cohort(cohortId);
      const [list, cards] = await Promise.all([
        steps(cohortId),
        store.cards(cohortId, { stepId: q.stepId, search: q.q, afterUserId: q.cursor ? fromCursor(q.cursor) : undefined, limit: q.limit + 1 }),
      ]);
      const page = cards.slice(0, q.limit);
      return { steps: list, items: page.map(toCard), nextCursor: cards.length > q.limit ? cursorOf(page[page.length - 1].userId) : null };
    },

    /** Moves a card; `moved` is false when it was in that step already (nothing fires). */
    async move(p: Principal, cohortId: string, userId: string, body: unknown): Promise<{ card: Card; moved: boolean; stepName: string }> {
      const b = parse(moveCardBodySchema, body, 'move');
      await deps.cohort(cohortId);
      const r = await store.move(cohortId, userId, b.stepId, clock.now(), movedByOf(p));
      if (r.kind === 'no_step') throw invalidInput('Invalid move', [{ field: 'stepId', message: `step "${b.stepId}" is not a step of this cohort` }]);
      if (r.kind === 'no_card') throw new ServiceError(404, 'not_found', `user ${JSON.stringify(userId)} has no card on this board (not a member, or the cohort has no steps)`);
      if (r.kind === 'moved' && r.executionId) deps.onEnqueued?.();
      const stepName = (await store.steps(cohortId)).find((s) => s.id === b.stepId)?.name ?? b.stepId;
      return { card: toCard(r.card), moved: r.kind === 'moved', stepName };
    },

    async actions(cohortId: string, query: unknown) {
      const q = parse(actionsQuerySchema, query, 'query');
      const beforeSeq = q.cursor === undefined ? undefined : Number(q.cursor);
      if (beforeSeq !== undefined && !Number.isSafeInteger(beforeSeq)) throw invalidInput('Invalid query', [{ field: 'cursor', message: 'not a cursor from a previous page' }]);
      await deps.cohort(cohortId);
      const rows = await store.executions(cohortId, { userId: q.userId, stepId: q.stepId, beforeSeq, limit: q.limit + 1 });
      const page = rows.slice(0, q.limit);
      return { items: page.map(toExecution), nextCursor: rows.length > q.limit ? String(page[page.length - 1].seq) : null };
    },

    /**
     * `steps: [{ id, name, cardCount }]` for cohorts that have steps (cohort answers).
     * Calls made in the same tick share one query: a cohort list decorates each
     * item on its own, and one query per item would scan the cards once per item.
     */
    summaries(cohortIds: string[]): Promise<Map<string, StepSummary[]>> {
      if (!batch) {
        const b: { ids: Set<string>; result: Promise<Map<string, StepSummary[]>> } = { ids: new Set(), result: Promise.resolve(new Map()) };
        b.result = new Promise((r) => setImmediate(r)).then(() => {
          batch = null;
          return store.summaries([...b.ids]);
        });
        batch = b;
      }
      for (const id of cohortIds) batch.ids.add(id);
      return batch.result;
    },

    /**
     * The cohort service's hook: after a computation, cards follow membership;
     * once the cohort is gone, its workflow goes too.
     */
    async membershipChanged(cohortId: string): Promise<void> {
      const exists = await deps.cohort(cohortId).then(
        () => true,
        (err) => (err instanceof ServiceError && err.status === 404 ? false : Promise.reject(err)),
      );
      if (!exists) return store.deleteCohort(cohortId);
      const r = await store.reconcile(cohortId, () => deps.members(cohortId), clock.now());
      if (r.enqueued) deps.onEnqueued?.();
    },

    /** At start: removes workflow rows of cohorts deleted while the hook could not run (a crash). */
    async removeOrphans(existingCohortIds: Set<string>): Promise<number> {
      const orphans = await store.orphanCohorts(existingCohortIds);
      for (const id of orphans) await store.deleteCohort(id);
      return orphans.length;
    },
  };
}

export type WorkflowService = ReturnType<typeof createWorkflowService>;
