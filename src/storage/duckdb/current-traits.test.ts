/**
 * The current-traits table, kept by group commits (identify, alias merges)
 * and bulk loads, must always equal the current rows recomputed from the
 * whole history (greatest (ts, seq) per uid and key, typed columns included).
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WriteItem } from '../event-store.js';
import { CURRENT_TRAITS_MIGRATIONS } from './current-traits.js';
import { buildSortedCopy, currentTraitsUnsorted, handOver, sortCurrentTraits } from './current-traits-sort.js';
import { openDatabase, type Database } from './database.js';
import { openDuckDBEventStore, type DuckDBEventStore } from './duckdb-event-store.js';

let db: Database;
let store: DuckDBEventStore;
beforeEach(async () => {
  db = await openDatabase(':memory:');
  store = await openDuckDBEventStore(db);
});
afterEach(async () => {
  await store.close();
  await db.close();
});

const ROW = 'uid, key, value::VARCHAR AS value, epoch_ms(ts) AS ts, seq, text, num';
/** The table as kept, and as the migration would build it from the history now. */
async function keptAndRecomputed(): Promise<[unknown[], unknown[]]> {
  const kept = await db.reads.rows(`SELECT ${ROW} FROM user_traits_current ORDER BY uid, key`);
  const build = CURRENT_TRAITS_MIGRATIONS[0].sql.replace('CREATE TABLE user_traits_current AS', '').replace(/;\s*$/, '');
  const fresh = await db.reads.rows(`SELECT ${ROW} FROM (${build}) ORDER BY uid, key`);
  return [kept, fresh];
}

const USERS = ['a', 'b', 'c', 'anon1', 'anon2'];
const valueArb = fc.oneof(fc.constantFrom('pro', 'free', '1.5', ' 2', 'true', ''), fc.integer({ min: -3, max: 3 }), fc.boolean(), fc.constant(null), fc.constant({ city: 'x' }));
const tsArb = fc.integer({ min: 0, max: 5 }).map((k) => new Date(Date.UTC(2024, 0, 1 + k)));
const itemArb: fc.Arbitrary<WriteItem> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ externalId: fc.constantFrom(...USERS), traits: fc.dictionary(fc.constantFrom('plan', 'score'), valueArb), ts: tsArb }).map((r) => ({ kind: 'identify' as const, ...r })) },
  // Ordered operations: a late one rewrites the person's later rows (trait-op-writer.ts).
  { weight: 1, arbitrary: fc.record({ externalId: fc.constantFrom(...USERS), add: fc.integer({ min: -2, max: 2 }), ts: tsArb }).map(({ add, ...r }) => ({ kind: 'identify' as const, traits: {}, ops: [{ op: '$add' as const, key: 'score', value: add }], ...r })) },
  { weight: 1, arbitrary: fc.record({ previousId: fc.constantFrom(...USERS), userId: fc.constantFrom(...USERS), ts: tsArb }).map((r) => ({ kind: 'alias' as const, ...r })) },
  { weight: 1, arbitrary: fc.record({ externalId: fc.constantFrom(...USERS), ts: tsArb }).map((r) => ({ kind: 'track' as const, event: 'e', props: {}, ...r })) },
);

describe('current-traits table', () => {
  it('equals the history recomputed after any sequence of commits with identifies and merges', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(itemArb, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 }), async (commits) => {
        for (const t of ['events_tail', 'users', 'identities', 'user_traits', 'user_traits_current']) await db.writer.run(`DELETE FROM ${t}`);
        await store.close();
        store = await openDuckDBEventStore(db); // a fresh identity map for the emptied tables
        // Commits sent together are grouped into one transaction, so groups see several requests.
        await Promise.all(commits.map((items) => store.write(items)));
        const [kept, fresh] = await keptAndRecomputed();
        expect(kept).toEqual(fresh);
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  it('is filled by a bulk load, later rows replacing earlier ones', async () => {
    const batch = (value: string, ts: number) => ({
      events: { externalId: [], event: [], ts: [], props: [] },
      traits: { externalId: ['a', 'a', 'b'], key: ['plan', 'plan', 'plan'], value: [value, '"old"', '3'], ts: [ts, ts - 1, ts] },
      properties: [],
    });
    await store.bulkLoad([batch('"pro"', Date.UTC(2024, 0, 2))]);
    await store.bulkLoad([batch('"free"', Date.UTC(2024, 0, 1))]); // earlier ts: a does not change
    const [kept, fresh] = await keptAndRecomputed();
    expect(kept).toEqual(fresh);
    const rows = await db.reads.rows<{ text: string; num: number | null }>(`SELECT text, num FROM user_traits_current ORDER BY uid`);
    expect(rows).toEqual([{ text: 'pro', num: null }, { text: '3', num: 3 }]);
  });

  it('is sorted again by key without losing commits or merges made while the sorted copy was built', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(itemArb, { minLength: 1, maxLength: 8 }), fc.array(fc.array(itemArb, { minLength: 1, maxLength: 6 }), { maxLength: 4 }), async (before, during) => {
        for (const t of ['events_tail', 'users', 'identities', 'user_traits', 'user_traits_current']) await db.writer.run(`DELETE FROM ${t}`);
        await store.close();
        store = await openDuckDBEventStore(db);
        await store.write(before);
        // The same steps as sortCurrentTraits, with commits (traits, merges) between the copy and the swap.
        const upTo = store.writer.lastSeq;
        const mergesSeen = store.writer.merges.length;
        await buildSortedCopy(db.background);
        await Promise.all(during.map((items) => store.write(items)));
        await handOver(store.writer, upTo, mergesSeen);
        const [kept, fresh] = await keptAndRecomputed();
        expect(kept).toEqual(fresh);
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  it('is found unsorted once group commits have mixed its keys, and is sorted by key afterwards', async () => {
    // Half a million people with two keys, written as one mixed run (as group commits leave them).
    await db.writer.run(`INSERT INTO user_traits_current
      SELECT i // 2 AS uid, CASE WHEN i % 2 = 0 THEN 'plan' ELSE 'country' END AS key, '"x"'::JSON AS value,
             TIMESTAMP '2024-01-01' AS ts, i AS seq, 'x' AS text, NULL::DOUBLE AS num FROM range(1000000) t(i)`);
    expect(await currentTraitsUnsorted(db.background)).toBe(true);
    await sortCurrentTraits(db.background, store.writer);
    expect(await currentTraitsUnsorted(db.background)).toBe(false);
    const [r] = await db.reads.rows<{ n: bigint }>(`SELECT count(*) AS n FROM user_traits_current`);
    expect(Number(r.n)).toBe(1_000_000);
    // One key per row group but the one at the change of key.
    const groups = await db.reads.rows<{ keys: bigint }>(`SELECT count(DISTINCT key) AS keys FROM user_traits_current GROUP BY rowid // 122880`);
    expect(groups.filter((g) => Number(g.keys) > 1).length).toBe(1);
  });
});
