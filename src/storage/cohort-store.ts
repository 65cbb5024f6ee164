import type { Cohort } from '../schemas/cohort.js';

/** A compiled cohort query: one SELECT of the member `uid`s. */
export interface CompiledQuery {
  sql: string;
  params: unknown[];
}

export interface ComputeResult {
  size: number;
  entered: number;
  exited: number;
}

export interface HistoryEntry {
  computedAt: string;
  size: number;
  entered: number;
  exited: number;
  durationMs: number;
}

/** Cohort metadata and membership: the port the cohort service uses. */
export interface CohortStore {
  all(): Promise<Cohort[]>;
  get(id: string): Promise<Cohort | undefined>;
  insert(c: Cohort): Promise<void>;
  update(c: Cohort): Promise<void>;
  /** Deletes the cohort, its membership and history. */
  delete(id: string): Promise<void>;

  /**
   * Size and a sample of user ids of a compiled query, without storing anything.
   * The sample is spread over the result and stable for one `sampleSeed`.
   * `signal` aborted: the engine stops the query (it then rejects).
   */
  preview(q: CompiledQuery, sampleSize: number, sampleSeed?: number, signal?: AbortSignal): Promise<{ size: number; sample: string[] }>;
  /** Replaces the stored membership with the query's result, atomically, and records history. */
  replaceMembers(cohortId: string, q: CompiledQuery, at: Date, startedMs: number): Promise<ComputeResult>;
  /** Size of the stored membership (static lists change it by add/remove). */
  memberCount(cohortId: string): Promise<number>;
  history(cohortId: string, limit: number): Promise<HistoryEntry[]>;

  /** Members ordered by user id, after `afterUserId`; `search` keeps ids containing it (any case). */
  membersPage(cohortId: string, limit: number, afterUserId?: string, search?: string): Promise<string[]>;
  /** Every member's user id, in order, without holding them all in memory. */
  streamMembers(cohortId: string): AsyncIterable<string[]>;
  /** Static lists: adds known users; returns which ids were unknown and which already members. */
  addMembers(cohortId: string, userIds: string[]): Promise<{ added: number; alreadyMember: number; unknown: string[] }>;
  removeMembers(cohortId: string, userIds: string[]): Promise<{ removed: number }>;
  /** Names for cohort ids (the user page lists them). */
  names(ids: string[]): Promise<{ id: string; name: string }[]>;
  /** Ids of the cohorts an account owns (visibility checks, without reading every definition). */
  idsOwnedBy(accountId: string): Promise<string[]>;
}
