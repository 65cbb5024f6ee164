import type { MemberExportReads, MemberWithTraits } from '../member-export-reads.js';
import { CURRENT_TRAITS_TABLE } from './current-traits.js';
import type { Database, ReadPool } from './database.js';

/**
 * Members with traits on DuckDB. The rows come from one streamed query on a
 * connection of their own, a chunk (about 2,048 rows) at a time as the reader
 * pulls: a slow download holds that connection, never the shared read pool, and
 * the sorted result stays in DuckDB (which spills it to disk when it is big)
 * rather than in the JavaScript heap.
 */
export function createDuckDBMemberExportReads(db: Pick<Database, 'instance'>, reads: ReadPool): MemberExportReads {
  return {
    async traitKeys(cohortId) {
      const rows = await reads.rows<{ key: string }>(
        `SELECT DISTINCT t.key FROM ${CURRENT_TRAITS_TABLE} t
          WHERE t.uid IN (SELECT uid FROM cohort_members WHERE cohort_id = ?) AND json_type(t.value) <> 'NULL'
          ORDER BY t.key`,
        [cohortId],
      );
      return rows.map((r) => r.key);
    },

    async *pages(cohortId, keys) {
      const conn = await db.instance.connect();
      try {
        // Keys are bound, never spliced in; no keys reads no traits at all.
        const keyFilter = keys.length ? `t.key IN (${keys.map(() => '?').join(', ')})` : 'false';
        const result = await conn.stream(
          `WITH m AS (SELECT uid FROM cohort_members WHERE cohort_id = ?),
                t AS (SELECT t.uid, CAST(json_group_object(t.key, t.value) AS VARCHAR) AS traits
                        FROM ${CURRENT_TRAITS_TABLE} t WHERE ${keyFilter} AND t.uid IN (SELECT uid FROM m) GROUP BY t.uid)
           SELECT u.user_id, t.traits FROM m JOIN users u ON u.uid = m.uid LEFT JOIN t ON t.uid = m.uid
            ORDER BY u.user_id`,
          [cohortId, ...keys],
        );
        for await (const rows of result.yieldRows()) {
          yield rows.map((r): MemberWithTraits => ({ userId: r[0] as string, traits: r[1] === null ? {} : (JSON.parse(r[1] as string) as Record<string, unknown>) }));
        }
      } finally {
        conn.closeSync();
      }
    },
  };
}
