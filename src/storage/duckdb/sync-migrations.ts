import type { Migration } from './migrations.js';

/**
 * Sync engine tables. Times are TIMESTAMP holding UTC (written and read as
 * epoch milliseconds). Destination configs hold secrets: never select them
 * into logs. Never edit a shipped migration: add one.
 */
export const SYNC_MIGRATIONS: Migration[] = [
  {
    id: 'sync-001-destinations-syncs-runs',
    sql: `
  CREATE TABLE sync_destinations (
    id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    type VARCHAR NOT NULL,
    config JSON NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
  );
  -- One sync per (cohort, destination): the unique constraint is the guarantee.
  CREATE TABLE sync_jobs (
    id VARCHAR PRIMARY KEY,
    cohort_id VARCHAR NOT NULL,
    destination_id VARCHAR NOT NULL,
    frequency VARCHAR NOT NULL,
    batch_size INTEGER NOT NULL,
    paused_reason VARCHAR,
    state VARCHAR NOT NULL,
    next_run_at TIMESTAMP,
    protocol_state JSON NOT NULL,
    full_sync_done_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (cohort_id, destination_id)
  );
  -- The users each sync's destination has acknowledged (committed per accepted batch).
  CREATE TABLE sync_acknowledged (
    sync_id VARCHAR NOT NULL,
    user_id VARCHAR NOT NULL,
    PRIMARY KEY (sync_id, user_id)
  );
  CREATE SEQUENCE sync_run_seq;
  CREATE TABLE sync_runs (
    seq BIGINT NOT NULL DEFAULT nextval('sync_run_seq'),
    id VARCHAR PRIMARY KEY,
    sync_id VARCHAR NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status VARCHAR NOT NULL,
    "full" BOOLEAN NOT NULL,
    trigger VARCHAR NOT NULL,
    added BIGINT NOT NULL,
    removed BIGINT NOT NULL,
    failed BIGINT NOT NULL,
    skipped BIGINT NOT NULL,
    requests BIGINT NOT NULL,
    retries BIGINT NOT NULL,
    errors JSON NOT NULL
  );
  CREATE INDEX sync_runs_by_sync ON sync_runs (sync_id);
  `,
  },
  {
    // The primary key's index cost more than the inserts it guarded: an accepted
    // batch holds only users not yet acknowledged (the planner subtracts them), and
    // reads are DISTINCT, so a repeat after a crash cannot double a user.
    id: 'sync-002-acknowledged-without-index',
    sql: `
  CREATE TABLE sync_acknowledged_new (sync_id VARCHAR NOT NULL, user_id VARCHAR NOT NULL);
  INSERT INTO sync_acknowledged_new SELECT sync_id, user_id FROM sync_acknowledged;
  DROP TABLE sync_acknowledged;
  ALTER TABLE sync_acknowledged_new RENAME TO sync_acknowledged;
  `,
  },
  {
    // Batches recorded before they are sent (SyncStore.beginBatch): a re-send after a crash keeps its key.
    id: 'sync-003-in-flight-batches',
    sql: `
  CREATE SEQUENCE sync_inflight_seq;
  CREATE TABLE sync_inflight (
    seq BIGINT NOT NULL DEFAULT nextval('sync_inflight_seq'),
    sync_id VARCHAR NOT NULL,
    batch_key VARCHAR NOT NULL,
    op VARCHAR NOT NULL,
    user_ids VARCHAR NOT NULL
  );
  `,
  },
];
