import type { JobLeases } from '../job-leases.js';
import type { PgDatabase } from './database.js';

/**
 * Leases in PostgreSQL. Taking one is a single upsert that only overwrites an
 * expired row or the owner's own, so two processes can never both succeed;
 * times come from the server's clock_timestamp() (one clock for all processes).
 */
export function createPgJobLeases(db: PgDatabase): JobLeases {
  return {
    async acquire(key, owner, ttlMs) {
      const rows = await db.query(
        `INSERT INTO job_leases AS l (key, owner, expires_at) VALUES ($1, $2, clock_timestamp() + $3 * interval '1 millisecond')
         ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
           WHERE l.expires_at <= clock_timestamp() OR l.owner = excluded.owner
         RETURNING 1`,
        [key, owner, ttlMs],
      );
      return rows.length === 1;
    },
    async renew(key, owner, ttlMs) {
      const rows = await db.query(
        `UPDATE job_leases SET expires_at = clock_timestamp() + $3 * interval '1 millisecond'
          WHERE key = $1 AND owner = $2 AND expires_at > clock_timestamp() RETURNING 1`,
        [key, owner, ttlMs],
      );
      return rows.length === 1;
    },
    async release(key, owner) {
      await db.query('DELETE FROM job_leases WHERE key = $1 AND owner = $2', [key, owner]);
    },
    async held(key) {
      const rows = await db.query('SELECT 1 FROM job_leases WHERE key = $1 AND expires_at > clock_timestamp()', [key]);
      return rows.length === 1;
    },
  };
}
