/**
 * Member sets on ClickHouse (tables of migration ch-030-member-sets), per cohort:
 * the SQL the membership store and the insight reads use. The same rule for every
 * cohort at once is the dialect's `tables.cohortMembers` (CLICKHOUSE_MEMBER_SETS),
 * which compiled cohort references read.
 *
 * A version of a set is written whole into `member_set_rows` under a new version
 * number, then committed by one single-row INSERT into `member_set_heads`; every
 * read resolves the head and the rows in the same statement, so a reader sees a
 * complete version, the committed one, never a part of one being written.
 */
import { bind, Sql, sql, type SqlParam } from '../../cohort/dialect';
import { inlineParams } from '../../cohort/dialects/clickhouse-literals';
import type { ClickHouseClient } from './client';

/** The SQL text of a fragment: its values inlined by the dialect's literal function. */
export const text = (q: Sql): string => inlineParams(q.text, q.params);

/** A compiled query as a fragment. */
export const fragment = (q: { sql: string; params: unknown[] }): Sql => new Sql(q.sql, q.params as SqlParam[]);

/** The committed version of a cohort's set, or 0 rows when it has none or it was deleted. */
function committed(cohortId: string): Sql {
  return sql`SELECT v FROM (SELECT max(version) AS v, argMax(live, version) AS l FROM member_set_heads WHERE cohort_id = ${bind(cohortId)}) WHERE l = 1 AND v > 0`;
}

/** A SELECT of the `uid`s of a cohort's stored member set (distinct). */
export function membersOf(cohortId: string): Sql {
  const c = bind(cohortId);
  return sql`SELECT uid FROM (SELECT uid FROM member_set_rows WHERE cohort_id = ${c} AND version IN (${committed(cohortId)})
    UNION ALL SELECT uid FROM cohort_members WHERE cohort_id = ${c} AND cohort_id NOT IN (SELECT cohort_id FROM member_set_heads WHERE cohort_id = ${c})
      GROUP BY uid HAVING argMax(present, version) = 1)`;
}

/** A SELECT of the `uid`s of one version's rows (complete once written). */
export function versionRows(cohortId: string, version: number): Sql {
  return sql`SELECT uid FROM member_set_rows WHERE cohort_id = ${bind(cohortId)} AND version = ${bind(version)}`;
}

/** The committed head of a cohort (0: none or deleted) and the highest version any of its rows or heads has. */
export async function versions(client: ClickHouseClient, cohortId: string): Promise<{ head: number; highest: number }> {
  const c = bind(cohortId);
  // Aggregates without GROUP BY: one row even for an unknown cohort (0s).
  const [r] = await client.query<{ head: string; highest: string }>(
    text(sql`SELECT toString((SELECT any(v) FROM (${committed(cohortId)}))) AS head,
                    toString(greatest((SELECT max(version) FROM member_set_heads WHERE cohort_id = ${c}),
                                      (SELECT max(version) FROM member_set_rows WHERE cohort_id = ${c}))) AS highest`),
  );
  return { head: Number(r.head), highest: Number(r.highest) };
}

/**
 * A version number above every earlier one of the cohort: microseconds now (a safe
 * integer), with random low digits so two processes never pick the same one.
 */
export function nextVersion(highest: number): number {
  return Math.max(Date.now() * 1000 + Math.floor(Math.random() * 1000), highest + 1);
}

/** Writes version `version` of a set: the distinct uids of `uids` (a SELECT of `uid`), inside the engine. */
export async function writeVersion(client: ClickHouseClient, cohortId: string, version: number, uids: Sql): Promise<void> {
  await client.command(text(sql`INSERT INTO member_set_rows (cohort_id, version, uid) SELECT ${bind(cohortId)}, ${bind(version)}, uid FROM (${uids}) GROUP BY uid`));
}

/**
 * Commits a version (live) or deletes the set (not live): one single-row insert, so
 * atomic. Then drops older rows (a mutation, in the background): after a commit those of
 * versions before the previous head (`before`), which is kept for readers that resolved
 * it just before this commit; after a delete every older version.
 */
export async function commitVersion(client: ClickHouseClient, cohortId: string, version: number, live: boolean, before: number): Promise<void> {
  await client.insert('member_set_heads', [{ cohort_id: cohortId, version, live: live ? 1 : 0 }]);
  const limit = live ? before : version;
  if (!limit) return;
  const old = sql`cohort_id = ${bind(cohortId)} AND version < ${bind(limit)}`;
  const [r] = await client.query<{ n: string }>(text(sql`SELECT toString(count()) AS n FROM member_set_rows WHERE ${old}`));
  if (Number(r.n) > 0) await client.command(text(sql`ALTER TABLE member_set_rows DELETE WHERE ${old}`));
}
