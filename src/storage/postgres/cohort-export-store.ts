import type { CohortExport, CohortExportStore, ExportRow } from '../cohort-export-store.js';
import type { PgDatabase, PgQueryable } from './database.js';
import type { PgImportTable } from './bulk-import.js';
import { decodeText, encodeText, encodeTexts } from './text-values.js';

const PAGE = 5_000;

interface Row {
  id: string;
  cohort_id: string;
  props: boolean;
  requested_by: string | null;
  status: CohortExport['status'];
  error: string | null;
  requested_at: Date;
  finished_at: Date | null;
}

const SELECT = 'SELECT id, cohort_id, props, requested_by, status, error, requested_at, finished_at FROM cohort_exports';

const toExport = (r: Row): CohortExport => ({
  id: r.id,
  cohortId: r.cohort_id,
  props: r.props,
  requestedBy: r.requested_by,
  status: r.status,
  error: r.error,
  requestedAt: r.requested_at,
  finishedAt: r.finished_at,
});

/** The snapshot's (escaped) user ids after `after`, in byte order. */
async function page(q: PgQueryable, id: string, after: string | null): Promise<string[]> {
  const rows = await q.query<{ user_id: string }>(
    `SELECT user_id FROM cohort_export_people WHERE export_id = $1 AND ($2::text IS NULL OR user_id > $2) ORDER BY user_id LIMIT $3`,
    [id, after, PAGE],
  );
  return rows.map((r) => r.user_id);
}

/**
 * Member exports on PostgreSQL. The snapshot is written a page at a time
 * (`unnest` arrays) inside one transaction; user ids are escaped (text-values.ts)
 * and ordered byte-wise (COLLATE "C"), and the trait keys of the file are
 * gathered once when the export completes.
 */
export function createPgCohortExportStore(db: PgDatabase): CohortExportStore {
  return {
    async create(e, members) {
      await db.tx(async (t) => {
        await t.query(`INSERT INTO cohort_exports (id, cohort_id, props, requested_by, status, requested_at) VALUES ($1, $2, $3, $4, 'pending', $5)`, [
          e.id, e.cohortId, e.props, e.requestedBy, e.requestedAt,
        ]);
        for await (const ids of members) {
          if (!ids.length) continue;
          await t.query('INSERT INTO cohort_export_people (export_id, user_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING', [e.id, encodeTexts(ids)]);
        }
      });
    },
    async get(id) {
      const [r] = await db.query<Row>(`${SELECT} WHERE id = $1`, [encodeText(id)]);
      return r ? toExport(r) : undefined;
    },
    async pending() {
      return (await db.query<Row>(`${SELECT} WHERE status = 'pending' ORDER BY requested_at, id COLLATE "C"`)).map(toExport);
    },
    async complete(id, at, traitsOf) {
      await db.tx(async (t) => {
        const [e] = await t.query<{ props: boolean }>('SELECT props FROM cohort_exports WHERE id = $1 FOR UPDATE', [id]);
        const keys = new Set<string>();
        if (e?.props) {
          for (let ids = await page(t, id, null); ids.length; ids = await page(t, id, ids[ids.length - 1])) {
            const traits = await traitsOf(ids.map(decodeText));
            const users: string[] = [];
            const docs: string[] = [];
            for (const [userId, doc] of traits) {
              const names = Object.keys(doc);
              if (!names.length) continue;
              for (const k of names) keys.add(k);
              users.push(encodeText(userId));
              docs.push(JSON.stringify(doc));
            }
            if (users.length) {
              await t.query(
                `UPDATE cohort_export_people p SET traits = x.traits::json FROM unnest($2::text[], $3::text[]) AS x(user_id, traits)
                  WHERE p.export_id = $1 AND p.user_id = x.user_id`,
                [id, users, docs],
              );
            }
          }
        }
        await t.query(`UPDATE cohort_exports SET status = 'completed', finished_at = $2, trait_keys = $3::json WHERE id = $1`, [
          id, at, JSON.stringify([...keys].sort()),
        ]);
      });
    },
    async fail(id, error, at) {
      await db.tx(async (t) => {
        await t.query(`UPDATE cohort_exports SET status = 'failed', error = $2, finished_at = $3 WHERE id = $1`, [id, error, at]);
        await t.query('DELETE FROM cohort_export_people WHERE export_id = $1', [id]);
      });
    },
    async traitKeys(id) {
      const [r] = await db.query<{ keys: string | null }>('SELECT trait_keys::text AS keys FROM cohort_exports WHERE id = $1', [encodeText(id)]);
      return r?.keys ? (JSON.parse(r.keys) as string[]) : [];
    },
    async *rows(id) {
      // Keyset pages on the primary key: each is one index range read.
      let after: string | null = null;
      for (;;) {
        const rows: { user_id: string; traits: string | null }[] = await db.query(
          `SELECT user_id, traits::text AS traits FROM cohort_export_people
            WHERE export_id = $1 AND ($2::text IS NULL OR user_id > $2) ORDER BY user_id LIMIT $3`,
          [encodeText(id), after, PAGE],
        );
        if (!rows.length) return;
        yield rows.map((r): ExportRow => ({ userId: decodeText(r.user_id), traits: r.traits ? JSON.parse(r.traits) : {} }));
        if (rows.length < PAGE) return;
        after = rows[rows.length - 1].user_id;
      }
    },
    async prune(before) {
      // The snapshot goes with its export (ON DELETE CASCADE).
      const rows = await db.query('DELETE FROM cohort_exports WHERE requested_at < $1 RETURNING id', [before]);
      return rows.length;
    },
  };
}

/**
 * What `kohort migrate` may import into this adapter's tables (bulk-import.ts):
 * exports with their snapshots; `trait_keys` is gathered from the snapshot once
 * its rows are in (`importedExportTraitKeys`).
 */
export const PG_COHORT_EXPORT_IMPORTS = {
  cohort_exports: {
    table: 'cohort_exports',
    columns: {
      id: 'text', cohort_id: 'text', props: 'boolean', requested_by: 'text', status: 'text', error: 'text',
      requested_at: 'timestamptz', finished_at: 'timestamptz',
    },
  },
  cohort_export_people: {
    table: 'cohort_export_people',
    columns: { export_id: 'text', user_id: 'etext', traits: 'json' },
    onConflict: 'ON CONFLICT DO NOTHING',
  },
} as const satisfies Record<string, PgImportTable>;

/** After an import: each completed export's trait keys from its snapshot, as `complete` records them. */
export async function importedExportTraitKeys(q: PgQueryable): Promise<void> {
  const rows = await q.query<{ id: string; traits: string | null }>(
    `SELECT e.id, p.traits::text AS traits FROM cohort_exports e JOIN cohort_export_people p ON p.export_id = e.id
      WHERE e.status = 'completed' AND e.trait_keys IS NULL AND p.traits IS NOT NULL`,
  );
  const keys = new Map<string, Set<string>>();
  for (const r of rows) {
    const set = keys.get(r.id) ?? new Set<string>();
    for (const k of Object.keys(JSON.parse(r.traits ?? '{}') as object)) set.add(k);
    keys.set(r.id, set);
  }
  await q.query(`UPDATE cohort_exports SET trait_keys = '[]' WHERE status = 'completed' AND trait_keys IS NULL`);
  for (const [id, set] of keys) {
    await q.query('UPDATE cohort_exports SET trait_keys = $2::json WHERE id = $1', [id, JSON.stringify([...set].sort())]);
  }
}
