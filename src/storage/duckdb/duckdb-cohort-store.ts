import type { Cohort } from '../../schemas/cohort.js';
import type { CohortStore, HistoryEntry } from '../cohort-store.js';
import type { Database, SerialConnection } from './database.js';

const HISTORY_INSERT = 'INSERT INTO cohort_history VALUES (?, CAST(? AS TIMESTAMP), ?, ?, ?, ?)';

/** Cohort metadata and history on DuckDB (the embedded store); member sets are `createDuckDBMembershipStore`'s. */
export function createDuckDBCohortStore(db: Database, conn: SerialConnection): CohortStore {
  const reads = db.reads;
  return {
    async all() {
      const rows = await reads.rows<{ doc: string }>('SELECT doc::VARCHAR AS doc FROM cohorts');
      return rows.map((r) => JSON.parse(r.doc) as Cohort);
    },
    async get(id) {
      const [r] = await reads.rows<{ doc: string }>('SELECT doc::VARCHAR AS doc FROM cohorts WHERE id = ?', [id]);
      return r ? (JSON.parse(r.doc) as Cohort) : undefined;
    },
    async insert(c) {
      await conn.run('INSERT INTO cohorts VALUES (?, ?)', [c.id, JSON.stringify(c)]);
    },
    async update(c) {
      await conn.run('UPDATE cohorts SET doc = ? WHERE id = ?', [JSON.stringify(c), c.id]);
    },
    async updateMany(cs) {
      if (!cs.length) return;
      await conn.transaction(async (t) => {
        for (const c of cs) await t.run('UPDATE cohorts SET doc = ? WHERE id = ?', [JSON.stringify(c), c.id]);
      });
    },
    async recordComputations(list) {
      if (!list.length) return;
      await conn.transaction(async (t) => {
        for (const { cohort: c, entry: e } of list) {
          if (e) await t.run(HISTORY_INSERT, [c.id, e.computedAt, e.size, e.entered, e.exited, e.durationMs]);
          await t.run('UPDATE cohorts SET doc = ? WHERE id = ?', [JSON.stringify(c), c.id]);
        }
      });
    },
    async delete(id) {
      await conn.transaction(async (c) => {
        await c.run('DELETE FROM cohort_history WHERE cohort_id = ?', [id]);
        await c.run('DELETE FROM cohorts WHERE id = ?', [id]);
      });
    },
    async recordHistory(cohortId, e) {
      await conn.run(HISTORY_INSERT, [
        cohortId, e.computedAt, e.size, e.entered, e.exited, e.durationMs,
      ]);
    },
    async history(cohortId, limit) {
      const rows = await reads.rows<{ at: bigint; size: bigint; entered: bigint; exited: bigint; d: bigint }>(
        `SELECT epoch_ms(computed_at) AS at, size, entered, exited, duration_ms AS d FROM cohort_history
          WHERE cohort_id = ? ORDER BY computed_at DESC LIMIT ?`,
        [cohortId, limit],
      );
      return rows.map((r): HistoryEntry => ({
        computedAt: new Date(Number(r.at)).toISOString(),
        size: Number(r.size),
        entered: Number(r.entered),
        exited: Number(r.exited),
        durationMs: Number(r.d),
      }));
    },
    async names(idList) {
      if (!idList.length) return [];
      return reads.rows<{ id: string; name: string }>(
        `SELECT id, json_extract_string(doc, '$.name') AS name FROM cohorts WHERE id IN (SELECT unnest(string_split(?, chr(31))))`,
        [idList.join('\u001f')],
      );
    },
    async idsOwnedBy(accountId) {
      const rows = await reads.rows<{ id: string }>(`SELECT id FROM cohorts WHERE json_extract_string(doc, '$.ownerId') = ?`, [accountId]);
      return rows.map((r) => r.id);
    },
  };
}
