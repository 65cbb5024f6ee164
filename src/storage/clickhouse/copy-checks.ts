/**
 * What a resumable bulk copy into the ClickHouse tables (`kohort migrate`)
 * needs to know of them: how many rows each holds (counted by its key, since
 * the ReplacingMergeTree tables may hold a repeated row until a merge), and
 * which rows of the append-only tables are already in (by sequence number).
 */
import type { ClickHouseClient } from './client';

/** Each table's rows as readers see them: distinct keys for the replacing tables. */
const COUNTS = {
  events: 'SELECT toString(count()) AS n FROM events',
  user_traits: 'SELECT toString(count()) AS n FROM user_traits',
  users: 'SELECT toString(uniqExact(uid)) AS n FROM users',
  identities: 'SELECT toString(uniqExact(anonymous_id)) AS n FROM identities',
  person_merges: 'SELECT toString(uniqExact(from_uid)) AS n FROM person_merges',
  cohort_members: 'SELECT toString(count()) AS n FROM (SELECT cohort_id, uid FROM cohort_members GROUP BY cohort_id, uid HAVING argMax(present, version) = 1)',
} as const;

export type ClickHouseCopyTable = keyof typeof COUNTS;

export async function clickhouseRowCount(client: ClickHouseClient, table: ClickHouseCopyTable): Promise<number> {
  const [r] = await client.query<{ n: string }>(COUNTS[table]);
  return Number(r?.n ?? 0);
}

/**
 * Which of `seqs` are in `events` or `user_traits` already (rows of a chunk
 * whose write started before a copy stopped). One scan of the seq range.
 */
export async function presentSeqs(client: ClickHouseClient, table: 'events' | 'user_traits', seqs: readonly number[]): Promise<Set<number>> {
  if (!seqs.length) return new Set();
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of seqs) {
    lo = Math.min(lo, s);
    hi = Math.max(hi, s);
  }
  // Bounds are numbers from the store (integers, never input); the alias differs from the
  // column, since ClickHouse would read an alias `seq` in WHERE as the string.
  const rows = await client.query<{ s: string }>(
    `SELECT toString(seq) AS s FROM ${table} WHERE seq >= ${Math.floor(lo)} AND seq <= ${Math.floor(hi)}`,
  );
  const wanted = new Set(seqs);
  return new Set(rows.map((r) => Number(r.s)).filter((s) => wanted.has(s)));
}

/** Hot property paths already recorded (a resumed copy keeps them). */
export async function hotPropertyCount(client: ClickHouseClient): Promise<number> {
  const [r] = await client.query<{ n: string }>('SELECT toString(uniqExact(slot)) AS n FROM hot_properties');
  return Number(r?.n ?? 0);
}
