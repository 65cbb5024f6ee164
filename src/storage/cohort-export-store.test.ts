import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { CohortExportStore, ExportRow, TraitsOf } from './cohort-export-store.js';
import { COHORT_EXPORT_MIGRATIONS } from './duckdb/cohort-export-migrations.js';
import { createDuckDBCohortExportStore } from './duckdb/cohort-export-store.js';
import { openDatabase, type Database } from './duckdb/database.js';
import { PG_COHORT_EXPORT_MIGRATIONS } from './postgres/cohort-migrations.js';
import { createPgCohortExportStore } from './postgres/cohort-export-store.js';
import { freshPgDatabase, noPostgres } from './postgres/test-support/pg-test-db.js';

const duckdbs: Database[] = [];
afterAll(async () => {
  for (const d of duckdbs) await d.close();
});

const impls: [string, () => Promise<CohortExportStore>, boolean][] = [
  [
    'DuckDB',
    async () => {
      const db = await openDatabase(':memory:', [COHORT_EXPORT_MIGRATIONS], { readConnections: 1 });
      duckdbs.push(db);
      return createDuckDBCohortExportStore(db, await db.connect());
    },
    false,
  ],
  ['PostgreSQL', async () => createPgCohortExportStore(await freshPgDatabase([PG_COHORT_EXPORT_MIGRATIONS])), noPostgres()],
];

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
async function* pages(...ps: string[][]): AsyncIterable<string[]> {
  for (const p of ps) yield p;
}
async function all(it: AsyncIterable<ExportRow[]>): Promise<ExportRow[]> {
  const out: ExportRow[] = [];
  for await (const p of it) out.push(...p);
  return out;
}
/** Traits of a fixed table; records the pages it was asked for. */
function traitsFrom(table: Record<string, Record<string, unknown>>, asked: string[][] = []): TraitsOf {
  return async (ids) => {
    asked.push(ids);
    return new Map(ids.filter((id) => table[id]).map((id) => [id, table[id]]));
  };
}

for (const [label, make, skip] of impls) {
  describe.skipIf(skip)(`CohortExportStore contract: ${label}`, () => {
    let store: CohortExportStore;
    beforeEach(async () => {
      store = await make();
    });

    it('records the request with its snapshot; completes with traits, ordered by user id', async () => {
      const odd = 'odd \\ id \u0000 end';
      await store.create({ id: 'e1', cohortId: 'c1', props: true, requestedBy: 'acc1', requestedAt: at(1) }, pages(['u3', 'u1'], [], [odd, 'u2']));
      expect(await store.get('e1')).toEqual({
        id: 'e1', cohortId: 'c1', props: true, requestedBy: 'acc1', status: 'pending', error: null, requestedAt: at(1), finishedAt: null,
      });
      expect((await store.pending()).map((e) => e.id)).toEqual(['e1']);
      const asked: string[][] = [];
      await store.complete('e1', at(5), traitsFrom({ u1: { plan: 'pro', n: 1 }, u3: { email: 'x@y.z', nested: { a: [1, 2] } }, [odd]: { plan: 'free' }, u2: {} }, asked));
      expect(asked.flat().sort()).toEqual(['u1', 'u2', 'u3', odd].sort());
      const e = await store.get('e1');
      expect([e?.status, e?.finishedAt]).toEqual(['completed', at(5)]);
      expect(await store.pending()).toEqual([]);
      expect(await store.traitKeys('e1')).toEqual(['email', 'n', 'nested', 'plan']);
      expect(await all(store.rows('e1'))).toEqual([
        { userId: odd, traits: { plan: 'free' } },
        { userId: 'u1', traits: { plan: 'pro', n: 1 } },
        { userId: 'u2', traits: {} },
        { userId: 'u3', traits: { email: 'x@y.z', nested: { a: [1, 2] } } },
      ]);
    });

    it('an export without props asks for no traits', async () => {
      await store.create({ id: 'e2', cohortId: 'c1', props: false, requestedBy: null, requestedAt: at(1) }, pages(['b', 'a']));
      const asked: string[][] = [];
      await store.complete('e2', at(2), traitsFrom({ a: { x: 1 } }, asked));
      expect(asked).toEqual([]);
      expect(await store.traitKeys('e2')).toEqual([]);
      expect(await all(store.rows('e2'))).toEqual([{ userId: 'a', traits: {} }, { userId: 'b', traits: {} }]);
    });

    it('pages large snapshots in order', async () => {
      const ids = Array.from({ length: 12_345 }, (_, i) => `user-${String(i).padStart(6, '0')}`);
      const chunks: string[][] = [];
      for (let i = ids.length; i > 0; i -= 4000) chunks.push(ids.slice(Math.max(0, i - 4000), i));
      await store.create({ id: 'big', cohortId: 'c1', props: true, requestedBy: null, requestedAt: at(1) }, pages(...chunks));
      await store.complete('big', at(2), async (list) => new Map(list.map((id) => [id, { id }])));
      const rows = await all(store.rows('big'));
      expect(rows.map((r) => r.userId)).toEqual(ids);
      expect(rows.every((r) => r.traits.id === r.userId)).toBe(true);
    });

    it('a failed export keeps its error and drops its snapshot; a failed create records nothing', async () => {
      await store.create({ id: 'e3', cohortId: 'c1', props: false, requestedBy: null, requestedAt: at(1) }, pages(['a']));
      await store.fail('e3', 'The cohort was deleted', at(3));
      expect(await store.get('e3')).toMatchObject({ status: 'failed', error: 'The cohort was deleted', finishedAt: at(3) });
      expect(await all(store.rows('e3'))).toEqual([]);
      async function* broken(): AsyncIterable<string[]> {
        yield ['a'];
        throw new Error('membership store unavailable');
      }
      await expect(store.create({ id: 'e4', cohortId: 'c1', props: false, requestedBy: null, requestedAt: at(1) }, broken())).rejects.toThrow(/unavailable/);
      expect(await store.get('e4')).toBeUndefined();
      expect(await all(store.rows('e4'))).toEqual([]);
    });

    it('prunes exports requested before a time, with their snapshots', async () => {
      await store.create({ id: 'old', cohortId: 'c1', props: false, requestedBy: null, requestedAt: at(1) }, pages(['a']));
      await store.create({ id: 'new', cohortId: 'c1', props: false, requestedBy: null, requestedAt: at(9) }, pages(['b']));
      expect(await store.prune(at(5))).toBe(1);
      expect(await store.get('old')).toBeUndefined();
      expect(await all(store.rows('old'))).toEqual([]);
      expect((await all(store.rows('new'))).map((r) => r.userId)).toEqual(['b']);
      expect(await store.get('unknown\u0000')).toBeUndefined();
    });
  });
}
