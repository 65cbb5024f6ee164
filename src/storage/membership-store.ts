/**
 * Saved member sets, on the events engine: a compiled definition runs there
 * (cohort references read these sets in the same engine), so computing and
 * storing a membership is one statement inside it, never ids through the process.
 */

import type { Sql, SqlDialect } from '../cohort/dialect.js';

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

/**
 * What a refresh may use to re-evaluate only the people whose membership can
 * have changed since the member set was last computed (`cohort/incremental-refresh.ts`).
 */
export interface IncrementalRefresh {
  asOf: Date;
  /** The definition with references expanded: the stored set is reused only under the same fingerprint. */
  fingerprint: string;
  /** The definition compiled over the dialect's tables (the store may narrow them to the people re-evaluated). */
  compile(dialect: SqlDialect): CompiledQuery;
  /** People whose membership time alone may change between asOf `from` and `asOf`: SELECTs of uids, to be unioned. */
  band(from: Date, dialect: SqlDialect): Sql[];
  /**
   * What the compiled definition reads (references expanded): the event names its rules
   * scan, the top-level trait keys of its property rules, and each event-reading rule
   * compiled alone over `dialect` with the event names it reads (`refreshReads`). A store
   * copying rows for a refresh may copy only these, per event only the columns the rules
   * reading it name; absent, it must assume anything.
   */
  reads?: { events: readonly string[]; traitKeys: readonly string[]; scans(dialect: SqlDialect): { events: readonly string[]; sql: string }[] };
}

export interface RefreshResult extends ComputeResult {
  /** How many people were re-evaluated; null: everyone (a full recompute). */
  reevaluated: number | null;
}

/** One cohort of a refresh pass: `incremental` null when its definition allows only a full recompute. */
export interface RefreshItem {
  cohortId: string;
  full: CompiledQuery;
  incremental: IncrementalRefresh | null;
}

/** What a pass says per cohort: its result and its share of the pass's time, or why it failed. */
export type PassOutcome = { ok: true; result: RefreshResult; ms: number } | { ok: false; error: Error };

export interface MembershipStore {
  /**
   * Size and a sample of user ids of a compiled query, without storing anything.
   * The sample is spread over the result and stable for one `sampleSeed`.
   * `signal` aborted: the engine stops the query (it then rejects).
   */
  preview(q: CompiledQuery, sampleSize: number, sampleSeed?: number, signal?: AbortSignal): Promise<{ size: number; sample: string[] }>;
  /** Replaces the cohort's member set with the query's result, atomically; says who entered and left. */
  replaceMembers(cohortId: string, q: CompiledQuery): Promise<ComputeResult>;
  /**
   * Like `replaceMembers(cohortId, full)`, with the same result, but when the set
   * was last computed by this method under the same fingerprint and an asOf not
   * later than this one, only the people whose rows changed since (new events or
   * traits, merges, new people) or who are in the band are re-evaluated.
   */
  refreshMembers(cohortId: string, full: CompiledQuery, incremental: IncrementalRefresh): Promise<RefreshResult>;
  /**
   * Several cohorts at once, each with the result `refreshMembers` (or, for a null
   * `incremental`, `replaceMembers`) would give it, sharing what the store can
   * share between them (the read of who changed, the candidates' rows). One
   * outcome per item, in order; a cohort that fails fails alone.
   */
  refreshMany(items: RefreshItem[]): Promise<PassOutcome[]>;
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
