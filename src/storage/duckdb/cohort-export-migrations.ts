import type { Migration } from './migrations.js';

/**
 * Member exports (api.md, Amplitude's cohort API): the request, the members as
 * of the request, and their traits once the export ran. Never edit a shipped
 * migration: add one.
 */
export const COHORT_EXPORT_MIGRATIONS: readonly Migration[] = [
  {
    id: 'cohort-export-001',
    sql: `
    CREATE TABLE cohort_exports (
      id VARCHAR PRIMARY KEY, cohort_id VARCHAR NOT NULL, props BOOLEAN NOT NULL, requested_by VARCHAR,
      status VARCHAR NOT NULL CHECK (status IN ('pending', 'completed', 'failed')), error VARCHAR,
      requested_at TIMESTAMP NOT NULL, finished_at TIMESTAMP
    );
    CREATE TABLE cohort_export_members (export_id VARCHAR NOT NULL, uid INTEGER NOT NULL);
    CREATE TABLE cohort_export_traits (export_id VARCHAR NOT NULL, uid INTEGER NOT NULL, key VARCHAR NOT NULL, value JSON);
    `,
  },
];
