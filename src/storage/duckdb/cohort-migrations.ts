import type { Migration } from './migrations.js';

export const COHORT_MIGRATIONS: readonly Migration[] = [
  {
    id: 'cohort-001-cohorts',
    sql: `
    -- Cohort metadata is small; the whole record is kept as JSON beside the columns
    -- used for lookups, so new fields need no migration.
    CREATE TABLE cohorts (id VARCHAR NOT NULL, doc JSON NOT NULL);
    CREATE TABLE cohort_history (
      cohort_id VARCHAR NOT NULL, computed_at TIMESTAMP NOT NULL, size BIGINT NOT NULL,
      entered BIGINT NOT NULL, exited BIGINT NOT NULL, duration_ms BIGINT NOT NULL
    );
    `,
  },
];
