import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Sql, sql } from '../../cohort/dialect.js';
import { duckdbDialect } from '../../cohort/dialects/duckdb.js';
import type { MaterializedProperty } from '../../cohort/dialect.js';
import { openDatabase, type Database } from './database.js';
import { openDuckDBEventStore, type DuckDBEventStore } from './duckdb-event-store.js';
import { DEFAULT_HOT_POLICY, HotColumns } from './hot-columns.js';

const at = (s: string) => new Date(s);
const track = (externalId: string, event: string, ts: string, props: Record<string, unknown> = {}) =>
  ({ kind: 'track', externalId, event, ts: at(ts), props }) as const;

/** Rows of events_all whose hot columns differ from the dialect's JSON expressions, and rows where the text is set. */
async function compare(db: Database, m: MaterializedProperty): Promise<{ differ: number; set: number }> {
  const props = new Sql('props');
  const path = [...m.path];
  const q = sql`SELECT count(*) FILTER (WHERE NOT (${new Sql(m.text)} IS NOT DISTINCT FROM ${duckdbDialect.jsonText(props, path)})
                   OR NOT (${new Sql(m.number)} IS NOT DISTINCT FROM ${duckdbDialect.jsonNumber(props, path)})) AS differ,
                count(${new Sql(m.text)}) AS "set" FROM events_all`;
  const [r] = await db.reads.rows<{ differ: bigint; set: bigint }>(q.text, [...q.params]);
  return { differ: Number(r.differ), set: Number(r.set) };
}

async function expectExact(db: Database, store: DuckDBEventStore): Promise<void> {
  for (const m of store.materializedProperties()) {
    const r = await compare(db, m);
    expect({ path: m.path, differ: r.differ }).toEqual({ path: m.path, differ: 0 });
    expect(r.set).toBeGreaterThan(0);
  }
}

/** JSON texts (not JS values) so big and odd numbers reach DuckDB as written. */
const TRICKY = [
  '1', '-0', '0.1', '1.5', '1e300', '1E5', '2e-7', '5e-324', '1.7976931348623157e308', '12345678901234567890', '-123456789012345678901234567890',
  '"1"', '" 1"', '"1_0"', '"0x10"', '"1e999"', '"-0"', '"+.5"', '"5."', '"NaN"', '"inf"', '"abc"', '""', '"true"', '"a\\"b"', '"É"',
  'true', 'false', 'null', '{"k":1}', '[1,2]', '{}', '[]',
];

/** The default policy without its minimum size, for stores of a few rows. */
const SMALL = { ...DEFAULT_HOT_POLICY, minRows: 0 };

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function open(path = ':memory:', opts: Parameters<typeof openDuckDBEventStore>[1] = {}) {
  const db = await openDatabase(path);
  const store = await openDuckDBEventStore(db, opts);
  const close = async () => {
    await store.close();
    await db.close();
  };
  return { db, store, close };
}

