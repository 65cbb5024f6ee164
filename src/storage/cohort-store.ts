import type { Cohort } from '../schemas/cohort.js';

// Compiled queries belong to the membership side; re-exported for the read ports that import them from here.
export type { CompiledQuery, ComputeResult } from './membership-store.js';

export interface HistoryEntry {
  computedAt: string;
  size: number;
  entered: number;
  exited: number;
  durationMs: number;
}

/**
 * Cohort metadata and computation history: the records the cohort service
 * keeps, with no SQL of any engine. Member sets live with the events engine
 * (`MembershipStore`), since compiled definitions read them there.
 */
export interface CohortStore {
  all(): Promise<Cohort[]>;
  get(id: string): Promise<Cohort | undefined>;
  insert(c: Cohort): Promise<void>;
  update(c: Cohort): Promise<void>;
  /** Several `update`s in one transaction (a refresh pass marks its cohorts together). */
  updateMany(cs: Cohort[]): Promise<void>;
  /** Deletes the cohort and its history (its member set is the membership store's). */
  delete(id: string): Promise<void>;
  /** Appends one computation's figures (from what the membership store returned). */
  recordHistory(cohortId: string, entry: HistoryEntry): Promise<void>;
  /**
   * The end of several computations in one transaction: each history entry (if
   * any: a failed one has none) appended and each record updated.
   */
  recordComputations(list: { cohort: Cohort; entry?: HistoryEntry }[]): Promise<void>;
  /** Newest first. */
  history(cohortId: string, limit: number): Promise<HistoryEntry[]>;
  /** Names for cohort ids (the user page lists them). */
  names(ids: string[]): Promise<{ id: string; name: string }[]>;
  /** Ids of the cohorts an account owns (visibility checks, without reading every definition). */
  idsOwnedBy(accountId: string): Promise<string[]>;
}
