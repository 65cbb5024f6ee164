import type { Migration } from './migrations.js';

/**
 * What incremental cohort refreshes read besides the events (duckdb-membership-store.ts):
 * - `person_merges`: every alias merge, numbered from the same sequence as events and
 *   traits, since a merge moves old rows (old seq numbers) from one person to another;
 * - `cohort_refresh_state`: per dynamic cohort, what its stored member set was computed
 *   from (asOf, the last seq and uid seen, the definition's fingerprint), written in the
 *   same transaction as the member set, so the two never disagree.
 */
export const MEMBERSHIP_MIGRATIONS: Migration[] = [
  {
    id: 'membership-001-incremental-refresh',
    sql: `
  CREATE TABLE person_merges (seq BIGINT NOT NULL, from_uid INTEGER NOT NULL, into_uid INTEGER NOT NULL);
  CREATE TABLE cohort_refresh_state (cohort_id VARCHAR NOT NULL, as_of_ms BIGINT NOT NULL, seq BIGINT NOT NULL, max_uid INTEGER NOT NULL, fingerprint VARCHAR NOT NULL);
  `,
  },
  {
    // The set's row count when the state was written (NULL: not known, counted at the next refresh),
    // so a refresh pass adds its changes to it instead of counting every set's rows.
    id: 'membership-002-refresh-state-size',
    sql: `ALTER TABLE cohort_refresh_state ADD COLUMN size BIGINT;`,
  },
];
