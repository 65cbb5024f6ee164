import { z } from 'zod';

export const SYNC_FREQUENCIES = ['once', 'hourly', 'daily'] as const;
export const syncFrequencySchema = z.enum(SYNC_FREQUENCIES);
export type SyncFrequency = z.infer<typeof syncFrequencySchema>;

export const DEFAULT_BATCH_SIZE = 1000;
/** Meta's documented maximum per request; also the global maximum. */
export const MAX_BATCH_SIZE = 10_000;
export const META_MAX_BATCH_SIZE = 10_000;

export const batchSizeSchema = z.number().int().min(1).max(MAX_BATCH_SIZE);

/** `POST /v1/syncs` body. */
export const createSyncBodySchema = z.strictObject({
  cohortId: z.string().trim().min(1),
  destinationId: z.string().trim().min(1),
  frequency: syncFrequencySchema,
  batchSize: batchSizeSchema.default(DEFAULT_BATCH_SIZE),
});
export type CreateSyncBody = z.infer<typeof createSyncBodySchema>;

/** `PATCH /v1/syncs/:id` body. */
export const patchSyncBodySchema = z
  .strictObject({
    frequency: syncFrequencySchema.optional(),
    paused: z.boolean().optional(),
    batchSize: batchSizeSchema.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to change' });
export type PatchSyncBody = z.infer<typeof patchSyncBodySchema>;

export const listSyncsQuerySchema = z.strictObject({
  cohortId: z.string().min(1).optional(),
  destinationId: z.string().min(1).optional(),
});

export const SYNC_STATES = ['idle', 'running', 'failing', 'auth_failed'] as const;
export type SyncState = (typeof SYNC_STATES)[number];
export const RUN_STATUSES = ['running', 'succeeded', 'partial', 'failed'] as const;
export type SyncRunStatus = (typeof RUN_STATUSES)[number];
/** Why a sync is paused: by a user, or by the engine after 401/403 until the destination is updated. */
export type PausedReason = 'user' | 'auth_failed';

export interface SyncRunError {
  at: Date;
  /** HTTP status when there was a response; null for network errors and timeouts. */
  status: number | null;
  message: string;
  sampleUserIds: string[];
}

export interface SyncRun {
  id: string;
  syncId: string;
  startedAt: Date;
  finishedAt: Date | null;
  status: SyncRunStatus;
  /** True for the first (full) sync; later runs send only the movers. */
  full: boolean;
  trigger: 'schedule' | 'manual';
  /** Users the destination accepted as added / removed in this run. */
  added: number;
  removed: number;
  /** Users of batches that failed (permanent error, retries exhausted, auth). */
  failed: number;
  /** Users the destination cannot address (e.g. Meta users without the identifier). */
  skipped: number;
  requests: number;
  retries: number;
  errors: SyncRunError[];
}

export interface SyncRecord {
  id: string;
  cohortId: string;
  destinationId: string;
  frequency: SyncFrequency;
  batchSize: number;
  paused: boolean;
  pausedReason: PausedReason | null;
  state: SyncState;
  nextRunAt: Date | null;
  /** Protocol state the destination asked to keep (listId, audienceId, ...). */
  protocolState: Record<string, unknown>;
  /** Set once a run has finished the initial full sync; later runs are deltas. */
  fullSyncDoneAt: Date | null;
  lastRun: SyncRun | null;
  createdAt: Date;
  updatedAt: Date;
}

export function presentRun(r: SyncRun) {
  return {
    id: r.id,
    startedAt: r.startedAt.toISOString(),
    finishedAt: r.finishedAt ? r.finishedAt.toISOString() : null,
    status: r.status,
    full: r.full,
    trigger: r.trigger,
    added: r.added,
    removed: r.removed,
    failed: r.failed,
    skipped: r.skipped,
    requests: r.requests,
    retries: r.retries,
    errors: r.errors.map((e) => ({
      at: e.at.toISOString(),
      status: e.status,
      message: e.message,
      sampleUserIds: e.sampleUserIds,
    })),
  };
}

/** The API shape of a sync (protocol state is internal and not shown). */
export function presentSync(s: SyncRecord) {
  return {
    id: s.id,
    cohortId: s.cohortId,
    destinationId: s.destinationId,
    frequency: s.frequency,
    batchSize: s.batchSize,
    paused: s.paused,
    pausedReason: s.pausedReason,
    state: s.state,
    lastRun: s.lastRun ? presentRun(s.lastRun) : null,
    nextRunAt: s.nextRunAt ? s.nextRunAt.toISOString() : null,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}
