import type { CohortExport, CohortExportStore, ExportRow } from '../cohort-export-store.js';
import type { Database, SerialConnection } from './database.js';
import { TS, date, ms } from './time-values.js';

const PAGE = 5_000;

interface Row {
  id: string;
  cohort_id: string;
  props: boolean;
  requested_by: string | null;
  status: CohortExport['status'];
  error: string | null;
  requested_at: bigint;
  finished_at: bigint | null;
}

const SELECT = `SELECT id, cohort_id, props, requested_by, status, error, epoch_ms(requested_at) AS requested_at,
  epoch_ms(finished_at) AS finished_at FROM cohort_exports`;

const toExport = (r: Row): CohortExport => ({
  id: r.id,
  cohortId: r.cohort_id,
  props: r.props,
  requestedBy: r.requested_by,
  status: r.status,
  error: r.error,
  requestedAt: date(r.requested_at)!,
  finishedAt: date(r.finished_at),
});

/** Member exports on DuckDB: snapshots keyed by the integer person key, user ids joined in on the way out. */
export function createDuckDBCohortExportStore(db: Database, conn: SerialConnection): CohortExportStore {
  return {
    async create(e) {
      await conn.transaction(async (c) => {
        await c.run(`INSERT INTO cohort_exports VALUES (?, ?, ?, ?, 'pending', NULL, ${TS}, NULL)`, [
          e.id, e.cohortId, e.props, e.requestedBy, ms(e.requestedAt),
        ] as never);
        await c.run('INSERT INTO cohort_export_members SELECT ?, uid FROM cohort_members WHERE cohort_id = ?', [e.id, e.cohortId]);
      });
    },
    async get(id) {
      const [r] = await conn.rows<Row>(`${SELECT} WHERE id = ?`, [id]);
      return r ? toExport(r) : undefined;
    },
    async pending() {
      return (await conn.rows<Row>(`${SELECT} WHERE status = 'pending' ORDER BY requested_at, id`)).map(toExport);
    },
    async complete(id, at) {
      await conn.transaction(async (c) => {
        const [r] = (await c.runAndReadAll('SELECT props FROM cohort_exports WHERE id = ?', [id])).getRowObjects();
        if (r?.props) {
          // Current value = the latest (ts, seq) per person and key (docs/ARCHITECTURE.md).
          await c.run(
            `INSERT INTO cohort_export_traits
             SELECT ?, t.uid, t.key, arg_max(t.value, (t.ts, t.seq)) FROM user_traits t
              WHERE t.uid IN (SELECT uid FROM cohort_export_members WHERE export_id = ?)
              GROUP BY t.uid, t.key`,
            [id, id],
          );
        }
        await c.run(`UPDATE cohort_exports SET status = 'completed', finished_at = ${TS} WHERE id = ?`, [ms(at), id] as never);
      });
    },
    async fail(id, error, at) {
      await conn.transaction(async (c) => {
        await c.run(`UPDATE cohort_exports SET status = 'failed', error = ?, finished_at = ${TS} WHERE id = ?`, [error, ms(at), id] as never);
        await c.run('DELETE FROM cohort_export_members WHERE export_id = ?', [id]);
      });
    },
    async traitKeys(id) {
      const rows = await db.reads.rows<{ key: string }>('SELECT DISTINCT key FROM cohort_export_traits WHERE export_id = ? ORDER BY key', [id]);
      return rows.map((r) => r.key);
    },
    async *rows(id) {
      // One sorted read handed out in pages (as the members CSV does): keyset pages would join the snapshot once per page.
      const rows = await db.reads.rows<{ user_id: string; traits: string | null }>(
        `SELECT u.user_id, (SELECT json_group_object(t.key, t.value)::VARCHAR FROM cohort_export_traits t
                             WHERE t.export_id = m.export_id AND t.uid = m.uid) AS traits
           FROM cohort_export_members m JOIN users u ON u.uid = m.uid
          WHERE m.export_id = ? ORDER BY u.user_id`,
        [id],
      );
      for (let i = 0; i < rows.length; i += PAGE) {
        yield rows.slice(i, i + PAGE).map((r): ExportRow => ({ userId: r.user_id, traits: r.traits ? JSON.parse(r.traits) : {} }));
      }
    },
    async prune(before) {
      return conn.transaction(async (c) => {
        const old = (await c.runAndReadAll(`SELECT id FROM cohort_exports WHERE requested_at < ${TS}`, [ms(before)] as never)).getRowObjects();
        for (const t of ['cohort_export_members', 'cohort_export_traits']) {
          await c.run(`DELETE FROM ${t} WHERE export_id IN (SELECT id FROM cohort_exports WHERE requested_at < ${TS})`, [ms(before)] as never);
        }
        await c.run(`DELETE FROM cohort_exports WHERE requested_at < ${TS}`, [ms(before)] as never);
        return old.length;
      });
    },
  };
}
