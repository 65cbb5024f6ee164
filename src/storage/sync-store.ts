import type { DestinationRecord, DestinationType } from '../schemas/destination.js';
import type { PausedReason, SyncFrequency, SyncRecord, SyncRun, SyncState } from '../schemas/sync.js';

/** A second sync for the same (cohort, destination): change the existing one. */
export class SyncExistsError extends Error {
  readonly code = 'sync_exists';
  constructor(readonly syncId: string) {
    super(`a sync for this cohort and destination already exists (${syncId})`);
  }
}

/** A destination still used by syncs cannot be deleted without `force`. */
export class DestinationInUseError extends Error {
  readonly code = 'destination_in_use';
  constructor(readonly syncIds: string[]) {
    super(`destination is used by ${syncIds.length} sync(s)`);
  }
}

export interface NewDestination {
  id: string;
  name: string;
  type: DestinationType;
  config: Record<string, unknown>;
  now: Date;
}

export interface NewSync {
  id: string;
  cohortId: string;
  destinationId: string;
  frequency: SyncFrequency;
  batchSize: number;
  nextRunAt: Date | null;
  now: Date;
}

export interface SyncPatch {
  frequency?: SyncFrequency;
  batchSize?: number;
  pausedReason?: PausedReason | null;
  state?: SyncState;
  nextRunAt?: Date | null;
  fullSyncDoneAt?: Date | null;
  now: Date;
}

/**
 * A batch recorded before it is sent: after a crash the next run sends it
 * again with the same idempotency key (and `webhook-id`), so the receiver can
 * drop the duplicate.
 */
export interface InFlightBatch {
  key: string;
  op: 'add' | 'remove';
  userIds: string[];
}

/**
 * Persistence of destinations, syncs, their acknowledged sets and run history.
 * Destination configs are stored whole (secrets included) for the engine; the
 * API masks them (`presentDestination`). Implementations never log configs.
 */
export interface SyncStore {
  createDestination(d: NewDestination): Promise<DestinationRecord>;
  getDestination(id: string): Promise<DestinationRecord | null>;
  listDestinations(): Promise<DestinationRecord[]>;
  /**
   * Updates name and/or the whole (already merged and validated) config. Syncs of
   * this destination paused by an auth failure are resumed (state `idle`): the
   * spec pauses them "until the destination is updated".
   */
  updateDestination(id: string, patch: { name?: string; config?: Record<string, unknown>; now: Date }): Promise<DestinationRecord | null>;
  /** Throws DestinationInUseError while syncs use it, unless `force` (which deletes them too). */
  deleteDestination(id: string, opts?: { force?: boolean }): Promise<boolean>;

  /** Throws SyncExistsError when (cohortId, destinationId) already has a sync. */
  createSync(s: NewSync): Promise<SyncRecord>;
  getSync(id: string): Promise<SyncRecord | null>;
  listSyncs(filter?: { cohortId?: string; destinationId?: string }): Promise<SyncRecord[]>;
  updateSync(id: string, patch: SyncPatch): Promise<SyncRecord | null>;
  /** Deletes the sync with its acknowledged set and runs. */
  deleteSync(id: string): Promise<boolean>;
  /** Unpaused syncs whose nextRunAt is at or before `now`. */
  listDueSyncs(now: Date): Promise<SyncRecord[]>;
  /** Merges keys into the sync's protocol state (listId, audienceId, ...). */
  mergeProtocolState(syncId: string, patch: Record<string, unknown>): Promise<void>;

  /** The user ids the destination has acknowledged for this sync. */
  acknowledged(syncId: string): Promise<string[]>;
  /**
   * The same ids in pages, in strictly ascending code point (UTF-8 byte)
   * order, the first page handed out before the last is read: a run merges
   * them with the members as they come (services/syncs/plan-stream.ts).
   */
  acknowledgedPages(syncId: string): AsyncIterable<string[]>;
  /**
   * Commits one accepted batch durably before resolving (each call is atomic);
   * `endKey` ends that in-flight batch in the same transaction.
   */
  commitBatch(syncId: string, op: 'add' | 'remove', userIds: string[], opts?: { endKey?: string }): Promise<void>;
  /** Records a batch about to be sent, durably before resolving. */
  beginBatch(syncId: string, batch: InFlightBatch): Promise<void>;
  /** Batches begun and not ended, in the order they were begun. */
  inFlightBatches(syncId: string): Promise<InFlightBatch[]>;
  /** Forgets an in-flight batch (its outcome is final, or it is no longer wanted). */
  endBatch(syncId: string, key: string): Promise<void>;

  insertRun(run: SyncRun): Promise<void>;
  updateRun(run: SyncRun): Promise<void>;
  getRun(id: string): Promise<SyncRun | null>;
  /** Newest first. */
  listRuns(syncId: string, opts?: { limit?: number }): Promise<SyncRun[]>;
  /**
   * After a restart: every run still `running` is marked `failed` with `message`
   * and its sync set to `failing`; returns the sync ids concerned.
   */
  failInterruptedRuns(now: Date, message: string): Promise<string[]>;
}
