/**
 * Contact reads port: one page of the people directory (docs/TEAMS.md, Contacts).
 * Adapters (DuckDB today) implement it; services never see SQL of their own.
 */
import type { CompiledQuery } from './cohort-store.js';

export interface ContactPageQuery {
  /** Substring of the user id or of any current trait value, in any case. */
  search?: string;
  /** Only people in the rows of this compiled query (a SELECT of `uid`, from the cohort compiler). */
  inSet?: CompiledQuery;
  /** Only members of this saved cohort. */
  cohortId?: string;
  /**
   * Only people with these user ids, streamed in pages (the cards of one
   * workflow step, from the workflow store: workflows may live in another
   * engine). Never held whole in memory.
   */
  inUsers?: () => AsyncIterable<string[]>;
  /** Keyset cursor: user ids strictly after this one. */
  afterUserId?: string;
  limit: number;
  /** Also count every match (ignores the cursor). */
  withTotal: boolean;
}

export interface ContactRow {
  userId: string;
  /** Current traits: latest value per key; cleared (null) traits left out. */
  properties: Record<string, unknown>;
  firstSeen: Date | null;
  lastSeen: Date | null;
  eventCount: number;
  /** Cohorts (any, visible or not) the person is a member of. */
  cohortIds: string[];
}

export interface ContactReads {
  /** Matching people ordered by user id; aborting `signal` (the query limiter's) interrupts the search. */
  page(q: ContactPageQuery, signal?: AbortSignal): Promise<{ rows: ContactRow[]; total?: number }>;
}
