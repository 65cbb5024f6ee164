import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { CollaboratorStore } from './collaborator-store.js';
import { COLLABORATOR_MIGRATIONS } from './duckdb/collaborator-migrations.js';
import { createDuckDBCollaboratorStore } from './duckdb/collaborator-store.js';
import { openDatabase, type Database } from './duckdb/database.js';
import { PG_COLLABORATOR_MIGRATIONS } from './postgres/collaborator-migrations.js';
import { createPgCollaboratorStore } from './postgres/collaborator-store.js';
import { freshPgDatabase, noPostgres } from './postgres/test-support/pg-test-db.js';

const duckdbs: Database[] = [];
afterAll(async () => {
  for (const d of duckdbs) await d.close();
});

const impls: [string, () => Promise<CollaboratorStore>, boolean][] = [
  [
    'DuckDB',
    async () => {
      const db = await openDatabase(':memory:', [COLLABORATOR_MIGRATIONS], { readConnections: 1 });
      duckdbs.push(db);
      return createDuckDBCollaboratorStore(await db.connect());
    },
    false,
  ],
  ['PostgreSQL', async () => createPgCollaboratorStore(await freshPgDatabase([PG_COLLABORATOR_MIGRATIONS])), noPostgres()],
];

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

for (const [label, make, skip] of impls) {
  describe.skipIf(skip)(`CollaboratorStore contract: ${label}`, () => {
    let store: CollaboratorStore;
    beforeEach(async () => {
      store = await make();
    });

    it('invites, changes roles in place, lists in invitation order and removes', async () => {
      await store.setMany('c1', [{ accountId: 'b', role: 'viewer' }, { accountId: 'a', role: 'editor' }], at(1));
      await store.set('c1', 'z', 'viewer', at(0));
      await store.set('c2', 'a', 'viewer', at(2));
      await store.setMany('c3', [], at(3));
      // A role change keeps the original invitation time (and place in the list).
      await store.set('c1', 'b', 'editor', at(9));
      expect(await store.listForCohort('c1')).toEqual([
        { cohortId: 'c1', accountId: 'z', role: 'viewer' },
        { cohortId: 'c1', accountId: 'a', role: 'editor' },
        { cohortId: 'c1', accountId: 'b', role: 'editor' },
      ]);
      expect((await store.listForAccount('a')).map((r) => [r.cohortId, r.role])).toEqual([['c1', 'editor'], ['c2', 'viewer']]);
      expect(await store.get('c2', 'a')).toEqual({ cohortId: 'c2', accountId: 'a', role: 'viewer' });
      expect(await store.get('c2', 'b')).toBeUndefined();
      expect(await store.remove('c1', 'z')).toBe(true);
      expect(await store.remove('c1', 'z')).toBe(false);
      await store.removeAccount('a');
      expect((await store.listForCohort('c1')).map((r) => r.accountId)).toEqual(['b']);
      expect(await store.listForAccount('a')).toEqual([]);
      await store.removeCohort('c1');
      expect(await store.listForCohort('c1')).toEqual([]);
    });
  });
}