describe('hot property columns', () => {
  it('hold exactly what the JSON expressions compute, for every JSON type and odd key', async () => {
    const { db, close } = await open();
    cleanup.push(close);
    const paths = [['p'], ['n', 'k'], ['we"ird\'key'], ['a/b~c'], ['missing']];
    const hot = new HotColumns(paths.map((path, i) => ({ slot: i + 1, path })));
    // Tail rows: the view computes the columns.
    await db.writer.run(`CREATE OR REPLACE VIEW events_all AS ${hot.withValues('events_tail')}`);
    let seq = 0;
    for (const v of TRICKY) {
      const props = `{"p":${v},"n":{"k":${v}},"we\\"ird'key":${v},"a/b~c":${v}}`;
      await db.writer.run(`INSERT INTO events_tail VALUES (?, 1, 'e', now()::TIMESTAMP, ?, now()::TIMESTAMP, NULL)`, [++seq, props]);
    }
    await db.writer.run(`INSERT INTO events_tail VALUES (?, 1, 'e', now()::TIMESTAMP, '{"n":5}', now()::TIMESTAMP, NULL)`, [++seq]);
    for (const m of hot.materialized()) {
      const r = await compare(db, m);
      expect({ path: m.path, differ: r.differ }).toEqual({ path: m.path, differ: 0 });
      // null and the row without the keys leave the text unset.
      expect(r.set).toBe(m.path[0] === 'missing' ? 0 : TRICKY.length - 1);
    }
  });

  it('are picked by frequency and computed for sorted, appended, fresh and merged rows', async () => {
    const { db, store, close } = await open(':memory:', { fullRewriteBelow: 4, hotPolicy: { maxSlots: 2, minShare: 0.1 } });
    cleanup.push(close);
    await store.write([
      track('a', 'purchase', '2024-01-05T00:00:00Z', { brand: 'x', price: 1200, rare: 1 }),
      track('b', 'purchase', '2024-01-01T00:00:00Z', { brand: 'y', price: '99.5' }),
      track('c', 'view', '2024-01-02T00:00:00Z', { brand: 'x', price: 'n/a' }),
      track('anon', 'view', '2024-01-03T00:00:00Z', { brand: 7, price: null }),
    ]);
    expect(store.materializedProperties()).toEqual([]);
    await store.reorganize(); // small table: rewritten with the columns
    expect(store.materializedProperties().map((m) => m.path)).toEqual([['brand'], ['price']]);
    await expectExact(db, store);

    // Fresh rows (view-computed), then a sorted run appended while an alias merges two people.
    await store.write([track('d', 'purchase', '2024-01-04T00:00:00Z', { brand: 'z', price: 1e3 }), track('a', 'view', '2024-01-06T00:00:00Z', { price: '2e3' })]);
    await expectExact(db, store);
    const merging = store.write([{ kind: 'alias', previousId: 'anon', userId: 'a', ts: at('2024-01-07T00:00:00Z') }]);
    const [{ moved }] = await Promise.all([store.reorganize(), merging]);
    expect(moved).toBe(2);
    await expectExact(db, store);
    const rows = await db.reads.rows<{ user_id: string; hot1_text: string | null; hot2_num: number | null }>(
      'SELECT u.user_id, e.hot1_text, e.hot2_num FROM events e JOIN users u USING (uid) ORDER BY e.rowid',
    );
    expect(rows.map((r) => [r.user_id, r.hot1_text, r.hot2_num])).toEqual([
      ['b', 'y', 99.5], ['a', 'x', 1200], ['c', 'x', null], ['a', '7', null], // rewritten run (anon merged into a)
      ['d', 'z', 1000], ['a', null, 2000], // appended run
    ]);
  });

  it('go to paths seen with numbers first', async () => {
    const { store, close } = await open(':memory:', { fullRewriteBelow: 100, hotPolicy: { maxSlots: 1, minShare: 0.1, minRows: 0 } });
    cleanup.push(close);
    await store.write([
      track('a', 'view', '2024-01-01T00:00:00Z', { brand: 'x' }),
      track('b', 'view', '2024-01-02T00:00:00Z', { brand: 'y' }),
      track('c', 'purchase', '2024-01-03T00:00:00Z', { brand: 'z', revenue: 5 }),
    ]);
    await store.reorganize();
    expect(store.materializedProperties().map((m) => m.path)).toEqual([['revenue']]);
  });

  it('wait until the store holds minRows events', async () => {
    const { db, store, close } = await open(':memory:', { fullRewriteBelow: 100, hotPolicy: { maxSlots: 1, minShare: 0.1, minRows: 4 } });
    cleanup.push(close);
    const three = ['a', 'b', 'c'].map((u, i) => track(u, 'purchase', `2024-01-0${i + 1}T00:00:00Z`, { brand: u }));
    await store.write(three);
    await store.reorganize();
    expect(store.materializedProperties()).toEqual([]);
    await store.write([track('d', 'purchase', '2024-01-04T00:00:00Z', { brand: 'd' })]);
    await store.reorganize();
    expect(store.materializedProperties().map((m) => m.path)).toEqual([['brand']]);
    await expectExact(db, store);
  });

  it('are added to an existing file by a rebuild that keeps its order, and reopen as they were', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kohort-hot-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'k.duckdb');
    // A store that keeps no hot columns stands for a file from before them.
    let s = await open(file, { fullRewriteBelow: 2, hotPolicy: { maxSlots: 0, minShare: 0 } });
    await s.store.write([track('a', 'cart', '2024-01-02T00:00:00Z', { sku: 's1' }), track('b', 'cart', '2024-01-01T00:00:00Z', { sku: 's2' })]);
    await s.store.reorganize();
    await s.store.write([track('c', 'buy', '2024-01-03T00:00:00Z', { sku: 's3' })]);
    await s.store.reorganize(); // appended run: the table is "large" now
    const before = await s.db.reads.rows<{ seq: bigint }>('SELECT seq FROM events ORDER BY rowid');
    await s.close();

    s = await open(file, { fullRewriteBelow: 2, hotPolicy: SMALL });
    expect(s.store.materializedProperties()).toEqual([]);
    await s.store.write([track('d', 'cart', '2024-01-04T00:00:00Z', { sku: 's4' })]);
    const { moved } = await s.store.reorganize(); // rebuilds events with the column, then appends the tail's run
    expect(moved).toBe(1);
    expect(s.store.materializedProperties().map((m) => m.path)).toEqual([['sku']]);
    await expectExact(s.db, s.store);
    const after = await s.db.reads.rows<{ seq: bigint; t: string }>('SELECT seq, hot1_text AS t FROM events ORDER BY rowid');
    expect(after.map((r) => Number(r.seq))).toEqual([...before.map((r) => Number(r.seq)), 4]);
    expect(after.map((r) => r.t)).toEqual(['s2', 's1', 's3', 's4']);
    await s.close();

    s = await open(file, { fullRewriteBelow: 2, hotPolicy: SMALL });
    cleanup.push(s.close);
    expect(s.store.materializedProperties().map((m) => m.path)).toEqual([['sku']]);
    await expectExact(s.db, s.store);
  });
});
