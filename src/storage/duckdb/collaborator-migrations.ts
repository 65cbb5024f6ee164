import type { Migration } from './migrations.js';

/**
 * Cohort collaborators (docs/TEAMS.md). Ownership lives in the cohort's own
 * record; this table holds the invited accounts. Never edit a shipped
 * migration: add one.
 */
export const COLLABORATOR_MIGRATIONS: readonly Migration[] = [
  {
    id: 'collaborator-001-cohort-collaborators',
    sql: `
    CREATE TABLE cohort_collaborators (
      cohort_id VARCHAR NOT NULL,
      account_id VARCHAR NOT NULL,
      role VARCHAR NOT NULL CHECK (role IN ('editor', 'viewer')),
      created_at TIMESTAMP NOT NULL,
      PRIMARY KEY (cohort_id, account_id)
    );
    `,
  },
];
