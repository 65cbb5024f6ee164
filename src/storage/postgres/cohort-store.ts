import type { Cohort } from '../../schemas/cohort.js';
import type { CohortStore, HistoryEntry } from '../cohort-store.js';
import type { PgDatabase } from './database.js';
import type { PgImportTable } from './bulk-import.js';
import { encodeText, encodeTexts } from './text-values.js';

interface HistoryRow {
  at: Date;
  size: number;
  entered: number;
  exited: number;
  d: number;
}

const UPDATE = 'UPDATE cohorts SET owner_id = $2, doc = $3::json WHERE id = $1';
const HISTORY_INSERT = 'INSERT INTO cohort_history (cohort_id, computed_at, size, entered, exited, duration_ms) VALUES ($1, $2, $3, $4, $5, $6)';

// Ids from requests may hold U+0000, which PostgreSQL text cannot: they are bound escaped (text-values.ts).
const key = encodeText;

/** Cohort metadata and history on PostgreSQL; member sets stay with the events engine. */
export function createPgCohortStore(db: PgDatabase): CohortStore {
  const parse = (rows: { doc: string }[]) => rows.map((r) => JSON.parse(r.doc) as Cohort);
  return {
    async all() {
      return parse(await db.query<{ doc: string }>('SELECT doc::text AS doc FROM cohorts ORDER BY seq'));
    },
    async get(id) {
      return parse(await db.query<{ doc: string }>('SELECT doc::text AS doc FROM cohorts WHERE id = $1', [key(id)]))[0];
    },
    async insert(c) {
      await db.query('INSERT INTO cohorts (id, owner_id, doc) VALUES ($1, $2, $3::json)', [key(c.id), c.ownerId ?? null, JSON.stringify(c)]);
    },
    async update(c) {
      await db.query(UPDATE, [key(c.id), c.ownerId ?? null, JSON.stringify(c)]);
    },
    async updateMany(cs) {
      if (!cs.length) return;
      await db.tx(async (t) => {
        for (const c of cs) await t.query(UPDATE, [key(c.id), c.ownerId ?? null, JSON.stringify(c)]);
      });
    },
    async recordComputations(list) {
      if (!list.length) return;
      await db.tx(async (t) => {
        for (const { cohort: c, entry: e } of list) {
          if (e) await t.query(HISTORY_INSERT, [key(c.id), e.computedAt, e.size, e.entered, e.exited, e.durationMs]);
          await t.query(UPDATE, [key(c.id), c.ownerId ?? null, JSON.stringify(c)]);
        }
      });
    },
    async delete(id) {
      await db.tx(async (t) => {
        await t.query('DELETE FROM cohort_history WHERE cohort_id = $1', [key(id)]);
        await t.query('DELETE FROM cohorts WHERE id = $1', [key(id)]);
      });
    },
    async recordHistory(cohortId, e) {
      await db.query(HISTORY_INSERT, [
        key(cohortId), e.computedAt, e.size, e.entered, e.exited, e.durationMs,
      ]);
    },
    async history(cohortId, limit) {
      const rows = await db.query<HistoryRow>(
        `SELECT computed_at AS at, size, entered, exited, duration_ms AS d FROM cohort_history
          WHERE cohort_id = $1 ORDER BY computed_at DESC, seq DESC LIMIT $2`,
        [key(cohortId), limit],
      );
      return rows.map((r): HistoryEntry => ({ computedAt: r.at.toISOString(), size: r.size, entered: r.entered, exited: r.exited, durationMs: r.d }));
    },
    async names(ids) {
      if (!ids.length) return [];
      // The name is read from the record in the process: `->>` would refuse a name holding an escaped U+0000.
      const rows = await db.query<{ doc: string }>('SELECT doc::text AS doc FROM cohorts WHERE id = ANY($1::text[])', [encodeTexts(ids)]);
      return parse(rows).map((c) => ({ id: c.id, name: c.name }));
    },
    async idsOwnedBy(accountId) {
      const rows = await db.query<{ doc: string }>('SELECT doc::text AS doc FROM cohorts WHERE owner_id = $1', [accountId]);
      return parse(rows).map((c) => c.id);
    },
  };
}

/**
 * What `kohort migrate` may import into this adapter's tables (bulk-import.ts):
 * cohorts with their ids and records as they were (seq follows the import order),
 * and their history rows.
 */
export const PG_COHORT_IMPORTS = {
  cohorts: { table: 'cohorts', columns: { id: 'etext', owner_id: 'text', doc: 'json' } },
  cohort_history: {
    table: 'cohort_history',
    columns: { cohort_id: 'etext', computed_at: 'timestamptz', size: 'bigint', entered: 'bigint', exited: 'bigint', duration_ms: 'bigint' },
  },
} as const satisfies Record<string, PgImportTable>;
