import type { PgMigration } from './database.js';

export const PG_LEASE_MIGRATIONS: readonly PgMigration[] = [
  {
    id: 'lease-001-job-leases',
    sql: `
  -- One row per job key while (or since) someone held it; expired rows are taken over in place.
  CREATE TABLE job_leases (
    key text PRIMARY KEY,
    owner text NOT NULL,
    expires_at timestamptz NOT NULL
  );
  `,
  },
];
