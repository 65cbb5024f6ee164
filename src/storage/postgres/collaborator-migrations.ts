import type { PgMigration } from './database.js';

/** Cohort collaborators (docs/TEAMS.md) on PostgreSQL; ownership lives in the cohort's own record. */
export const PG_COLLABORATOR_MIGRATIONS: readonly PgMigration[] = [
  {
    id: 'collaborator-001-cohort-collaborators',
    sql: `
    CREATE TABLE cohort_collaborators (
      cohort_id text NOT NULL,
      account_id text NOT NULL,
      role text NOT NULL CHECK (role IN ('editor', 'viewer')),
      created_at timestamptz NOT NULL,
      PRIMARY KEY (cohort_id, account_id)
    );
    CREATE INDEX cohort_collaborators_by_account ON cohort_collaborators (account_id);
    `,
  },
];
