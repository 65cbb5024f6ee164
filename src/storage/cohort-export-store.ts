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

/** A member row of an export file: the user id and, with props, the current trait values as JSON text. */
export interface ExportRow {
  userId: string;
  traits: Record<string, unknown>;
}

/** The durable record of member exports: the request and its member snapshot survive a restart. */
export interface CohortExportStore {
  /** Records the request and a snapshot of the cohort's members as of now, in one transaction. */
  create(e: Pick<CohortExport, 'id' | 'cohortId' | 'props' | 'requestedBy' | 'requestedAt'>): Promise<void>;
  get(id: string): Promise<CohortExport | undefined>;
  /** Exports not finished yet, oldest first (the worker's queue). */
  pending(): Promise<CohortExport[]>;
  /** Snapshots the members' traits (with props) and marks the export completed, atomically. */
  complete(id: string, at: Date): Promise<void>;
  fail(id: string, error: string, at: Date): Promise<void>;
  /** The trait keys the file has columns for (sorted). */
  traitKeys(id: string): Promise<string[]>;
  /** The file's rows, ordered by user id, in pages. */
  rows(id: string): AsyncIterable<ExportRow[]>;
  /** Removes exports requested before `before` (files are kept for a while, like Amplitude's). */
  prune(before: Date): Promise<number>;
}
