import type { CohortRef, Destination, SendOutcome } from '../../destinations/destination.js';
import type { SyncRecord, SyncRun } from '../../schemas/sync.js';
import type { SyncStore } from '../../storage/sync-store.js';
import type { Clock } from './clock.js';
import type { MembershipSource } from './membership-source.js';
import type { RetryPolicy } from './retry-policy.js';

export interface Logger {
  info(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
  error(msg: string, data?: Record<string, unknown>): void;
}
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** How a request ended once retries are over (or were never started). */
export type Final = Exclude<SendOutcome, { kind: 'retry' }> | (Extract<SendOutcome, { kind: 'retry' }> & { exhausted: true }) | { kind: 'stopped' };

/** One run under way: what its batches share. */
export interface RunContext {
  run: SyncRun;
  sync: SyncRecord;
  cohort: CohortRef;
  destination: Destination;
  state: Record<string, unknown>;
  /** Set by a 401/403: no new requests start, no retries continue. */
  authFailed: boolean;
  /** Aborted when this process lost the sync's lease: no new batches start. */
  leaseLost?: AbortSignal;
  /** Batches that ran out of retries / were accepted. */
  exhausted: number;
  accepted: number;
  /** The run-progress write under way, and whether counts changed since it began. */
  saving?: Promise<void> | null;
  saveAgain?: boolean;
}

/** What the runner hands to the code that sends requests (run-requests.ts, batch-sender.ts). */
export interface RunEnv {
  store: SyncStore;
  membership: MembershipSource;
  clock: Clock;
  random: () => number;
  policy: RetryPolicy;
  /** Requests in flight per sync. */
  concurrency: number;
  log: Logger;
  /** Per running sync: what it is waiting for now (shown as the sync's `detail`). */
  live: Map<string, string>;
}
