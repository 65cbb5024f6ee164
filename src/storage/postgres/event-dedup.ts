import { DEDUP_WINDOW_MS, type EventDedup } from '../event-dedup.js';
import type { PgDatabase } from './database.js';
import { pgTx } from './write-tx.js';

/**
 * Claims in PostgreSQL (`event_claims`): one INSERT ... ON CONFLICT DO NOTHING
 * per group, keys in sorted order (two groups claiming overlapping keys lock
 * them in the same order, so they queue rather than deadlock). A key inserted by
 * an uncommitted transaction makes the statement wait for it: committed, the
 * key is a duplicate; rolled back, it is ours. Claims older than the window are
 * overwritten in place, so pruning is housekeeping, not correctness.
 */
export function createPgEventDedup(db: PgDatabase): EventDedup {
  return {
    async claim(tx, keys) {
      if (!keys.length) return [];
      const rows = await pgTx(tx).query<{ key: string }>(
        `INSERT INTO event_claims AS c (key) SELECT k FROM unnest($1::text[]) AS k GROUP BY k ORDER BY k
         ON CONFLICT (key) DO UPDATE SET claimed_at = excluded.claimed_at
           WHERE c.claimed_at < clock_timestamp() - $2 * interval '1 millisecond'
         RETURNING key`,
        [keys, DEDUP_WINDOW_MS],
      );
      const fresh = new Set(rows.map((r) => r.key));
      // A key twice in one group: the first is the claim, the rest are repeats.
      return keys.map((k) => fresh.delete(k));
    },
    async prune(now = new Date()) {
      const rows = await db.query<{ n: number }>(
        "WITH d AS (DELETE FROM event_claims WHERE claimed_at < $1::timestamptz - $2 * interval '1 millisecond' RETURNING 1) SELECT count(*) AS n FROM d",
        [now.toISOString(), DEDUP_WINDOW_MS],
      );
      return rows[0].n;
    },
  };
}
