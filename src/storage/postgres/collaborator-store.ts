import type { CollaboratorRole } from '../../schemas/principal.js';
import type { CollaboratorRow, CollaboratorStore } from '../collaborator-store.js';
import type { PgDatabase } from './database.js';
import type { PgImportTable } from './bulk-import.js';

interface Row {
  cohort_id: string;
  account_id: string;
  role: string;
}

const toRow = (r: Row): CollaboratorRow => ({ cohortId: r.cohort_id, accountId: r.account_id, role: r.role as CollaboratorRole });

const SELECT = 'SELECT cohort_id, account_id, role FROM cohort_collaborators';

/** Collaborators on PostgreSQL. Order by ids uses COLLATE "C" (the embedded store's byte order). */
export function createPgCollaboratorStore(db: PgDatabase): CollaboratorStore {
  // One statement for one or many: `unnest` pairs the two arrays row by row.
  const upsert = (cohortId: string, list: { accountId: string; role: CollaboratorRole }[], at: Date) =>
    db.query(
      `INSERT INTO cohort_collaborators SELECT $1, a, r, $4 FROM unnest($2::text[], $3::text[]) AS x(a, r)
       ON CONFLICT (cohort_id, account_id) DO UPDATE SET role = excluded.role`,
      [cohortId, list.map((x) => x.accountId), list.map((x) => x.role), at],
    );
  return {
    async listForCohort(cohortId) {
      return (await db.query<Row>(`${SELECT} WHERE cohort_id = $1 ORDER BY created_at, account_id COLLATE "C"`, [cohortId])).map(toRow);
    },
    async listForAccount(accountId) {
      return (await db.query<Row>(`${SELECT} WHERE account_id = $1 ORDER BY cohort_id COLLATE "C"`, [accountId])).map(toRow);
    },
    async get(cohortId, accountId) {
      const [r] = await db.query<Row>(`${SELECT} WHERE cohort_id = $1 AND account_id = $2`, [cohortId, accountId]);
      return r ? toRow(r) : undefined;
    },
    async set(cohortId, accountId, role, at) {
      await upsert(cohortId, [{ accountId, role }], at);
    },
    async setMany(cohortId, list, at) {
      if (list.length) await upsert(cohortId, list, at);
    },
    async remove(cohortId, accountId) {
      return (await db.query('DELETE FROM cohort_collaborators WHERE cohort_id = $1 AND account_id = $2 RETURNING 1', [cohortId, accountId])).length > 0;
    },
    async removeCohort(cohortId) {
      await db.query('DELETE FROM cohort_collaborators WHERE cohort_id = $1', [cohortId]);
    },
    async removeAccount(accountId) {
      await db.query('DELETE FROM cohort_collaborators WHERE account_id = $1', [accountId]);
    },
  };
}

/** What `kohort migrate` may import into this adapter's table (bulk-import.ts). */
export const PG_COLLABORATOR_IMPORTS = {
  cohort_collaborators: {
    table: 'cohort_collaborators',
    columns: { cohort_id: 'text', account_id: 'text', role: 'text', created_at: 'timestamptz' },
  },
} as const satisfies Record<string, PgImportTable>;
