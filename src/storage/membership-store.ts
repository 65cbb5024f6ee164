/**
 * Saved member sets, on the events engine: a compiled definition runs there
 * (cohort references read these sets in the same engine), so computing and
 * storing a membership is one statement inside it, never ids through the process.
 */

/** A compiled cohort query in the membership store's own dialect: one SELECT of the member `uid`s. */
export interface CompiledQuery {
  sql: string;
  params: unknown[];
}

export interface ComputeResult {
  size: number;
  entered: number;
  exited: number;
}

export interface MembershipStore {
  /**
   * Size and a sample of user ids of a compiled query, without storing anything.
   * The sample is spread over the result and stable for one `sampleSeed`.
   * `signal` aborted: the engine stops the query (it then rejects).
   */
  preview(q: CompiledQuery, sampleSize: number, sampleSeed?: number, signal?: AbortSignal): Promise<{ size: number; sample: string[] }>;
  /** Replaces the cohort's member set with the query's result, atomically; says who entered and left. */
  replaceMembers(cohortId: string, q: CompiledQuery): Promise<ComputeResult>;
  /** Size of the stored member set (static lists change it by add/remove). */
  memberCount(cohortId: string): Promise<number>;
  /** Members ordered by user id, after `afterUserId`; `search` keeps ids containing it (any case). */
  membersPage(cohortId: string, limit: number, afterUserId?: string, search?: string): Promise<string[]>;
  /** Every member's user id, in order, without holding them all in memory. */
  streamMembers(cohortId: string): AsyncIterable<string[]>;
  /** Static lists: adds known users; returns which ids were unknown and which already members. */
  addMembers(cohortId: string, userIds: string[]): Promise<{ added: number; alreadyMember: number; unknown: string[] }>;
  removeMembers(cohortId: string, userIds: string[]): Promise<{ removed: number }>;
  /** Drops a cohort's member set (the cohort was deleted). */
  deleteMembers(cohortId: string): Promise<void>;
  /** Cohorts that have a stored member set (start-up drops those whose cohort is gone). */
  cohortIds(): Promise<string[]>;
}
