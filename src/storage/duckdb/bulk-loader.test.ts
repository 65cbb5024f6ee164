import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BulkBatch } from './bulk-loader.js';
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

const T = Date.parse('2025-01-01T00:00:00Z');
function batch(users: string[], perUser: number): BulkBatch {
  const b: BulkBatch = {
    events: { externalId: [], event: [], ts: [], props: [] },
    traits: { externalId: [], key: [], value: [], ts: [] },
    properties: [['purchase', 'price', 'number'], ['purchase', 'brand', 'string']],
  };
  for (const u of users) {
    b.traits.externalId.push(u);
    b.traits.key.push('plan');
    b.traits.value.push('"pro"');
    b.traits.ts.push(T);
    for (let i = 0; i < perUser; i++) {
      b.events.externalId.push(u);
      b.events.event.push('purchase');
      b.events.ts.push(T + i * 1000);
      b.events.props.push(`{"price":${i},"brand":"b${i % 3}"}`);
    }
  }
  return b;
}
const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('bulk load', () => {
  it('continues the writer: unique seqs, one person per id, catalogue without repeats, more than one chunk', async () => {
    await store.write([{ kind: 'track', externalId: 'a0', event: 'purchase', ts: new Date(T), props: { price: 1 } }]);
    const r = await store.bulkLoad([batch(ids('a', 3), 1000), batch(ids('b', 2), 1500)]);
    expect(r).toMatchObject({ events: 6000, traits: 5, users: 4, firstSeq: 2, lastSeq: 6006 });
    await store.write([{ kind: 'track', externalId: 'b1', event: 'purchase', ts: new Date(T), props: { price: 2, brand: 'x' } }]);

    const [s] = await db.reads.rows<{ n: bigint; d: bigint; lo: bigint; hi: bigint }>(
      'SELECT count(*) n, count(DISTINCT seq) d, min(seq) lo, max(seq) hi FROM (SELECT seq FROM events_all UNION ALL SELECT seq FROM user_traits)',
    );
    expect(s).toEqual({ n: 6007n, d: 6007n, lo: 1n, hi: 6007n });
    const [p] = await db.reads.rows<{ users: bigint; ids: bigint }>('SELECT (SELECT count(*) FROM users) users, (SELECT count(*) FROM identities) ids');
    expect(p).toEqual({ users: 5n, ids: 5n });
    const catalogue = await db.reads.rows('SELECT event, property, type FROM event_properties ORDER BY property');
    expect(catalogue).toEqual([
      { event: 'purchase', property: 'brand', type: 'string' },
      { event: 'purchase', property: 'price', type: 'number' },
    ]);

    const user = await store.getUser('b1');
    expect(user?.eventCount).toBe(1501);
    expect(user?.properties).toEqual({ plan: 'pro' });
    expect(user?.firstSeen?.toISOString()).toBe('2025-01-01T00:00:00.000Z');

    const moved = await store.reorganize();
    expect(moved.moved).toBe(6002);
    const [tail] = await db.reads.rows<{ n: bigint }>('SELECT count(*) n FROM events_tail');
    expect(tail.n).toBe(0n);
  });

  it('stores nothing and leaves the writer as it was when a batch fails', async () => {
    function* failing(): Generator<BulkBatch> {
      yield batch(ids('c', 2), 3000);
      throw new Error('source broke');
    }
    await expect(store.bulkLoad(failing())).rejects.toThrow('source broke');
    const [n] = await db.reads.rows<{ e: bigint; u: bigint; t: bigint }>(
      'SELECT (SELECT count(*) FROM events_all) e, (SELECT count(*) FROM users) u, (SELECT count(*) FROM user_traits) t',
    );
    expect(n).toEqual({ e: 0n, u: 0n, t: 0n });
    expect(store.writer.ids.uidOf('c0')).toBeUndefined();
    await store.write([{ kind: 'track', externalId: 'c0', event: 'view', ts: new Date(T), props: {} }]);
    const [row] = await db.reads.rows<{ seq: bigint; uid: number }>('SELECT seq, uid FROM events_all');
    expect(row).toEqual({ seq: 1n, uid: 1 });
  });
});
