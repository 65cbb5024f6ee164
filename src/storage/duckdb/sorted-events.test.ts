import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileDefinition } from '../../cohort/cohort-compiler.js';
import type { Definition } from '../../schemas/definition.js';
import { openDatabase, type Database } from './database.js';
import { openDuckDBEventStore, type DuckDBEventStore } from './duckdb-event-store.js';
import { rowsOverEvents, SORTED_SCHEMA } from './sorted-events.js';

let db: Database;
let store: DuckDBEventStore;

// One read connection: every read below runs on the connection the previous one used.
beforeEach(async () => {
  db = await openDatabase(':memory:', [], { readConnections: 1 });
  store = await openDuckDBEventStore(db, { fullRewriteBelow: 1_000_000, hotPolicy: { maxSlots: 2, minShare: 0, minRows: 1 } });
});
afterEach(async () => {
  await store.close();
  await db.close();
});

const purchase = (user: string, day: number, brand: string, price: number) =>
  ({ kind: 'track', externalId: user, event: 'purchase', ts: new Date(Date.UTC(2024, 0, day)), props: { brand, price } }) as const;

const PATH_AND_COUNT = "SELECT current_setting('search_path') AS path, count(*) AS n FROM events_all";
const pathAndCount = async (between?: () => Promise<void>) => {
  const [r] = await rowsOverEvents<{ path: string; n: bigint }>(db.reads, PATH_AND_COUNT, [], undefined, between);
  return { path: r.path, n: Number(r.n) };
};
const plainPath = async () => (await db.reads.rows<{ p: string }>("SELECT current_setting('search_path') AS p"))[0].p;

describe('reads over the sorted events alone when the tail is empty', () => {
  it('reads events only with an empty tail, through the union otherwise, and resets the path after each read', async () => {
    await store.write([purchase('u1', 1, 'x', 5), purchase('u2', 2, 'y', 2000)]);
    expect(await pathAndCount()).toMatchObject({ n: 2 });
    expect((await pathAndCount()).path).not.toContain(SORTED_SCHEMA); // rows in the tail
    await store.reorganize();
    expect(store.materializedProperties().map((m) => m.path)).toHaveLength(2); // the sorted view has the hot columns too
    expect(await pathAndCount()).toEqual({ path: `${SORTED_SCHEMA},main`, n: 2 });
    expect(await plainPath()).not.toContain(SORTED_SCHEMA);
  });

  it('sees one snapshot: rows committed between the tail check and the query are not half seen', async () => {
    await store.write([purchase('u1', 1, 'x', 5)]);
    await store.reorganize();
    // The query also counts the tail itself: with the check and the query at different
    // snapshots it would find the new row there while events_all (sorted only) skipped it.
    const [r] = await rowsOverEvents<{ path: string; n: bigint; tail: bigint }>(
      db.reads,
      "SELECT current_setting('search_path') AS path, (SELECT count(*) FROM events_all) AS n, (SELECT count(*) FROM main.events_tail) AS tail",
      [],
      undefined,
      async () => void (await store.write([purchase('u2', 2, 'y', 2000)])), // commits to the tail after the check
    );
    expect({ ...r, n: Number(r.n), tail: Number(r.tail) }).toEqual({ path: `${SORTED_SCHEMA},main`, n: 1, tail: 0 });
    expect(await pathAndCount()).toMatchObject({ n: 2 });
  });

  it('gives a compiled definition the same people both ways', async () => {
    const def = {
      match: 'all',
      rules: [{ type: 'event', event: 'purchase', where: [{ property: 'brand', op: 'eq', value: 'x' }, { property: 'price', op: 'gt', value: 1000 }], count: { op: 'gt', value: 1 } }],
    } as Definition;
    await store.write([purchase('u1', 1, 'x', 2000), purchase('u1', 2, 'x', 3000), purchase('u2', 3, 'x', 5000), purchase('u3', 4, 'y', 9000), purchase('u3', 5, 'y', 9000)]);
    await store.reorganize();
    const q = compileDefinition(def, { asOf: new Date(Date.UTC(2025, 0, 1)), resolveCohort: () => undefined, materialized: store.materializedProperties() });
    const people = async () => (await rowsOverEvents<{ uid: number }>(db.reads, `SELECT uid FROM (${q.sql}) ORDER BY uid`, q.params)).map((r) => r.uid);
    const sortedOnly = await people();
    await store.write([purchase('u2', 6, 'x', 4000)]); // u2 now qualifies, from the tail
    expect((await pathAndCount()).path).not.toContain(SORTED_SCHEMA);
    const withTail = await people();
    expect(sortedOnly).toHaveLength(1);
    expect(withTail).toHaveLength(2);
    expect(withTail).toContain(sortedOnly[0]);
  });

  it('resets the path when the query fails, and reads through the union where the view is missing', async () => {
    await store.write([purchase('u1', 1, 'x', 5)]);
    await store.reorganize();
    await expect(rowsOverEvents(db.reads, 'SELECT no_such_column FROM events_all')).rejects.toThrow(/no_such_column/);
    expect(await plainPath()).not.toContain(SORTED_SCHEMA);
    await db.writer.run(`DROP SCHEMA ${SORTED_SCHEMA} CASCADE`); // a file from before this view, opened read-only
    expect(await pathAndCount()).toMatchObject({ n: 1 });
  });
});
