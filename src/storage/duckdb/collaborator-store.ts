import type { CollaboratorRole } from '../../schemas/principal.js';
import type { CollaboratorRow, CollaboratorStore } from '../collaborator-store.js';
import type { SerialConnection } from './database.js';

interface Row {
  cohort_id: string;
  account_id: string;
  role: string;
}

const toRow = (r: Row): CollaboratorRow => ({ cohortId: r.cohort_id, accountId: r.account_id, role: r.role as CollaboratorRole });

const UPSERT = `INSERT INTO cohort_collaborators VALUES (?, ?, ?, CAST(? AS TIMESTAMP))
  ON CONFLICT (cohort_id, account_id) DO UPDATE SET role = excluded.role`;

/**
 * Collaborators on DuckDB. Reads and writes share one connection: the table is
 * tiny, and access checks must see a change the moment it is answered.
 */
export function createDuckDBCollaboratorStore(conn: SerialConnection): CollaboratorStore {
  const select = 'SELECT cohort_id, account_id, role FROM cohort_collaborators';
  return {
    async listForCohort(cohortId) {
      return (await conn.rows<Row>(`${select} WHERE cohort_id = ? ORDER BY created_at, account_id`, [cohortId])).map(toRow);
    },
    async listForAccount(accountId) {
      return (await conn.rows<Row>(`${select} WHERE account_id = ? ORDER BY cohort_id`, [accountId])).map(toRow);
    },
    async get(cohortId, accountId) {
      const [r] = await conn.rows<Row>(`${select} WHERE cohort_id = ? AND account_id = ?`, [cohortId, accountId]);
      return r ? toRow(r) : undefined;
    },
    async set(cohortId, accountId, role, at) {
      await conn.run(UPSERT, [cohortId, accountId, role, at.toISOString()]);
    },
    async setMany(cohortId, list, at) {
      if (!list.length) return;
      await conn.transaction(async (c) => {
        for (const x of list) await c.run(UPSERT, [cohortId, x.accountId, x.role, at.toISOString()]);
      });
    },
    async remove(cohortId, accountId) {
      const [r] = await conn.rows<{ n: bigint }>(
        'DELETE FROM cohort_collaborators WHERE cohort_id = ? AND account_id = ? RETURNING 1 AS n',
        [cohortId, accountId],
      );
      return r !== undefined;
    },
    async removeCohort(cohortId) {
      await conn.run('DELETE FROM cohort_collaborators WHERE cohort_id = ?', [cohortId]);
    },
    async removeAccount(accountId) {
      await conn.run('DELETE FROM cohort_collaborators WHERE account_id = ?', [accountId]);
    },
  };
}
