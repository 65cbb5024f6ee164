/** One member export (Amplitude's async cohort download, api.md). */
export interface CohortExport {
  id: string;
  cohortId: string;
  /** With one column per trait key. */
  props: boolean;
  /** The account that asked (its access is checked again when the export runs); null for the admin token. */
  requestedBy: string | null;
  status: 'pending' | 'completed' | 'failed';
  error: string | null;
  requestedAt: Date;
  finishedAt: Date | null;
}

/** A member row of an export file: the user id and, with props, the member's current trait values. */
export interface ExportRow {
  userId: string;
  traits: Record<string, unknown>;
}

/** Current traits of some users (unknown ids left out): the events engine answers it. */
export type TraitsOf = (userIds: string[]) => Promise<Map<string, Record<string, unknown>>>;

/**
 * The durable record of member exports: the request and its member snapshot
 * survive a restart. Engine-neutral: members come in as user ids (from the
 * membership store) and traits from `TraitsOf`, so no adapter reads another's tables.
 */
export interface CohortExportStore {
  /** Records the request and its member snapshot (user ids, in pages) in one transaction. */
  create(e: Pick<CohortExport, 'id' | 'cohortId' | 'props' | 'requestedBy' | 'requestedAt'>, members: AsyncIterable<string[]>): Promise<void>;
  get(id: string): Promise<CohortExport | undefined>;
  /** Exports not finished yet, oldest first (the worker's queue). */
  pending(): Promise<CohortExport[]>;
  /**
   * Marks the export completed, atomically with (for a props export) each
   * snapshot member's traits, asked of `traitsOf` page by page.
   */
  complete(id: string, at: Date, traitsOf: TraitsOf): Promise<void>;
  fail(id: string, error: string, at: Date): Promise<void>;
  /** The trait keys the file has columns for (sorted). */
  traitKeys(id: string): Promise<string[]>;
  /** The file's rows, ordered by user id, in pages. */
  rows(id: string): AsyncIterable<ExportRow[]>;
  /** Removes exports requested before `before` (files are kept for a while, like Amplitude's). */
  prune(before: Date): Promise<number>;
}
