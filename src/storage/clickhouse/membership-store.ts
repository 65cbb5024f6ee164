/**
 * Member sets on ClickHouse, beside the events the compiled definitions read
 * (cohort references read the same sets through the dialect's `cohortMembers`).
 * A set is computed and stored by one INSERT ... SELECT inside the engine: ids
 * never pass through the process.
 *
 * Atomicity (member-sets-sql.ts): each change writes a complete new version of
 * the set, then commits it with one single-row insert of its head. Readers (this
 * store, compiled references, charts) see the last committed version whole, never
 * a version being written; a process dying mid-write leaves an uncommitted version
 * nobody reads (dropped by a later commit). Two writers of the same cohort at once
 * (which the job leases prevent for refreshes) each commit a complete set; the
 * higher version wins, so one static-list edit can be lost then, never half-applied.
 */
import { bind, joinSql, Sql, sql } from '../../cohort/dialect';
import type { CompiledQuery, ComputeResult, MembershipStore, PassOutcome } from '../membership-store';
import type { ClickHouseClient } from './client';
import { commitVersion, fragment, membersOf, nextVersion, text, versionRows, versions, writeVersion } from './member-sets-sql';
import { resolveUserIds } from './people-lookup';
import { PEOPLE, peopleIn } from './people-sql';
import { fullSortSampleSql, tieredSampleSql } from './preview-sample';

const PAGE = 10_000;
const people = new Sql(PEOPLE);

/** A SELECT of the uids of `uids` as a constant array (values through the literal function). */
const uidList = (uids: readonly number[]) => sql`SELECT arrayJoin([${joinSql(uids.map((u) => sql`toUInt64(${bind(u)})`), ', ')}]) AS uid`;

