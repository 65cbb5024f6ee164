import type { HolderAccess } from '../accounts/holder-access.js';
import type { ExecutionRecord } from '../../storage/workflow-store.js';

export interface ActionHolderDeps {
  holders: Pick<HolderAccess, 'level'>;
  /** The owner of the cohort a step belongs to (actions saved before `savedBy` existed count as theirs). */
  cohortOwner(cohortId: string): Promise<string | null>;
  /** The sync's cohort, or null when there is no such sync. */
  syncCohort(syncId: string): Promise<string | null>;
}

/**
 * `mayUse` for the step actions: the account that chose an action's target
 * (or, for older actions, the owner of the step's cohort) must still be able
 * to change the target cohort, or the sync's cohort, when the action runs.
 */
export function createActionHolderCheck(deps: ActionHolderDeps) {
  return async (e: ExecutionRecord, target: { cohortId: string } | { syncId: string }): Promise<boolean> => {
    const a = e.action;
    const holder = (a.type === 'add_to_cohort' || a.type === 'run_sync') && a.savedBy ? a.savedBy : await deps.cohortOwner(e.cohortId);
    const cohortId = 'cohortId' in target ? target.cohortId : await deps.syncCohort(target.syncId);
    if (cohortId === null) return true; // a sync that is gone: the action reports it by itself
    const level = await deps.holders.level(holder, cohortId);
    return level === 'edit' || level === 'owner';
  };
}
