import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Cohort } from '../schemas/cohort.js';
import type { CohortStore } from './cohort-store.js';
import { COHORT_MIGRATIONS } from './duckdb/cohort-migrations.js';
import { openDatabase, type Database } from './duckdb/database.js';
import { createDuckDBCohortStore } from './duckdb/duckdb-cohort-store.js';
import { PG_COHORT_MIGRATIONS } from './postgres/cohort-migrations.js';
import { createPgCohortStore } from './postgres/cohort-store.js';
import { freshPgDatabase, noPostgres } from './postgres/test-support/pg-test-db.js';

const duckdbs: Database[] = [];
afterAll(async () => {
  for (const d of duckdbs) await d.close();
});

const impls: [string, () => Promise<CohortStore>, boolean][] = [
  [
    'DuckDB',
    async () => {
      const db = await openDatabase(':memory:', [COHORT_MIGRATIONS], { readConnections: 1 });
      duckdbs.push(db);
      return createDuckDBCohortStore(db, await db.connect());
    },
    false,
  ],
  ['PostgreSQL', async () => createPgCohortStore(await freshPgDatabase([PG_COHORT_MIGRATIONS])), noPostgres()],
];

const cohort = (id: string, over: Partial<Cohort> = {}): Cohort => ({
  id,
  name: `Cohort ${id}`,
  description: '',
  kind: 'dynamic',
  definition: { match: 'all', rules: [{ type: 'event', event: 'purchase' }] },
  status: 'active',
  tags: ['a'],
  size: 0,
  computedAt: null,
  refresh: 'daily',
  calculation: { state: 'idle', lastError: null, lastDurationMs: null },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ownerId: null,
  ...over,
});

const entry = (s: number, size: number) => ({ computedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString(), size, entered: size, exited: s, durationMs: 10 + s });

for (const [label, make, skip] of impls) {
  describe.skipIf(skip)(`CohortStore contract: ${label}`, () => {
    let store: CohortStore;
    beforeEach(async () => {
      store = await make();
    });

    it('keeps the whole record, updates it in place and deletes it with its history', async () => {
      const a = cohort('a', { description: 'with "quotes", \\ and \u0000', ownerId: 'acc1', tags: ['x', 'y'] });
      await store.insert(a);
      await store.insert(cohort('b', { kind: 'static', definition: null, refresh: 'manual' }));
      expect(await store.get('a')).toEqual(a);
      expect((await store.all()).map((c) => c.id).sort()).toEqual(['a', 'b']);
      const changed = { ...a, name: 'Renamed', size: 42, calculation: { state: 'failed' as const, lastError: 'boom', lastDurationMs: 5 }, ownerId: 'acc2' };
      await store.update(changed);
      expect(await store.get('a')).toEqual(changed);
      expect(await store.idsOwnedBy('acc1')).toEqual([]);
      expect(await store.idsOwnedBy('acc2')).toEqual(['a']);
      await store.recordHistory('a', entry(1, 3));
      await store.recordHistory('b', entry(2, 1));
      await store.delete('a');
      expect(await store.get('a')).toBeUndefined();
      expect(await store.history('a', 10)).toEqual([]);
      expect(await store.history('b', 10)).toEqual([entry(2, 1)]);
      expect(await store.get('missing')).toBeUndefined();
      expect(await store.get('a\u0000')).toBeUndefined();
    });

    it('lists history newest first, up to the limit', async () => {
      await store.insert(cohort('h'));
      for (const s of [3, 1, 2]) await store.recordHistory('h', entry(s, s * 10));
      expect(await store.history('h', 10)).toEqual([entry(3, 30), entry(2, 20), entry(1, 10)]);
      expect(await store.history('h', 2)).toEqual([entry(3, 30), entry(2, 20)]);
    });

    it('updates several records, and ends several computations, each in one call', async () => {
      for (const id of ['m1', 'm2', 'm3']) await store.insert(cohort(id));
      await store.updateMany([]);
      const running = (id: string) => cohort(id, { calculation: { state: 'running', lastError: null, lastDurationMs: null } });
      await store.updateMany([running('m1'), running('m2')]);
      expect((await store.get('m1'))!.calculation.state).toBe('running');
      expect((await store.get('m2'))!.calculation.state).toBe('running');
      expect(await store.get('m3')).toEqual(cohort('m3'));
      await store.recordComputations([]);
      const done = cohort('m1', { size: 7, computedAt: '2026-01-02T00:00:00.000Z', ownerId: 'acc9' });
      const failed = cohort('m2', { calculation: { state: 'failed', lastError: 'boom \u0000', lastDurationMs: 3 } });
      await store.recordComputations([{ cohort: done, entry: entry(4, 7) }, { cohort: failed }]);
      expect(await store.get('m1')).toEqual(done);
      expect(await store.get('m2')).toEqual(failed);
      expect(await store.idsOwnedBy('acc9')).toEqual(['m1']);
      expect(await store.history('m1', 10)).toEqual([entry(4, 7)]);
      expect(await store.history('m2', 10)).toEqual([]);
    });

    it('names the cohorts asked for and skips unknown ids', async () => {
      await store.insert(cohort('n1', { name: 'Buyers \u0000 "VIP"' }));
      await store.insert(cohort('n2', { name: 'Churned' }));
      expect(await store.names([])).toEqual([]);
      const names = await store.names(['n2', 'n1', 'nope']);
      expect(names.sort((x, y) => x.id.localeCompare(y.id))).toEqual([
        { id: 'n1', name: 'Buyers \u0000 "VIP"' },
        { id: 'n2', name: 'Churned' },
      ]);
    });
  });
}
