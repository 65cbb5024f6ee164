import { streamTextPages } from './stream-pages.js';
import type { CompiledQuery, MembershipStore } from '../membership-store.js';
import { paramTypes, type Database, type SerialConnection } from './database.js';
import type { IdentityMap } from './identity-map.js';
import { refreshManyWith } from './member-set-pass.js';
import { rowsOverEvents } from './sorted-events.js';
import { userIdsOf } from './user-ids.js';
import { forgetState, refreshSet, replaceAll } from './member-set-refresh.js';

const PAGE = 10_000;

/**
 * Member sets on DuckDB: rows of `cohort_members` keyed by the integer person
 * key, beside the events the compiled definitions read (cohort references
 * read this table too); user ids are joined in on the way out.
 */
export function createDuckDBMembershipStore(
  db: Database,
  conn: SerialConnection,
  ids: IdentityMap,
  opts: { log?: (msg: string, err?: unknown) => void } = {},
): MembershipStore {
  const reads = db.reads;

  return {
    async preview(q: CompiledQuery, sampleSize: number, sampleSeed = 0, signal?: AbortSignal) {
      // The sample is ordered by a hash of the person key and the seed: spread
      // over the whole cohort rather than its lowest keys, and the same for
      // the same seed (the service passes asOf), so a re-run shows the same people.
      const rows = await rowsOverEvents<{ size: bigint; uid: number | null }>(
        reads,
        `WITH m AS MATERIALIZED (${q.sql})
         SELECT (SELECT count(*) FROM m) AS size, s.uid
           FROM (SELECT 1) one LEFT JOIN (SELECT uid, hash(uid, ?::BIGINT) AS h FROM m ORDER BY h, uid LIMIT ?) s ON true
          ORDER BY s.h, s.uid`,
        [...q.params, sampleSeed, sampleSize],
        signal,
      );
      const uids = rows.map((r) => r.uid).filter((u): u is number => u !== null);
      return { size: Number(rows[0]?.size ?? 0), sample: await userIdsOf(reads, ids, uids) };
    },

    async replaceMembers(cohortId, q) {
      // One INSERT ... SELECT inside DuckDB: a million ids never pass through the process.
      return conn.transaction(async (c) => {
        // Not computed by refreshMembers: a later one must not build on this set.
        await forgetState(c, cohortId);
        return replaceAll(c, cohortId, q);
      });
    },

    refreshMembers(cohortId, full, incremental) {
      return conn.transaction((c) => refreshSet(c, cohortId, full, incremental));
    },

    refreshMany(items) {
      // A failed pass is redone cohort by cohort; it is logged, since the pass itself should not fail.
      return refreshManyWith((fn) => conn.transaction(fn), items, (err) => opts.log?.('cohort refresh pass failed; refreshing its cohorts one by one', err));
    },

    async memberCount(cohortId) {
      const [r] = await reads.rows<{ n: bigint }>('SELECT count(*) AS n FROM cohort_members WHERE cohort_id = ?', [cohortId]);
      return Number(r.n);
    },

    async membersPage(cohortId, limit, afterUserId, search) {
      const rows = await reads.rows<{ user_id: string }>(
        `SELECT u.user_id FROM cohort_members m JOIN users u ON u.uid = m.uid
          WHERE m.cohort_id = ? AND (CAST(? AS VARCHAR) IS NULL OR u.user_id > ?)
            AND (CAST(? AS VARCHAR) IS NULL OR contains(lower(u.user_id), lower(?)))
          ORDER BY u.user_id LIMIT ?`,
        [cohortId, afterUserId ?? null, afterUserId ?? null, search ?? null, search ?? null, limit],
      );
      return rows.map((r) => r.user_id);
    },

    streamMembers(cohortId) {
      // One sorted read (paging with keyset queries joined and filtered the whole
      // cohort once per page: 1M members, 100 pages, ~40 s), streamed: the first
      // page is out once the sort is done, while the rest are still fetched.
      return streamTextPages(
        (fn) => reads.pick().use(fn),
        'SELECT u.user_id FROM cohort_members m JOIN users u ON u.uid = m.uid WHERE m.cohort_id = ? ORDER BY u.user_id',
        [cohortId],
        PAGE,
      );
    },

    async addMembers(cohortId, userIds) {
      const unknown: string[] = [];
      const uids = new Set<number>();
      for (const u of userIds) {
        const uid = ids.uidOf(u);
        if (uid === undefined) unknown.push(u);
        else uids.add(uid);
      }
      return conn.transaction(async (c) => {
        const existing = new Set(
          (await c.runAndReadAll('SELECT uid FROM cohort_members WHERE cohort_id = ?', [cohortId])).getRowObjects().map((r) => Number(r.uid)),
        );
        const fresh = [...uids].filter((u) => !existing.has(u));
        await forgetState(c, cohortId);
        if (fresh.length) {
          const a = await c.createAppender('cohort_members');
          for (const uid of fresh) {
            a.appendVarchar(cohortId);
            a.appendInteger(uid);
            a.endRow();
          }
          a.flushSync();
          a.closeSync();
        }
        return { added: fresh.length, alreadyMember: uids.size - fresh.length, unknown };
      });
    },

    async removeMembers(cohortId, userIds) {
      const uids = userIds.map((u) => ids.uidOf(u)).filter((u): u is number => u !== undefined);
      if (!uids.length) return { removed: 0 };
      const r = await conn.transaction(async (c) => {
        await forgetState(c, cohortId);
        return c.run(`DELETE FROM cohort_members WHERE cohort_id = ? AND uid IN (SELECT unnest(string_split(?, ','))::INTEGER)`, [cohortId, uids.join(',')]);
      });
      return { removed: Number(r.rowsChanged) };
    },

    async deleteMembers(cohortId) {
      await conn.transaction(async (c) => {
        await forgetState(c, cohortId);
        await c.run('DELETE FROM cohort_members WHERE cohort_id = ?', [cohortId]);
      });
    },

    async cohortIds() {
      const rows = await reads.rows<{ cohort_id: string }>('SELECT DISTINCT cohort_id FROM cohort_members ORDER BY cohort_id');
      return rows.map((r) => r.cohort_id);
    },
  };
}
