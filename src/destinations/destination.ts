import type { DestinationType } from '../schemas/destination.js';

/** What every send/prepare classifies its result as; the runner acts on it. */
export type SendOutcome =
  | {
      kind: 'ok';
      /** Users the destination could not address and skipped (not sent). */
      skippedUserIds?: string[];
      /** True when nothing had to be sent, so no request was made. */
      noRequest?: boolean;
    }
  | { kind: 'retry'; afterMs?: number; status?: number; message: string }
  | {
      kind: 'permanent';
      status: number | null;
      message: string;
      /** When the protocol names them: only these failed, the rest of the batch was accepted. */
      failedUserIds?: string[];
    }
  | { kind: 'auth_failed'; status: number; message: string };

export interface CohortRef {
  id: string;
  name: string;
}

export interface BatchUser {
  userId: string;
  properties: Record<string, unknown>;
}

export interface Batch {
  op: 'add' | 'remove';
  users: BatchUser[];
  /** Stable across the retries of this batch. */
  idempotencyKey: string;
  cohort: CohortRef;
  syncId: string;
  runId: string;
  /** 1-based position of this batch among the run's batches of the same op. */
  seq: number;
  /** True for the last batch of this op in the run. */
  last: boolean;
  /** Users of this op in the whole run. */
  estimatedTotal: number;
  /** The sync's batch size (some protocols change shape when it is 1). */
  batchSize: number;
  /** Protocol state kept on the sync (listId, audienceId, ...), as returned by prepare. */
  state: Record<string, unknown>;
}

export interface PrepareContext {
  syncId: string;
  runId: string;
  cohort: CohortRef;
  /** Protocol state stored on the sync by earlier runs. */
  state: Record<string, unknown>;
  /** Stable for this sync, so a crash between creating and storing a list is deduplicated. */
  idempotencyKey: string;
}

export type PrepareOutcome =
  | {
      kind: 'ok';
      /** Keys to merge into the sync's protocol state. */
      state?: Record<string, unknown>;
      /** True when nothing had to be done remotely (no request made). */
      noRequest?: boolean;
    }
  | Exclude<SendOutcome, { kind: 'ok' }>;

/** One run's whole change set, for destinations that write it as one unit (files). */
export interface Snapshot {
  syncId: string;
  runId: string;
  cohort: CohortRef;
  runStartedAt: Date;
  full: boolean;
  added: string[];
  removed: string[];
  /** The whole membership as of the run's start. */
  members: string[];
}

interface DestinationBase {
  readonly type: DestinationType;
  /** Whether `send` needs user properties (the runner only loads them when asked). */
  readonly needsProperties: boolean;
  /** Largest batch the protocol accepts; the runner clamps the sync's batchSize to it. */
  readonly maxBatchSize?: number;
  /** "Test connection": checks credentials/reachability without changing anything visible. */
  test(): Promise<{ ok: boolean; message: string }>;
  /** Called at the start of every run; creates the list/audience when the state has none. */
  prepare(ctx: PrepareContext): Promise<PrepareOutcome>;
}

/** Protocols that take batches of users per request. */
export interface BatchDestination extends DestinationBase {
  readonly mode: 'batches';
  /**
   * Whether every batch must carry the exact `estimatedTotal` (Meta's
   * session): the run is then planned whole before its first batch; otherwise
   * batches go out while the plan is still being merged (services/syncs/plan-stream.ts).
   */
  readonly needsTotals?: boolean;
  send(batch: Batch): Promise<SendOutcome>;
}

/** Protocols that take a run's change set at once (an atomic file write). */
export interface SnapshotDestination extends DestinationBase {
  readonly mode: 'snapshot';
  writeSnapshot(snapshot: Snapshot): Promise<SendOutcome>;
}

export type Destination = BatchDestination | SnapshotDestination;

export interface DestinationOptions {
  /** Per-request timeout; 30 s by default (the spec), shorter in tests. */
  timeoutMs?: number;
  /** Wall clock for signatures and file names; defaults to Date.now. */
  now?: () => Date;
  /** Override fetch (tests or proxies); defaults to the global one. */
  fetch?: typeof fetch;
  /** KOHORT_EXPORT_DIR: the file destination writes only under it (relative directories are inside it). */
  exportDir?: string;
}

export type DestinationFactory = (config: Record<string, unknown>, options: DestinationOptions) => Destination;

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** The list / trait / audience name every protocol shows: `<prefix> <cohort name>: <cohort id>`. */
export function cohortLabel(prefix: string, cohort: CohortRef): string {
  return `${prefix ? prefix + ' ' : ''}${cohort.name}: ${cohort.id}`;
}
