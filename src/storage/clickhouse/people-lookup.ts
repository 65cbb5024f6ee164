/**
 * User ids to person keys on ClickHouse, aliases included, through people-sql.ts:
 * a person's shown user id first; otherwise an anonymous id (`identities`) or the
 * user id of a person merged away (its `users` rows stay, under its own key); either
 * one followed to the person it was merged into.
 */
import { bind, joinSql, Sql, sql } from '../../cohort/dialect';
import type { ClickHouseClient } from './client';
import { text } from './member-sets-sql';
import { MERGED, PEOPLE } from './people-sql';

const CHUNK = 5000;
const PEOPLE_SQL = new Sql(PEOPLE);
const MERGED_SQL = new Sql(MERGED);

export async function resolveUserIds(client: ClickHouseClient, userIds: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const distinct = [...new Set(userIds)];
  for (let i = 0; i < distinct.length; i += CHUNK) {
    const list = joinSql(distinct.slice(i, i + CHUNK).map(bind), ', ');
    // pri 0: the shown id of a person now; 1: an alias or former id, mapped through merges.
    // (Result aliases differ from column names: ClickHouse sees aliases in every clause.
    // A missing join row reads as 0 on every version: join_use_nulls is off by default.)
    const rows = await client.query<{ id: string; uid: string }>(
      text(sql`SELECT id, toString(argMin(person, pri)) AS uid FROM (
          SELECT user_id AS id, uid AS person, 0 AS pri FROM ${PEOPLE_SQL} WHERE user_id IN (${list})
          UNION ALL
          SELECT id, if(into_uid = 0, k, into_uid) AS person, 1 AS pri FROM (
            SELECT id, k FROM (
              SELECT anonymous_id AS id, argMax(uid, ts) AS k FROM identities WHERE anonymous_id IN (${list}) GROUP BY anonymous_id
              UNION ALL SELECT user_id AS id, argMax(uid, version) AS k FROM users WHERE user_id IN (${list}) GROUP BY user_id)
          ) AS a ANY LEFT JOIN (SELECT from_uid AS k, into_uid FROM ${MERGED_SQL}) AS m USING k
        ) GROUP BY id`),
    );
    for (const r of rows) out.set(r.id, Number(r.uid));
  }
  return out;
}
