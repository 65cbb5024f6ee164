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
  {
    // Snapshots by user id with the traits as one JSON object per member: the
    // store no longer reads `cohort_members` / `user_traits` (they belong to the
    // membership and event stores), so it can live on any engine.
    id: 'cohort-export-002-by-user-id',
    sql: `
    CREATE TABLE cohort_export_people (export_id VARCHAR NOT NULL, user_id VARCHAR NOT NULL, traits JSON);
    INSERT INTO cohort_export_people
      SELECT m.export_id, u.user_id,
             (SELECT json_group_object(t.key, t.value) FROM cohort_export_traits t WHERE t.export_id = m.export_id AND t.uid = m.uid)
        FROM cohort_export_members m JOIN users u ON u.uid = m.uid;
    DROP TABLE cohort_export_members;
    DROP TABLE cohort_export_traits;
    `,
  },
];