export function createClickHouseMembershipStore(client: ClickHouseClient): MembershipStore {
  /** Writes `next` (a SELECT of uids) as the cohort's new set and commits it; sizes and changes against the old. */
  async function replaceWith(cohortId: string, next: Sql): Promise<ComputeResult> {
    const { head, highest } = await versions(client, cohortId);
    const version = nextVersion(highest);
    await writeVersion(client, cohortId, version, next);
    const fresh = versionRows(cohortId, version);
    const old = membersOf(cohortId); // still the committed set: the new version is not yet
    const [r] = await client.query<{ size: string; entered: string; exited: string }>(
      text(sql`SELECT toString((SELECT count() FROM (${fresh}))) AS size,
                      toString((SELECT count() FROM (${fresh}) WHERE uid NOT IN (${old}))) AS entered,
                      toString((SELECT count() FROM (${old}) WHERE uid NOT IN (${fresh}))) AS exited`),
    );
    await commitVersion(client, cohortId, version, true, head);
    return { size: Number(r.size), entered: Number(r.entered), exited: Number(r.exited) };
  }

  /** Which of `uids` are in the cohort's set now. */
  async function present(cohortId: string, uids: readonly number[]): Promise<Set<number>> {
    if (!uids.length) return new Set();
    const rows = await client.query<{ k: string }>(text(sql`SELECT toString(uid) AS k FROM (${membersOf(cohortId)}) WHERE uid IN (${uidList(uids)})`));
    return new Set(rows.map((r) => Number(r.k)));
  }

  return {
    async preview(q: CompiledQuery, sampleSize: number, sampleSeed = 0, signal?: AbortSignal) {
      // One run of the definition gives the size and the sampled keys (preview-sample.ts);
      // the query's uids are distinct already (cohort-compiler.ts), so no DISTINCT on top.
      const [t] = await client.query<{ size: string; tier: string; sample: string[] }>(text(tieredSampleSql(fragment(q), sampleSize, sampleSeed)), { signal });
      const r = t && t.tier === '0' ? (await client.query<{ size: string; sample: string[] }>(text(fullSortSampleSql(fragment(q), sampleSize, sampleSeed)), { signal }))[0] : t;
      const keys = (r?.sample ?? []).map(Number);
      if (!keys.length) return { size: Number(r?.size ?? 0), sample: [] };
      const names = await client.query<{ k: string; user_id: string }>(
        text(sql`SELECT toString(uid) AS k, user_id FROM ${peopleIn(uidList(keys))}`),
        { signal },
      );
      const byUid = new Map(names.map((n) => [Number(n.k), n.user_id]));
      return { size: Number(r.size), sample: keys.map((k) => byUid.get(k)).filter((u): u is string => u !== undefined) };
    },

    replaceMembers: (cohortId, q) => replaceWith(cohortId, sql`SELECT DISTINCT uid FROM (${fragment(q)})`),

    // A full recompute each time (the same result as the incremental one would give).
    async refreshMembers(cohortId, full) {
      return { ...(await replaceWith(cohortId, sql`SELECT DISTINCT uid FROM (${fragment(full)})`)), reevaluated: null };
    },

    // Nothing is shared between the cohorts of a pass here: each is a full recompute in
    // ClickHouse (its scans are the engine's own), one after the other; a failure is the cohort's alone.
    async refreshMany(items) {
      const outcomes: PassOutcome[] = [];
      for (const item of items) {
        const started = performance.now();
        try {
          const result = { ...(await replaceWith(item.cohortId, sql`SELECT DISTINCT uid FROM (${fragment(item.full)})`)), reevaluated: null };
          outcomes.push({ ok: true, result, ms: performance.now() - started });
        } catch (err) {
          outcomes.push({ ok: false, error: err instanceof Error ? err : new Error(String(err)) });
        }
      }
      return outcomes;
    },

    async memberCount(cohortId) {
      const [r] = await client.query<{ n: string }>(text(sql`SELECT toString(count()) AS n FROM (${membersOf(cohortId)})`));
      return Number(r.n);
    },

    async membersPage(cohortId, limit, afterUserId, search) {
      const conds = [sql`uid IN (${membersOf(cohortId)})`];
      if (afterUserId !== undefined) conds.push(sql`user_id > ${bind(afterUserId)}`);
      if (search !== undefined) conds.push(sql`position(lowerUTF8(user_id), lowerUTF8(${bind(search)})) > 0`);
      const rows = await client.query<{ user_id: string }>(
        text(sql`SELECT user_id FROM ${people} WHERE ${joinSql(conds, ' AND ')} ORDER BY user_id LIMIT ${bind(limit)}`),
      );
      return rows.map((r) => r.user_id);
    },

    async *streamMembers(cohortId) {
      // One sorted read, handed out in pages (keyset pages would re-read the set each time).
      const rows = await client.query<{ user_id: string }>(
        text(sql`SELECT user_id FROM ${peopleIn(membersOf(cohortId))} ORDER BY user_id`),
      );
      for (let i = 0; i < rows.length; i += PAGE) yield rows.slice(i, i + PAGE).map((r) => r.user_id);
    },

    async addMembers(cohortId, userIds) {
      const known = await resolveUserIds(client, userIds);
      const unknown = userIds.filter((u) => !known.has(u));
      const uids = [...new Set(known.values())];
      const already = await present(cohortId, uids);
      const fresh = uids.filter((u) => !already.has(u));
      if (fresh.length) await replaceWith(cohortId, sql`SELECT uid FROM (${membersOf(cohortId)}) UNION ALL ${uidList(fresh)}`);
      return { added: fresh.length, alreadyMember: already.size, unknown };
    },

    async removeMembers(cohortId, userIds) {
      const known = await resolveUserIds(client, userIds);
      const gone = [...(await present(cohortId, [...new Set(known.values())]))];
      if (gone.length) await replaceWith(cohortId, sql`SELECT uid FROM (${membersOf(cohortId)}) WHERE uid NOT IN (${uidList(gone)})`);
      return { removed: gone.length };
    },

    async deleteMembers(cohortId) {
      const { head, highest } = await versions(client, cohortId);
      await commitVersion(client, cohortId, nextVersion(highest), false, head);
    },

    async cohortIds() {
      const rows = await client.query<{ cohort_id: string }>(
        `SELECT cohort_id FROM (
           SELECT cohort_id FROM member_set_heads GROUP BY cohort_id HAVING argMax(live, version) = 1
           UNION ALL SELECT DISTINCT cohort_id FROM (SELECT cohort_id, uid FROM cohort_members WHERE cohort_id NOT IN (SELECT cohort_id FROM member_set_heads)
             GROUP BY cohort_id, uid HAVING argMax(present, version) = 1))
         ORDER BY cohort_id`,
      );
      return rows.map((r) => r.cohort_id);
    },
  };
}
