import type { DestinationRecord, DestinationType } from '../../schemas/destination.js';
import type { PausedReason, SyncFrequency, SyncRecord, SyncRun, SyncRunError, SyncRunStatus, SyncState } from '../../schemas/sync.js';
import { date } from './time-values.js';

/** Row shapes of the sync tables and their mapping to records (epoch milliseconds in, Dates out). */

export const SYNC_COLUMNS = `id, cohort_id, destination_id, frequency, batch_size, paused_reason, state,
  epoch_ms(next_run_at) AS next_run_at, protocol_state, epoch_ms(full_sync_done_at) AS full_sync_done_at,
  epoch_ms(created_at) AS created_at, epoch_ms(updated_at) AS updated_at`;
export const RUN_COLUMNS = `id, sync_id, epoch_ms(started_at) AS started_at, epoch_ms(finished_at) AS finished_at, status, "full",
  trigger, added, removed, failed, skipped, requests, retries, errors`;

export type Row = Record<string, unknown>;

export function toRun(r: Row): SyncRun {
  const errors = (JSON.parse(String(r.errors)) as (Omit<SyncRunError, 'at'> & { at: string })[]).map((e) => ({
    ...e,
    at: new Date(e.at),
  }));
  return {
    id: String(r.id),
    syncId: String(r.sync_id),
    startedAt: date(r.started_at)!,
    finishedAt: date(r.finished_at),
    status: r.status as SyncRunStatus,
    full: Boolean(r.full),
    trigger: r.trigger as SyncRun['trigger'],
    added: Number(r.added),
    removed: Number(r.removed),
    failed: Number(r.failed),
    skipped: Number(r.skipped),
    requests: Number(r.requests),
    retries: Number(r.retries),
    errors,
  };
}

export function toDestination(r: Row): DestinationRecord {
  return {
    id: String(r.id),
    name: String(r.name),
    type: r.type as DestinationType,
    config: JSON.parse(String(r.config)),
    createdAt: date(r.created_at)!,
    updatedAt: date(r.updated_at)!,
  };
}

export function toSync(r: Row, lastRun: SyncRun | null): SyncRecord {
  return {
    id: String(r.id),
    cohortId: String(r.cohort_id),
    destinationId: String(r.destination_id),
    frequency: r.frequency as SyncFrequency,
    batchSize: Number(r.batch_size),
    paused: r.paused_reason !== null && r.paused_reason !== undefined,
    pausedReason: (r.paused_reason ?? null) as PausedReason | null,
    state: r.state as SyncState,
    nextRunAt: date(r.next_run_at),
    protocolState: JSON.parse(String(r.protocol_state)),
    fullSyncDoneAt: date(r.full_sync_done_at),
    lastRun,
    createdAt: date(r.created_at)!,
    updatedAt: date(r.updated_at)!,
  };
}
