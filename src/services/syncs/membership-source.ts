import type { CohortRef } from '../../destinations/destination.js';

/** What the sync engine needs from the cohort engine (which implements it). */
export interface MembershipSource {
  /**
   * User ids of the cohort's members as of `asOf` (the run's start): recomputed
   * when the stored membership is older than that.
   */
  membersAsOf(cohortId: string, asOf: Date): Promise<string[]>;
  /** The cohort's id and current name; null when it no longer exists. */
  cohort(cohortId: string): Promise<CohortRef | null>;
  /** Current properties (traits) of these users; absent users map to nothing. */
  userProperties(userIds: string[]): Promise<Map<string, Record<string, unknown>>>;
}
