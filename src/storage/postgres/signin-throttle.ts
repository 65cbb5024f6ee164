import type { SignInThrottle } from '../signin-throttle.js';
import type { PgDatabase } from './database.js';

export const PG_SIGNIN_THROTTLE_MIGRATIONS = [
  {
    id: 'signin-001-failures',
    sql: `
  -- Failed (or in-flight) sign-in attempts per email; rows older than the window are deleted.
  CREATE TABLE signin_failures (key text NOT NULL, at timestamptz NOT NULL);
  CREATE INDEX signin_failures_by_key ON signin_failures (key, at);
  `,
  },
] as const;

/**
 * The sign-in throttle shared by every process on one PostgreSQL. An attempt
 * is one transaction holding a per-key advisory lock: count, then record.
 */
export function createPgSignInThrottle(db: PgDatabase, opts: { max?: number; windowMs?: number } = {}): SignInThrottle {
  const max = opts.max ?? 10;
  const windowMs = opts.windowMs ?? 15 * 60_000;
  return {
    attempt(key, now) {
      return db.tx(async (q) => {
        await q.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 7301113))', [key]);
        const cutoff = new Date(now - windowMs);
        // Keeps the table small: this key's old rows now, everyone's now and then.
        if (Math.random() < 0.01) await q.query('DELETE FROM signin_failures WHERE at <= $1', [cutoff]);
        else await q.query('DELETE FROM signin_failures WHERE key = $1 AND at <= $2', [key, cutoff]);
        const recent = await q.query<{ at: Date }>('SELECT at FROM signin_failures WHERE key = $1 ORDER BY at DESC LIMIT $2', [key, max]);
        if (recent.length >= max) {
          // Allowed again once the oldest failure that keeps the count at max leaves the window.
          const oldest = recent[max - 1].at.getTime();
          return Math.max(1, Math.ceil((oldest + windowMs - now) / 1000));
        }
        await q.query('INSERT INTO signin_failures VALUES ($1, $2)', [key, new Date(now)]);
        return 0;
      });
    },
    async clear(key) {
      await db.query('DELETE FROM signin_failures WHERE key = $1', [key]);
    },
  };
}
