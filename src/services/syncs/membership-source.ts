import type { CohortRef } from '../../destinations/destination.js';

/** What the sync engine needs from the cohort engine (which implements it). */
export interface MembershipSource {
  /**
   * User ids of the cohort's members as of `asOf` (the run's start): recomputed
   * when the stored membership is older than that.
   */
  membersAsOf(cohortId: string, asOf: Date): Promise<string[]>;
  /**
   * The same members in pages, in strictly ascending code point (UTF-8 byte)
   * order, the first handed out before the last is read. A source without it
   * has its runs planned whole (sync-runner.ts).
   */
  memberPagesAsOf?(cohortId: string, asOf: Date): AsyncIterable<string[]>;
  /** The cohort's id and current name; null when it no longer exists. */
  cohort(cohortId: string): Promise<CohortRef | null>;
  /** Current properties (traits) of these users; absent users map to nothing. */
  userProperties(userIds: string[]): Promise<Map<string, Record<string, unknown>>>;
}
