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

/** Member exports on DuckDB: the request, and its snapshot with one traits object per member. */
export function createDuckDBCohortExportStore(db: Database, conn: SerialConnection): CohortExportStore {
  return {
    async create(e, members) {
      await conn.transaction(async (c) => {
        await c.run(`INSERT INTO cohort_exports VALUES (?, ?, ?, ?, 'pending', NULL, ${TS}, NULL)`, [
          e.id, e.cohortId, e.props, e.requestedBy, ms(e.requestedAt),
        ] as never);
        const a = await c.createAppender('cohort_export_people');
        for await (const page of members) {
          for (const userId of page) {
            a.appendVarchar(e.id);
            a.appendVarchar(userId);
            a.appendNull();
            a.endRow();
          }
        }
        a.flushSync();
        a.closeSync();
      });
    },
    async get(id) {
      const [r] = await conn.rows<Row>(`${SELECT} WHERE id = ?`, [id]);
      return r ? toExport(r) : undefined;
    },
    async pending() {
      return (await conn.rows<Row>(`${SELECT} WHERE status = 'pending' ORDER BY requested_at, id`)).map(toExport);
    },
    async complete(id, at, traitsOf) {
      await conn.transaction(async (c) => {
        const [e] = (await c.runAndReadAll('SELECT props FROM cohort_exports WHERE id = ?', [id])).getRowObjects();
        if (e?.props) {
          const ids = (await c.runAndReadAll('SELECT user_id FROM cohort_export_people WHERE export_id = ? ORDER BY user_id', [id])).getColumnsJS()[0] as string[];
          // Traits arrive a page at a time into a temp table, then one UPDATE joins them in.
          await c.run('CREATE OR REPLACE TEMP TABLE export_traits (user_id VARCHAR, traits VARCHAR)');
          const a = await c.createAppender('export_traits', 'main', 'temp');
          for (let i = 0; i < ids.length; i += PAGE) {
            for (const [userId, t] of await traitsOf(ids.slice(i, i + PAGE))) {
              if (!Object.keys(t).length) continue;
              a.appendVarchar(userId);
              a.appendVarchar(JSON.stringify(t));
              a.endRow();
            }
          }
          a.flushSync();
          a.closeSync();
          await c.run(
            `UPDATE cohort_export_people p SET traits = CAST(t.traits AS JSON) FROM export_traits t
              WHERE p.export_id = ? AND p.user_id = t.user_id`,
            [id],
          );
          await c.run('DROP TABLE export_traits');
        }
        await c.run(`UPDATE cohort_exports SET status = 'completed', finished_at = ${TS} WHERE id = ?`, [ms(at), id] as never);
      });
    },
    async fail(id, error, at) {
      await conn.transaction(async (c) => {
        await c.run(`UPDATE cohort_exports SET status = 'failed', error = ?, finished_at = ${TS} WHERE id = ?`, [error, ms(at), id] as never);
        await c.run('DELETE FROM cohort_export_people WHERE export_id = ?', [id]);
      });
    },
    async traitKeys(id) {
      const rows = await db.reads.rows<{ key: string }>(
        `SELECT DISTINCT unnest(json_keys(traits)) AS key FROM cohort_export_people WHERE export_id = ? AND traits IS NOT NULL ORDER BY key`,
        [id],
      );
      return rows.map((r) => r.key);
    },
    async *rows(id) {
      // One sorted read handed out in pages (as the members CSV does).
      const rows = await db.reads.rows<{ user_id: string; traits: string | null }>(
        'SELECT user_id, traits::VARCHAR AS traits FROM cohort_export_people WHERE export_id = ? ORDER BY user_id',
        [id],
      );
      for (let i = 0; i < rows.length; i += PAGE) {
        yield rows.slice(i, i + PAGE).map((r): ExportRow => ({ userId: r.user_id, traits: r.traits ? JSON.parse(r.traits) : {} }));
      }
    },
    async prune(before) {
      return conn.transaction(async (c) => {
        const old = (await c.runAndReadAll(`SELECT id FROM cohort_exports WHERE requested_at < ${TS}`, [ms(before)] as never)).getRowObjects();
        await c.run(`DELETE FROM cohort_export_people WHERE export_id IN (SELECT id FROM cohort_exports WHERE requested_at < ${TS})`, [ms(before)] as never);
        await c.run(`DELETE FROM cohort_exports WHERE requested_at < ${TS}`, [ms(before)] as never);
        return old.length;
      });
    },
  };
}
