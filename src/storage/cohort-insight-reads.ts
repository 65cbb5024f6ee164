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

/** Reads behind explain and diff: the port the insight services use. */
export interface CohortInsightReads {
  /** The person key of a user id (aliases included); undefined when unknown. */
  uidOf(userId: string): Promise<number | undefined>;
  /**
   * Runs an explain query for the user `uid`; its tables may be narrowed to
   * that user's rows first, and the events to those named in `events`.
   */
  explainRows(uid: number, q: CompiledQuery, events: string[], signal?: AbortSignal): Promise<ExplainRow[]>;
  /**
   * The stored members of the cohort against the members of `q`: counts, and
   * samples of at most `sampleSize` user ids each (sorted). With `memberIds`
   * also every member of `q` by user id, in ascending order, from the same run of `q`.
   * With `against` (sets of distinct user ids, e.g. what each sync's destination
   * has acknowledged), also per set, in the same order and from the same run of
   * `q`: `wouldAdd`, the members of `q` whose user id is not in the set, and
   * `wouldRemove`, the ids of the set that are not the user id of a member of
   * `q` (aliases and unknown ids included) — the sizes of `planSync(members, set)`.
   * `signal` aborted: the engine stops the query (it then rejects).
   */
  membershipDiff(
    cohortId: string,
    q: CompiledQuery,
    sampleSize: number,
    opts?: { memberIds?: boolean; against?: readonly (readonly string[])[]; signal?: AbortSignal },
  ): Promise<MembershipDiff & { memberIds?: string[]; against?: SetChange[] }>;
}

/** What making a set of user ids equal to a membership takes: see `membershipDiff`. */
export interface SetChange {
  wouldAdd: number;
  wouldRemove: number;
}
