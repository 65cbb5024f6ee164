import type { PgMigration } from './database.js';

/**
 * Cohort metadata and history on PostgreSQL. The record is kept whole as
 * `json` text (not jsonb: it keeps what was written, `\u0000` escapes
 * included) beside the columns used for lookups, so new fields need no migration.
 * Member sets are not here: they live with the events engine.
 */
export const PG_COHORT_MIGRATIONS: readonly PgMigration[] = [
  {
    id: 'cohort-001-cohorts',
    sql: `
    CREATE TABLE cohorts (
      id text PRIMARY KEY,
      seq bigserial NOT NULL,
      owner_id text,
      doc json NOT NULL
    );
    CREATE INDEX cohorts_by_owner ON cohorts (owner_id);
    CREATE TABLE cohort_history (
      cohort_id text NOT NULL,
      seq bigserial NOT NULL,
      computed_at timestamptz NOT NULL,
      size bigint NOT NULL,
      entered bigint NOT NULL,
      exited bigint NOT NULL,
      duration_ms bigint NOT NULL
    );
    CREATE INDEX cohort_history_by_cohort ON cohort_history (cohort_id, computed_at DESC, seq DESC);
    `,
  },
];

/** Member exports (Amplitude's async download): the request and its snapshot by user id. */
export const PG_COHORT_EXPORT_MIGRATIONS: readonly PgMigration[] = [
  {
    id: 'cohort-export-001',
    sql: `
    CREATE TABLE cohort_exports (
      id text PRIMARY KEY,
      cohort_id text NOT NULL,
      props boolean NOT NULL,
      requested_by text,
      status text NOT NULL CHECK (status IN ('pending', 'completed', 'failed')),
      error text,
      requested_at timestamptz NOT NULL,
      finished_at timestamptz,
      trait_keys json
    );
    CREATE INDEX cohort_exports_pending ON cohort_exports (requested_at, id) WHERE status = 'pending';
    CREATE TABLE cohort_export_people (
      export_id text NOT NULL REFERENCES cohort_exports (id) ON DELETE CASCADE,
      user_id text COLLATE "C" NOT NULL,
      traits json,
      PRIMARY KEY (export_id, user_id)
    );
    `,
  },
];
