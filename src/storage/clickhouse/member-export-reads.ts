/**
 * Members with traits on ClickHouse (the members CSV with traits). Pages are
 * read by keyset on the shown user id, one statement per page when the
 * consumer asks for it: the membership is never held here, only a page of it.
 * Each page reads the member set as it is then, so an export running while the
 * cohort is recomputed sees each person at most once, in order (the embedded
 * store streams one snapshot instead).
 */
import { quoteClickHouseString } from '../../cohort/dialects/clickhouse-literals';
import { pathKey } from '../../cohort/dialects/clickhouse';
import type { MemberExportReads, MemberWithTraits } from '../member-export-reads';
import type { ClickHouseClient } from './client';
import { currentTraits, keysOf, membersWhere, personOf } from './person-keys';

/** Members per page read. */
export const MEMBER_EXPORT_PAGE = 5_000;

/** The persons of a cohort's stored member set (rows under merged-away keys count for their person). */
const memberPersons = (cohortId: string) =>
  `SELECT person FROM ${personOf(`SELECT uid FROM ${membersWhere(`cohort_id = ${quoteClickHouseString(cohortId)}`)}`, [])}`;

export function createClickHouseMemberExportReads(client: ClickHouseClient, pageSize = MEMBER_EXPORT_PAGE): MemberExportReads {
  return {
    async traitKeys(cohortId) {
      const persons = memberPersons(cohortId);
      const rows = await client.query<{ key: string }>(
        `SELECT DISTINCT key FROM (
           SELECT person, key, argMax(value_kind[indexOf(value_keys, ${quoteClickHouseString(pathKey([]))})], (ts, seq)) AS k
             FROM ${personOf(
               `SELECT uid, key, value_keys, value_kind, ts, seq FROM user_traits
                 WHERE uid IN (${persons}) OR uid IN (SELECT from_uid FROM person_merges WHERE into_uid IN (${persons}))`,
               ['key', 'value_keys', 'value_kind', 'ts', 'seq'],
             )}
            WHERE person IN (${persons}) GROUP BY person, key
         ) WHERE k != 0 ORDER BY key`,
      );
      return rows.map((r) => r.key);
    },

    async *pages(cohortId, keys) {
      let after: string | undefined;
      for (;;) {
        const cursor = after === undefined ? '' : `WHERE user_id > ${quoteClickHouseString(after)}`;
        const people = await client.query<{ uid: string; user_id: string }>(
          `SELECT uid, user_id FROM (
             SELECT uid, argMax(user_id, version) AS user_id FROM users
              WHERE uid IN (${memberPersons(cohortId)}) AND uid NOT IN (SELECT from_uid FROM person_merges) GROUP BY uid
           ) ${cursor} ORDER BY user_id LIMIT ${Math.max(1, Math.floor(pageSize))}`,
        );
        if (!people.length) return;
        const traits = keys.length ? await currentTraits(client, await keysOf(client, people.map((p) => Number(p.uid))), { only: keys, clearedAsNull: true }) : new Map();
        yield people.map((p): MemberWithTraits => ({ userId: p.user_id, traits: traits.get(Number(p.uid)) ?? {} }));
        if (people.length < pageSize) return;
        after = people[people.length - 1].user_id;
      }
    },
  };
}
