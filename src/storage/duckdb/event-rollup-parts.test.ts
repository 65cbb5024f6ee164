/**
 * Summaries built a part per slice of a bulk load (event-rollup-parts.ts) must be exactly the
 * full build's: same rows, same slots, same watermark. Where that is not certain (people in
 * two parts, a merge, a slot not hot throughout) the store must build them whole instead.
 */
import { describe, expect, it } from 'vitest';
import { emptyBatch, generateShopData } from '../../seed/seed-data.js';
import type { BulkBatch } from './bulk-loader.js';
import type { Database } from './database.js';
import type { DuckDBEventStore } from './duckdb-event-store.js';
import { buildRollup } from './event-rollup.js';
import { HotColumns } from './hot-columns.js';
import { rollupStores } from './test-support/rollup-store.js';

/** A store with hot columns and summaries from the first event on, appending sorted runs early. */
const open = rollupStores({ fullRewriteBelow: 1_500 });

const END = new Date('2026-01-01T00:00:00Z');
const shop = (users: number, events: number, seed: number) => [...generateShopData({ users, events, days: 60, seed, end: END, batchEvents: 1_000 })];

/** As the seed loads: each slice sorted in (with its part) while the next one loads, the upkeep once at the end. */
async function loadInSlices(store: DuckDBEventStore, slices: BulkBatch[][], between?: (i: number) => Promise<void>) {
  let sorting: Promise<unknown> | undefined;
  for (const [i, slice] of slices.entries()) {
    await store.bulkLoad(slice);
    await sorting;
    await between?.(i);
    sorting = store.reorganize({ upkeep: false });
  }
  await sorting;
  await store.reorganize();
}

/** The summaries the store holds against a full build of the same events (column order aside). */
async function expectSameAsFullBuild(db: Database, store: DuckDBEventStore) {
  const held = store.eventRollup()!;
  expect(held).toBeDefined();
  const hot = await db.background.use((c) => HotColumns.load(c));
  const whole = await buildRollup(db.background, hot, held.seq);
  try {
    const full = whole.forCompiler(hot);
    expect(held).toEqual(full);
    const cols = ['event', 'uid', 'n', 'max_ts', ...full.numbers.flatMap((m) => [m.sum, m.count, m.min, m.max])].join(', ');
    const rows = (t: string) => db.background.rows(`SELECT ${cols} FROM ${t} ORDER BY ALL`);
    const keys = (t: string) => db.background.rows(`SELECT event, slot, uid, key, max_ts FROM ${t} ORDER BY ALL`);
    const expected = await rows('event_rollup_next');
    expect(expected.length).toBeGreaterThan(100);
    expect(await rows('event_rollup')).toEqual(expected);
    const expectedKeys = await keys('event_rollup_keys_next');
    expect(expectedKeys.length).toBeGreaterThan(100);
    expect(await keys('event_rollup_keys')).toEqual(expectedKeys);
    const [types] = await db.background.rows<{ a: string; b: string }>(
      `SELECT (SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY column_name) FROM duckdb_columns() WHERE table_name = 'event_rollup') AS a,
              (SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY column_name) FROM duckdb_columns() WHERE table_name = 'event_rollup_next') AS b`,
    );
    expect(types.a).toBe(types.b);
  } finally {
    await db.background.run('DROP TABLE event_rollup_next');
    await db.background.run('DROP TABLE event_rollup_keys_next');
  }
}

const leftovers = async (db: Database) =>
  (await db.background.rows<{ name: string }>(`SELECT table_name AS name FROM duckdb_tables() WHERE table_name LIKE '%parts%'`)).map((r) => r.name);

/** Batches of `all` in `n` slices of whole batches. */
const sliced = (all: BulkBatch[], n: number) => {
  const size = Math.ceil(all.length / n);
  return Array.from({ length: n }, (_, i) => all.slice(i * size, (i + 1) * size));
};

