/**
 * What a resumable bulk copy into the ClickHouse tables (`kohort migrate`)
 * needs to know of them: how many rows each holds (counted by its key, since
 * the ReplacingMergeTree tables may hold a repeated row until a merge), and
 * which sequence numbers of the append-only tables are already in.
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
 * The `seq` values of `events` or `user_traits` from `from` on (a chunk written
 * but not recorded as done before a copy stopped; at most one chunk's worth).
 */
export async function seqsFrom(client: ClickHouseClient, table: 'events' | 'user_traits', from: number): Promise<Set<number>> {
  // `from` is a number we recorded (never input); Math.floor keeps it an integer literal.
  // The alias differs from the column: ClickHouse would read an alias `seq` in WHERE as the string.
  const rows = await client.query<{ s: string }>(`SELECT toString(seq) AS s FROM ${table} WHERE seq >= ${Math.max(0, Math.floor(from))}`);
  return new Set(rows.map((r) => Number(r.s)));
}

/** Hot property paths already recorded (a resumed copy keeps them). */
export async function hotPropertyCount(client: ClickHouseClient): Promise<number> {
  const [r] = await client.query<{ n: string }>('SELECT toString(uniqExact(slot)) AS n FROM hot_properties');
  return Number(r?.n ?? 0);
}
