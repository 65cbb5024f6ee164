import type { ExplainRow } from '../cohort/explain-compiler.js';
import type { CompiledQuery } from './cohort-store.js';

export type { ExplainRow };

export interface MembershipDiff {
  current: number;
  proposed: number;
  added: number;
  removed: number;
  sampleAdded: string[];
  sampleRemoved: string[];
}

/**
 * Reads behind explain and diff: the port the insight services use. `signal`
 * (the query limiter's): aborting it interrupts the engine's statement.
 */
export interface CohortInsightReads {
  /** The person key of a user id (aliases included); undefined when unknown. */
  uidOf(userId: string): Promise<number | undefined>;
  /**
   * Runs an explain query for the user `uid`; its tables may be narrowed to
   * that user's rows first, and the events to those named in `events`.
   */
  explainRows(uid: number, q: CompiledQuery, events: string[], signal?: AbortSignal): Promise<ExplainRow[]>;
  /** The stored members of the cohort against the members of `q`: counts and samples (by user id). */
  membershipDiff(cohortId: string, q: CompiledQuery, sampleSize: number, signal?: AbortSignal): Promise<MembershipDiff>;
  /** Every member of `q` by user id, in ascending order. */
  memberIds(q: CompiledQuery, signal?: AbortSignal): Promise<string[]>;
}
