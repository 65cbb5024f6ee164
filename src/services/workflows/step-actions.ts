import type { DestinationOptions } from '../../destinations/destination.js';
import { classifyHttp, httpRequest } from '../../destinations/http.js';
import { signStandardWebhook } from '../../destinations/webhook.js';
import type { Action } from '../../schemas/workflow.js';
import type { WriteItem } from '../../storage/event-store.js';
import type { ExecutionRecord } from '../../storage/workflow-store.js';
import { ServiceError } from '../errors.js';
import type { ActionOutcome, PerformAction } from './action-runner.js';

/** What the actions reach into; the composition root passes the real services. */
export interface StepActionDeps {
  /** The cohort's name for webhook payloads (null when it is gone). */
  cohortName(cohortId: string): Promise<string | null>;
  /** The event store's write path: set_property records a trait as an identify would. */
  writeEvents(items: WriteItem[]): Promise<unknown>;
  /** Static members service `add` (computes the target cohort afterwards). */
  addMembers(cohortId: string, body: { userIds: string[] }): Promise<{ invalid: { message: string }[] }>;
  /** Sync service `runNow`. */
  runSync(syncId: string): Promise<unknown>;
  now: () => Date;
  /**
   * Whether whoever chose this action's target may still change it (api.md,
   * Security rules: access is checked when used). Absent: not checked.
   */
  mayUse?(e: ExecutionRecord, target: { cohortId: string } | { syncId: string }): Promise<boolean>;
  /** Request timeout and fetch override for webhooks. */
  http?: DestinationOptions;
}

type Of<T extends Action['type']> = Extract<Action, { type: T }>;

/** Transient service errors are retried; the rest (gone, wrong kind, paused) cannot succeed by waiting. */
function fromServiceError(err: unknown, what: string): ActionOutcome {
  if (err instanceof ServiceError && err.status !== 503 && err.status !== 429) return { kind: 'permanent', message: `${what}: ${err.message}` };
  return { kind: 'retry', message: `${what}: ${(err as Error).message ?? String(err)}` };
}

/** The four step actions of docs/TEAMS.md, each classified like a destination's send. */
export function createStepActions(deps: StepActionDeps): PerformAction {
  async function webhook(e: ExecutionRecord, a: Of<'webhook'>): Promise<ActionOutcome> {
    const body = JSON.stringify({
      type: 'workflow.step_reached',
      cohortId: e.cohortId,
      cohortName: await deps.cohortName(e.cohortId),
      stepId: e.stepId,
      stepName: e.stepName,
      userId: e.userId,
      movedAt: e.movedAt.toISOString(),
      movedBy: e.movedBy,
    });
    // The id stays the same across attempts so receivers dedupe; each attempt is signed anew.
    const timestamp = Math.floor(deps.now().getTime() / 1000);
    const res = await httpRequest(
      {
        method: 'POST',
        url: a.url,
        idempotencyKey: e.id,
        headers: { 'webhook-id': e.id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signStandardWebhook(a.secret, e.id, timestamp, body) },
        body,
      },
      { ...deps.http, now: deps.now },
    );
    const out = classifyHttp(res, deps.now());
    if (out.kind === 'ok') return { kind: 'ok' };
    // Status only: any editor may point a step at any URL, and the log is readable by the
    // cohort's viewers, so a response body (perhaps from an internal service) is never kept.
    const message = 'status' in out && typeof out.status === 'number' ? `HTTP ${out.status}` : out.message;
    if (out.kind === 'retry') return { kind: 'retry', message, ...(out.afterMs !== undefined ? { afterMs: out.afterMs } : {}) };
    // 401/403 and other 4xx: the receiver refuses this delivery; repeating it will not help.
    return { kind: 'permanent', message };
  }

  async function setProperty(e: ExecutionRecord, a: Of<'set_property'>): Promise<ActionOutcome> {
    // The execution id as message id: a repeat after a crash is skipped by the store's dedup.
    await deps.writeEvents([{ kind: 'identify', externalId: e.userId, traits: { [a.key]: a.value }, ts: e.movedAt, messageId: e.id }]);
    return { kind: 'ok' };
  }

  // Names no cohort: the target may be one the log's readers cannot see.
  const revoked: ActionOutcome = { kind: 'permanent', message: 'whoever chose this action can no longer change its target; choose the target again' };

  async function addToCohort(e: ExecutionRecord, a: Of<'add_to_cohort'>): Promise<ActionOutcome> {
    if (deps.mayUse && !(await deps.mayUse(e, { cohortId: a.cohortId }))) return revoked;
    try {
      const r = await deps.addMembers(a.cohortId, { userIds: [e.userId] });
      if (r.invalid.length) return { kind: 'permanent', message: `cohort ${a.cohortId}: ${r.invalid[0].message}` };
      return { kind: 'ok' };
    } catch (err) {
      return fromServiceError(err, `cohort ${a.cohortId}`);
    }
  }

  async function runSync(e: ExecutionRecord, a: Of<'run_sync'>): Promise<ActionOutcome> {
    if (deps.mayUse && !(await deps.mayUse(e, { syncId: a.syncId }))) return revoked;
    try {
      await deps.runSync(a.syncId);
      return { kind: 'ok' };
    } catch (err) {
      // Already running: the run under way will carry the change, which is what was asked.
      if (err instanceof ServiceError && err.code === 'sync_running') return { kind: 'ok' };
      return fromServiceError(err, `sync ${a.syncId}`);
    }
  }

  return async (e) => {
    const a = e.action;
    switch (a.type) {
      case 'webhook':
        return webhook(e, a);
      case 'set_property':
        return setProperty(e, a);
      case 'add_to_cohort':
        return addToCohort(e, a);
      case 'run_sync':
        return runSync(e, a);
    }
  };
}