describe('summaries built a part per slice of a bulk load', () => {
  it('equal a full build of the same events, watermark and slots included', async () => {
    const { db, store } = await open();
    await loadInSlices(store, sliced(shop(400, 9_000, 3), 5));
    expect(store.rollupBuiltFrom()).toBe('parts');
    const r = store.eventRollup()!;
    expect(r.numbers.map((m) => m.path.join('.'))).toEqual(expect.arrayContaining(['price', 'quantity']));
    expect(r.keys.map((k) => k.path.join('.'))).toEqual(expect.arrayContaining(['brand', 'category']));
    await expectSameAsFullBuild(db, store);
    expect(await leftovers(db)).toEqual([]);
  });

  it('are built whole when a slice has events of people an earlier slice had', async () => {
    const { db, store } = await open();
    const first = shop(200, 4_000, 4);
    const again = shop(200, 2_000, 5); // the same user ids: the same people
    await loadInSlices(store, [...sliced(first, 2), again]);
    expect(store.rollupBuiltFrom()).toBe('whole');
    await expectSameAsFullBuild(db, store);
    expect(await leftovers(db)).toEqual([]);
  });

  it('are built whole after a person merge during the load', async () => {
    const { db, store } = await open();
    await loadInSlices(store, sliced(shop(300, 6_000, 6), 3), async (i) => {
      if (i === 2) await store.write([{ kind: 'alias', previousId: 'user_0000002', userId: 'user_0000001', ts: END }]);
    });
    expect(store.rollupBuiltFrom()).toBe('whole');
    await expectSameAsFullBuild(db, store);
  });

  it('cover events written between the last slice and the build', async () => {
    const { db, store } = await open();
    const slices = sliced(shop(300, 6_000, 7), 3);
    for (const s of slices) {
      await store.bulkLoad(s);
      await store.reorganize({ upkeep: false });
    }
    const late = emptyBatch();
    late.events.externalId.push('late_user');
    late.events.event.push('view');
    late.events.ts.push(END.getTime());
    late.events.props.push('{"brand":"acme","category":"phones","price":10}');
    await store.bulkLoad([late]); // after the last part: the build adds it as one more part
    await store.reorganize();
    expect(store.rollupBuiltFrom()).toBe('parts');
    await expectSameAsFullBuild(db, store);
    const [n] = await db.reads.rows<{ n: bigint }>(`SELECT count(*) AS n FROM event_rollup r JOIN users u USING (uid) WHERE u.user_id = 'late_user'`);
    expect(n.n).toBe(1n);
  });

  it('are built whole when a slot became hot after the first part', async () => {
    const { db, store } = await open();
    const slice = (from: number, users: number, event: string, props: (i: number) => string) => {
      const b = emptyBatch();
      b.properties = [[event, Object.keys(JSON.parse(props(0)))[0], typeof JSON.parse(props(0))[Object.keys(JSON.parse(props(0)))[0]]]];
      for (let u = from; u < from + users; u++) {
        for (let i = 0; i < 8; i++) {
          b.events.externalId.push(`u${u}`);
          b.events.event.push(event);
          b.events.ts.push(END.getTime() - (u * 8 + i) * 60_000);
          b.events.props.push(props(i));
        }
      }
      return [b];
    };
    // Views first (brand keys); carts with a number later: a new hot slot the first parts never had.
    await loadInSlices(store, [
      slice(0, 150, 'view', (i) => `{"brand":"b${i % 3}"}`),
      slice(150, 150, 'view', (i) => `{"brand":"b${i % 4}"}`),
      slice(300, 150, 'cart', (i) => `{"quantity":${i}}`),
    ]);
    expect(store.eventRollup()!.numbers.map((m) => m.path)).toEqual([['quantity']]);
    expect(store.rollupBuiltFrom()).toBe('whole');
    await expectSameAsFullBuild(db, store);
  });
});
