import type { ReadPool } from './database.js';
import type { IdentityMap } from './identity-map.js';

/**
 * The user ids of a few people (samples), in the order of `uids`: from the identity map
 * (the process's own, kept with every commit), so a preview or a diff does not scan the
 * users table for 20 names (a scan of 1M people costs more than the diff's own joins);
 * the table answers for any the map lacks (merged away since the query's snapshot).
 * People gone from both are left out.
 */
export async function userIdsOf(reads: ReadPool, ids: IdentityMap | undefined, uids: number[]): Promise<string[]> {
  const known = new Map(uids.map((u) => [u, ids?.displayOf(u)]));
  const missing = uids.filter((u) => known.get(u) === undefined);
  if (missing.length) {
    const found = await reads.rows<{ uid: number; user_id: string }>(`SELECT uid, user_id FROM users WHERE uid IN (${missing.map(() => '?').join(', ')})`, missing);
    for (const r of found) known.set(Number(r.uid), r.user_id);
  }
  return uids.map((u) => known.get(u)).filter((u): u is string => u !== undefined);
}
