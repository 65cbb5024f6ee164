import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('still skips repeated messageIds after a restart, for a backfilled identify too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kohort-dedup-'));
    const file = join(dir, 'k.duckdb');
    try {
      // Timestamps months old: the 7-day window counts from receipt, not from the event's time.
      const old = '2024-01-01T00:00:00Z';
      const identify = { kind: 'identify', externalId: 'u1', traits: { plan: 'pro' }, ts: at(old), messageId: 'i1' } as const;
      let d = await openDatabase(file);
      let s = await openDuckDBEventStore(d);
      expect(await s.write([track('u1', 'view', old, {}, 'm1'), identify])).toEqual({ stored: 2, duplicates: 0 });
      await s.close();
      await d.close();
      d = await openDatabase(file);
      s = await openDuckDBEventStore(d);
      expect(await s.write([track('u1', 'view', old, {}, 'm1'), identify])).toEqual({ stored: 0, duplicates: 2 });
      await s.close();
      await d.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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

describe('tail rows written by a group commit', () => {
  it('keep event names, message ids, props text and times exactly, whatever characters they hold', async () => {
    const odd = ['quote " and \\ backslash', 'tab\tnew\nline', 'nul \u0000 and \u001f', 'é中😀 \u2028\u2029', '</script>', 'x'.repeat(2000)];
    const props = { a: odd[0], nested: { b: odd[3], c: [1.5, -0, 1e21, 5e-324, true, null] }, [odd[1]]: odd[2], big: 9007199254740991 };
    const items = odd.map((text, i) => track(`u${i}`, text, new Date(Date.UTC(1970 + i * 11, i, 1, 2, 3, 4, 5 + i)).toISOString(), { ...props, text }, i % 2 ? text : undefined));
    await store.write(items);
    const rows = await db.reads.rows<{ event: string; ms: bigint; props: string; message_id: string | null; seq: bigint }>(
      'SELECT event, epoch_ms(ts) AS ms, props::VARCHAR AS props, message_id, seq FROM events_tail ORDER BY seq',
    );
    expect(rows.map((r) => r.event)).toEqual(odd);
    expect(rows.map((r) => Number(r.ms))).toEqual(items.map((i) => i.ts.getTime()));
    expect(rows.map((r) => r.props)).toEqual(items.map((i) => JSON.stringify((i as { props: unknown }).props)));
    expect(rows.map((r) => r.message_id)).toEqual(odd.map((t, i) => (i % 2 ? t : null)));
    expect(new Set(rows.map((r) => r.seq)).size).toBe(odd.length);
  });

  it('store props with lone surrogates (valid input, escaped by JSON.stringify) as their text, beside plain events of the same commit (a JSON cast would reject them)', async () => {
    const items = [track('u1', 'view', '2024-01-01T00:00:00Z', { a: 'x\ud874', '\udfff\ud800': 1 }), track('u2', 'view', '2024-01-01T00:00:00Z', { b: 'plain \\ud800 text' })];
    expect(await store.write(items)).toEqual({ stored: 2, duplicates: 0 });
    const rows = await db.reads.rows<{ props: string }>('SELECT props::VARCHAR AS props FROM events_tail ORDER BY seq');
    expect(rows.map((r) => r.props)).toEqual(items.map((i) => JSON.stringify(i.props)));
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

describe('reorganization into sorted runs', () => {
  it('appends the sorted tail as a run once the table is large, keeping every event and replaying merges', async () => {
    const db2 = await openDatabase(':memory:');
    const s2 = await openDuckDBEventStore(db2, { fullRewriteBelow: 3 });
    try {
      await s2.write([track('a', 'view', '2024-01-05T00:00:00Z'), track('b', 'cart', '2024-01-01T00:00:00Z'), track('c', 'view', '2024-01-02T00:00:00Z')]);
      await s2.reorganize(); // small table: full rewrite
      await s2.write([track('d', 'view', '2024-01-03T00:00:00Z'), track('anon', 'cart', '2024-01-04T00:00:00Z'), track('e', 'apply', '2024-01-01T00:00:00Z')]);
      const merging = s2.write([{ kind: 'alias', previousId: 'anon', userId: 'a', ts: at('2024-01-06T00:00:00Z') }]);
      const [{ moved }] = await Promise.all([s2.reorganize(), merging]);
      expect(moved).toBe(3);
      const rows = await db2.reads.rows<{ event: string; user_id: string }>(
        'SELECT e.event, u.user_id FROM events e JOIN users u USING (uid) ORDER BY e.rowid',
      );
      // First run (rewritten), then the second run, each ordered by (event, ts).
      expect(rows.map((r) => r.event)).toEqual(['cart', 'view', 'view', 'apply', 'cart', 'view']);
      expect((await s2.getUser('a'))?.eventCount).toBe(2);
      const [tail] = await db2.reads.rows<{ n: bigint }>('SELECT count(*) AS n FROM events_tail');
      expect(Number(tail.n)).toBe(0);
    } finally {
      await s2.close();
      await db2.close();
    }
  });

  it('appends a run with no merge meanwhile straight into events (no events_sorted copy), in order, emptying the tail', async () => {
    const db2 = await openDatabase(':memory:');
    const s2 = await openDuckDBEventStore(db2, { fullRewriteBelow: 3 });
    try {
      await s2.write([track('a', 'view', '2024-01-05T00:00:00Z'), track('b', 'cart', '2024-01-01T00:00:00Z'), track('c', 'view', '2024-01-02T00:00:00Z')]);
      await s2.reorganize();
      await s2.write([track('d', 'view', '2024-01-03T00:00:00Z'), track('e', 'cart', '2024-01-04T00:00:00Z'), track('e', 'apply', '2024-01-01T00:00:00Z')]);
      expect(await s2.reorganize()).toEqual({ moved: 3 });
      const rows = await db2.reads.rows<{ event: string; user_id: string }>('SELECT e.event, u.user_id FROM events e JOIN users u USING (uid) ORDER BY e.rowid');
      expect(rows.map((r) => `${r.event}:${r.user_id}`)).toEqual(['cart:b', 'view:c', 'view:a', 'apply:e', 'cart:e', 'view:d']);
      const [left] = await db2.reads.rows<{ tail: bigint; sorted: bigint }>(
        "SELECT (SELECT count(*) FROM events_tail) AS tail, (SELECT count(*) FROM duckdb_tables() WHERE table_name = 'events_sorted') AS sorted",
      );
      expect([Number(left.tail), Number(left.sorted)]).toEqual([0, 0]);
      // Nothing left to sort: the next call moves nothing.
      expect(await s2.reorganize()).toEqual({ moved: 0 });
    } finally {
      await s2.close();
      await db2.close();
    }
  });

  it('appends a tail of at least minRunRows as a run even while the table is small; a smaller tail still rewrites it', async () => {
    const db2 = await openDatabase(':memory:');
    const s2 = await openDuckDBEventStore(db2, { fullRewriteBelow: 100, minRunRows: 3 });
    const order = async () =>
      (await db2.reads.rows<{ e: string }>("SELECT e.event || ':' || u.user_id AS e FROM events e JOIN users u USING (uid) ORDER BY e.rowid")).map((r) => r.e);
    try {
      await s2.write([track('a', 'view', '2024-01-05T00:00:00Z'), track('b', 'cart', '2024-01-01T00:00:00Z'), track('c', 'view', '2024-01-02T00:00:00Z')]);
      expect(await s2.reorganize()).toEqual({ moved: 3 });
      await s2.write([track('d', 'view', '2024-01-03T00:00:00Z'), track('e', 'cart', '2024-01-04T00:00:00Z'), track('e', 'apply', '2024-01-01T00:00:00Z')]);
      expect(await s2.reorganize()).toEqual({ moved: 3 });
      // 3 sorted rows < fullRewriteBelow, but the tail of 3 is a run of its own: appended, not merged in.
      expect(await order()).toEqual(['cart:b', 'view:c', 'view:a', 'apply:e', 'cart:e', 'view:d']);
      await s2.write([track('f', 'apply', '2024-01-02T00:00:00Z'), track('f', 'view', '2024-01-01T00:00:00Z')]);
      expect(await s2.reorganize()).toEqual({ moved: 2 });
      // A tail of 2: the small table is rewritten in one global order.
      expect(await order()).toEqual(['apply:e', 'apply:f', 'cart:b', 'cart:e', 'view:f', 'view:c', 'view:d', 'view:a']);
    } finally {
      await s2.close();
      await db2.close();
    }
  });

  it('rebuilds stale summaries no sooner than `spacing` times the last build took; without spacing at once', async () => {
    const hotPolicy = { maxSlots: 8, minShare: 0.05, minRows: 0 };
    for (const [spacing, rebuilt] of [[1e6, false], [undefined, true]] as const) {
      const db2 = await openDatabase(':memory:');
      const s2 = await openDuckDBEventStore(db2, { hotPolicy, rollupPolicy: { minRows: 0, staleShare: 0.1, spacing } });
      try {
        await s2.write([track('a', 'purchase', '2024-01-05T00:00:00Z', { price: 5 }), track('b', 'purchase', '2024-01-01T00:00:00Z', { price: 7 })]);
        await s2.reorganize();
        const first = s2.eventRollup()!.seq;
        await s2.write([track('c', 'purchase', '2024-01-06T00:00:00Z', { price: 9 })]); // a third more: stale
        expect(await s2.reorganize()).toEqual({ moved: 1 });
        expect(s2.eventRollup()!.seq > first).toBe(rebuilt);
      } finally {
        await s2.close();
        await db2.close();
      }
    }
  });

  it('with upkeep: false sorts only; the next plain reorganization builds the summaries', async () => {
    const db2 = await openDatabase(':memory:');
    const s2 = await openDuckDBEventStore(db2, { hotPolicy: { maxSlots: 8, minShare: 0.05, minRows: 0 }, rollupPolicy: { minRows: 0, staleShare: 0.1 } });
    try {
      await s2.write([track('a', 'purchase', '2024-01-05T00:00:00Z', { price: 5 }), track('b', 'purchase', '2024-01-01T00:00:00Z', { price: 7 })]);
      expect(await s2.reorganize({ upkeep: false })).toEqual({ moved: 2 });
      expect(s2.materializedProperties().map((m) => m.path)).toEqual([['price']]);
      expect(s2.eventRollup()).toBeUndefined();
      expect(await s2.reorganize()).toEqual({ moved: 0 });
      expect(s2.eventRollup()?.numbers.map((n) => n.path)).toEqual([['price']]);
    } finally {
      await s2.close();
      await db2.close();
    }
  });
});
