import type { PgMigration } from './database.js';

/**
 * Sync engine tables on PostgreSQL. Destination configs hold secrets: never
 * select them into logs. User ids are `text COLLATE "C"` (byte order, which is
 * JavaScript's order for all but astral characters: the planner's merge path)
 * escaped by text-values.ts (text cannot hold U+0000).
 */
export const PG_SYNC_MIGRATIONS: readonly PgMigration[] = [
  {
    id: 'sync-001-destinations-syncs-runs',
    sql: `
  CREATE TABLE sync_destinations (
    id text PRIMARY KEY,
    name text NOT NULL,
    type text NOT NULL,
    config jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
  );
  -- One sync per (cohort, destination): the unique constraint holds across processes.
  CREATE TABLE sync_jobs (
    id text PRIMARY KEY,
    cohort_id text NOT NULL,
    destination_id text NOT NULL,
    frequency text NOT NULL,
    batch_size integer NOT NULL,
    paused_reason text,
    state text NOT NULL,
    next_run_at timestamptz,
    protocol_state jsonb NOT NULL DEFAULT '{}',
    full_sync_done_at timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT sync_jobs_pair UNIQUE (cohort_id, destination_id)
  );
  CREATE INDEX sync_jobs_due ON sync_jobs (next_run_at) WHERE paused_reason IS NULL;
  -- The users each sync's destination has acknowledged (committed per accepted batch).
  CREATE TABLE sync_acknowledged (
    sync_id text NOT NULL,
    user_id text COLLATE "C" NOT NULL,
    PRIMARY KEY (sync_id, user_id)
  );
  CREATE TABLE sync_runs (
    seq bigserial NOT NULL,
    id text PRIMARY KEY,
    sync_id text NOT NULL,
    started_at timestamptz NOT NULL,
    finished_at timestamptz,
    status text NOT NULL,
    "full" boolean NOT NULL,
    trigger text NOT NULL,
    added bigint NOT NULL,
    removed bigint NOT NULL,
    failed bigint NOT NULL,
    skipped bigint NOT NULL,
    requests bigint NOT NULL,
    retries bigint NOT NULL,
    -- json, not jsonb: sample user ids may hold U+0000, which jsonb refuses.
    errors json NOT NULL
  );
  CREATE INDEX sync_runs_by_sync ON sync_runs (sync_id, started_at DESC, seq DESC);
  CREATE INDEX sync_runs_running ON sync_runs (status) WHERE status = 'running';
  `,
  },
  {
    // Batches recorded before they are sent (SyncStore.beginBatch): a re-send after a crash keeps its key.
    // User ids as json (not jsonb, which refuses U+0000).
    id: 'sync-002-in-flight-batches',
    sql: `
  CREATE TABLE sync_inflight (
    seq bigserial PRIMARY KEY,
    sync_id text NOT NULL,
    batch_key text NOT NULL,
    op text NOT NULL,
    user_ids json NOT NULL
  );
  CREATE INDEX sync_inflight_by_sync ON sync_inflight (sync_id, batch_key);
  `,
  },
];
