import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from './database.js';
import { openDuckDBEventStore, type DuckDBEventStore } from './duckdb-event-store.js';

const at = (s: string) => new Date(s);
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

const track = (externalId: string, event: string, ts: string, props: Record<string, unknown> = {}, messageId?: string) =>
  ({ kind: 'track', externalId, event, ts: at(ts), props, messageId }) as const;

describe('DuckDB event store', () => {
  it('stores events and reads them back newest first', async () => {
    const r = await store.write([track('u1', 'view', '2024-01-01T00:00:00Z', { brand: 'x' }), track('u2', 'purchase', '2024-01-02T00:00:00Z', { price: 5 })]);
    expect(r).toEqual({ stored: 2, duplicates: 0 });
    const live = await store.liveEvents({ limit: 10 });
    expect(live.map((e) => [e.userId, e.event])).toEqual([['u2', 'purchase'], ['u1', 'view']]);
    expect(live[1].properties).toEqual({ brand: 'x' });
    expect(await store.liveEvents({ limit: 10, userId: 'u1' })).toHaveLength(1);
    expect(await store.liveEvents({ limit: 10, event: 'purchase' })).toHaveLength(1);
    expect(await store.liveEvents({ limit: 10, userId: 'nobody' })).toEqual([]);
  });

  it('skips a repeated messageId of the same user, but not of another user', async () => {
    await store.write([track('u1', 'view', '2024-01-01T00:00:00Z', {}, 'm1')]);
    const r = await store.write([track('u1', 'view', '2024-01-01T00:00:00Z', {}, 'm1'), track('u2', 'view', '2024-01-01T00:00:00Z', {}, 'm1')]);
    expect(r).toEqual({ stored: 1, duplicates: 1 });
    expect(await store.liveEvents({ limit: 10 })).toHaveLength(2);
  });

  it('groups concurrent writes and answers each with its own counts', async () => {
    const writes = Array.from({ length: 20 }, (_, i) =>
      store.write([track(`u${i}`, 'click', '2024-01-01T00:00:00Z'), track(`u${i}`, 'click', '2024-01-01T00:00:01Z')]),
    );
    const results = await Promise.all(writes);
    expect(results.every((r) => r.stored === 2)).toBe(true);
    expect((await store.listEventTypes()).find((t) => t.name === 'click')?.count).toBe(40);
  });

  it('merges traits per key with the latest timestamp winning, and clears with null', async () => {
    await store.write([
      { kind: 'identify', externalId: 'u1', traits: { plan: 'pro', country: 'FR' }, ts: at('2024-01-02T00:00:00Z') },
      { kind: 'identify', externalId: 'u1', traits: { plan: 'free' }, ts: at('2024-01-01T00:00:00Z') },
      { kind: 'identify', externalId: 'u1', traits: { country: null, email: 'a@b.c' }, ts: at('2024-01-03T00:00:00Z') },
    ]);
    const u = await store.getUser('u1');
    expect(u?.properties).toEqual({ plan: 'pro', email: 'a@b.c' });
    expect(u?.eventCount).toBe(0);
  });

  it('aliases an anonymous id to a user, merging two known people', async () => {
    await store.write([track('anon-1', 'app_download', '2024-01-01T00:00:00Z'), track('u1', 'view', '2024-01-02T00:00:00Z')]);
    await store.write([{ kind: 'alias', previousId: 'anon-1', userId: 'u1', ts: at('2024-01-03T00:00:00Z') }]);
    const u = await store.getUser('u1');
    expect(u?.eventCount).toBe(2);
    expect((await store.getUser('anon-1'))?.userId).toBe('u1');
    await store.write([track('anon-1', 'click', '2024-01-04T00:00:00Z')]);
    expect((await store.getUser('u1'))?.eventCount).toBe(3);
  });

  it('an alias in the same request as the anonymous events still moves them', async () => {
    await store.write([track('u9', 'view', '2024-01-01T00:00:00Z')]);
    await store.write([track('anon-9', 'app_download', '2024-01-01T00:00:00Z'), { kind: 'alias', previousId: 'anon-9', userId: 'u9', ts: at('2024-01-01T00:00:00Z') }]);
    expect((await store.getUser('u9'))?.eventCount).toBe(2);
  });

  it('reports observed property names and types per event', async () => {
    await store.write([track('u1', 'purchase', '2024-01-01T00:00:00Z', { brand: 'x', price: 10, address: { city: 'Paris' }, tags: ['a'] })]);
    const t = (await store.listEventTypes()).find((e) => e.name === 'purchase');
    expect(t?.properties).toEqual([
      { name: 'address.city', type: 'string' },
      { name: 'brand', type: 'string' },
      { name: 'price', type: 'number' },
      { name: 'tags', type: 'array' },
    ]);
  });

  it('reorganizes into the ordered table without losing concurrent writes', async () => {
    for (let i = 0; i < 5; i++) await store.write([track(`u${i}`, i % 2 ? 'view' : 'cart', `2024-01-0${i + 1}T00:00:00Z`)]);
    const during = store.write([track('late', 'click', '2024-02-01T00:00:00Z')]);
    const [{ moved }] = await Promise.all([store.reorganize(), during]);
    expect(moved).toBeGreaterThanOrEqual(5);
    const [main] = await db.reads.rows<{ n: bigint }>('SELECT count(*) AS n FROM events');
    const [all] = await db.reads.rows<{ n: bigint }>('SELECT count(*) AS n FROM events_all');
    expect(Number(all.n)).toBe(6);
    expect(Number(main.n)).toBe(moved);
    const ordered = await db.reads.rows<{ event: string }>('SELECT event FROM events');
    const names = ordered.map((r) => r.event);
    expect(names).toEqual([...names].sort());
  });
});

describe('user properties in bulk', () => {
  it('returns the merged traits of known users and leaves unknown ids out', async () => {
    await store.write([
      { kind: 'identify', externalId: 'a', traits: { email: 'a@x.io', plan: 'free' }, ts: at('2024-01-01T00:00:00Z') },
      { kind: 'identify', externalId: 'a', traits: { plan: 'pro' }, ts: at('2024-01-02T00:00:00Z') },
      track('b', 'view', '2024-01-01T00:00:00Z'),
    ]);
    const m = await store.userProperties(['a', 'b', 'zz']);
    expect(Object.fromEntries(m)).toEqual({ a: { email: 'a@x.io', plan: 'pro' }, b: {} });
  });
});
