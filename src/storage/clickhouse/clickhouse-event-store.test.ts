/**
 * The ClickHouse write path (ClickHouse: the test server and chdb; identity and
 * dedup: PostgreSQL) against the embedded store: the same writes — tracks,
 * identifies with operations arriving late, the four alias cases, repeats —
 * leave every person with the same traits and events, read through the
 * person-resolving sources the dialect compiles against. Two stores on one
 * ClickHouse and one PostgreSQL stand for two processes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from './client';
import { createClickHouseEventStore, type ClickHouseEventStore, type EventReads } from './clickhouse-event-store';
import { migrateClickHouse } from './migrations';
import { PEOPLE, personOf, TRAITS, WITH_MERGES } from './people-sql';
import { freshClickHouseDatabase, noClickHouse } from './test-support/ch-test-db';
import { openChdbClient } from './test-support/chdb-client';
import { compileDefinition } from '../../cohort/cohort-compiler';
import { clickhouseDialect, toClickHouseSql } from '../../cohort/dialects/clickhouse';
import type { WriteItem } from '../event-store';
import { WriteTxConflict, type WriteTx } from '../write-tx';
import { openDatabase } from '../duckdb/database';
import { openDuckDBEventStore } from '../duckdb/duckdb-event-store';
import { openPostgres, type PgDatabase } from '../postgres/database';
import { createPgEventDedup } from '../postgres/event-dedup';
import { PG_IDENTITY_MIGRATIONS } from '../postgres/identity-migrations';
import { createPgIdentityStore } from '../postgres/identity-store';
import { freshPgSchema, noPostgres, PG_URL } from '../postgres/test-support/pg-test-db';
import type { Definition } from '../../schemas/definition';

const pools: PgDatabase[] = [];
afterAll(async () => {
  await Promise.all(pools.splice(0).map((d) => d.close().catch(() => undefined)));
});

/** Current traits of every person, by shown user id, read through the resolving sources. */
async function chTraits(client: ClickHouseClient): Promise<Record<string, Record<string, unknown>>> {
  const rows = await client.query<{ user_id: string; key: string; value: string }>(
    `SELECT p.user_id AS user_id, t.key AS key, t.value AS value
       FROM (SELECT uid, key, value FROM ${TRAITS} ORDER BY uid, key, ts DESC, seq DESC LIMIT 1 BY uid, key) AS t
       ALL INNER JOIN ${PEOPLE} AS p USING uid`,
  );
  const out: Record<string, Record<string, unknown>> = {};
  for (const r of rows) {
    const v = JSON.parse(r.value) as unknown;
    if (v !== null) (out[r.user_id] ??= {})[r.key] = v;
  }
  return out;
}

/** Events per person (shown user id -> sorted event names), keys mapped as the compiled scans map them. */
async function chEvents(client: ClickHouseClient): Promise<Record<string, string[]>> {
  const rows = await client.query<{ user_id: string; event: string }>(
    `SELECT p.user_id AS user_id, e.event AS event FROM (${WITH_MERGES} SELECT ${personOf('e.uid')} AS uid, e.event AS event FROM events AS e) AS e ALL INNER JOIN ${PEOPLE} AS p USING uid`,
  );
  const out: Record<string, string[]> = {};
  for (const r of rows) (out[r.user_id] ??= []).push(r.event);
  for (const k of Object.keys(out)) out[k].sort();
  return out;
}

/** The reads these tests use, over the resolving sources (the full read side is another adapter's). */
function testReads(client: ClickHouseClient): EventReads {
  const unused = () => Promise.reject(new Error('not read by these tests'));
  return {
    listEventTypes: unused,
    liveEvents: unused,
    getUser: unused,
    eventPropertyValues: unused,
    traitValues: unused,
    traitNames: unused,
    async userProperties(userIds) {
      const all = await chTraits(client);
      return new Map(userIds.filter((u) => all[u]).map((u) => [u, all[u]]));
    },
  };
}

const at = (s: string) => new Date(s);
const track = (externalId: string, event: string, ts: string, messageId?: string): WriteItem => ({ kind: 'track', externalId, event, ts: at(ts), props: { n: 1 }, messageId });
const identify = (externalId: string, ts: string, traits: Record<string, unknown>, ops?: WriteItem extends never ? never : Extract<WriteItem, { kind: 'identify' }>['ops'], messageId?: string): WriteItem =>
  ({ kind: 'identify', externalId, traits, ops, ts: at(ts), messageId });
const alias = (previousId: string, userId: string): WriteItem => ({ kind: 'alias', previousId, userId, ts: at('2024-01-01T00:00:00Z') });

/** Requests in order (each an array of items): trait operations late and early, aliases of every kind, repeats. */
const SCRIPT: WriteItem[][] = [
  [track('anon1', 'view', '2024-01-01T00:00:00Z', 'm1'), identify('anon1', '2024-01-01T00:00:00Z', { plan: 'free' })],
  [identify('u1', '2024-01-05T00:00:00Z', {}, [{ op: '$add', key: 'visits', value: 2 }, { op: '$append', key: 'tags', value: 'b' }])],
  // Late operations: older than the rows above, they recompute them.
  [identify('u1', '2024-01-02T00:00:00Z', {}, [{ op: '$add', key: 'visits', value: 1 }, { op: '$prepend', key: 'tags', value: 'a' }])],
  [identify('u1', '2024-01-03T00:00:00Z', { visits: 10 })],
  [identify('u1', '2024-01-04T00:00:00Z', {}, [{ op: '$setOnce', key: 'first', value: 'x' }, { op: '$setOnce', key: 'visits', value: 99 }])],
  // 2. the anonymous person becomes u2; 1. neither known; 3. the user known.
  [alias('anon1', 'u2'), alias('anon3', 'u3'), track('anon3', 'click', '2024-01-02T00:00:00Z'), alias('anon4', 'u1'), track('anon4', 'cart', '2024-01-06T00:00:00Z')],
  [track('u1', 'view', '2024-01-03T00:00:00Z', 'm1'), track('u1', 'view', '2024-01-03T00:00:00Z', 'm1'), track('u2', 'view', '2024-01-01T00:00:00Z', 'm1')],
  // 4. two people merged (u2 into u1), then u1 into u3: a chain, flattened.
  [identify('u2', '2024-01-01T12:00:00Z', {}, [{ op: '$add', key: 'visits', value: 5 }]), alias('u2', 'u1')],
  [identify('u1', '2024-01-01T06:00:00Z', {}, [{ op: '$add', key: 'visits', value: 100 }]), track('anon1', 'buy', '2024-01-07T00:00:00Z')],
  [alias('u1', 'u3'), identify('anon4', '2024-01-08T00:00:00Z', { plan: 'pro' }, [{ op: '$append', key: 'tags', value: 'c' }])],
  [identify('u3', '2024-01-09T00:00:00Z', {}, [{ op: '$clearAll' }]), identify('u3', '2024-01-10T00:00:00Z', { plan: 'team' })],
  [identify('u4', '2024-01-02T00:00:00Z', { a: 1 }, [{ op: '$add', key: 'n', value: 1 }], 'i1'), identify('u4', '2024-01-02T00:00:00Z', { a: 2 }, undefined, 'i1')],
  [identify('u4', '2024-01-01T00:00:00Z', {}, [{ op: '$unset', key: 'a', value: null }, { op: '$add', key: 'n', value: 3 }])],
];

function suite(open: () => Promise<ClickHouseClient>) {
  async function setup(processes = 1) {
    const client = await open();
    await migrateClickHouse(client);
    const schema = freshPgSchema();
    const stores: ClickHouseEventStore[] = [];
    for (let i = 0; i < processes; i++) {
      const db = await openPostgres(PG_URL!, [PG_IDENTITY_MIGRATIONS], { schema, max: 4 });
      pools.push(db);
      stores.push(await createClickHouseEventStore({ client, identity: createPgIdentityStore(db), dedup: createPgEventDedup(db), reads: testReads(client) }));
    }
    return { client, stores };
  }

  it('leaves every person with the traits and events of the embedded store, for the same writes', async () => {
    const { client, stores } = await setup();
    const duck = await openDatabase(':memory:');
    const ref = await openDuckDBEventStore(duck);
    try {
      const users = ['u1', 'u2', 'u3', 'u4', 'anon1', 'anon3', 'anon4'];
      // Compared after every request: each person once, under its shown user id.
      for (const [step, req] of SCRIPT.entries()) {
        expect(await stores[0].write(req)).toEqual(await ref.write(req));
        const traits: Record<string, Record<string, unknown>> = {};
        const events: Record<string, string[]> = {};
        for (const u of users) {
          const s = await ref.getUser(u, 100);
          if (!s || s.userId !== u) continue;
          if (Object.keys(s.properties).length) traits[u] = s.properties;
          if (s.eventCount) events[u] = s.recentEvents.map((e) => e.event).sort();
        }
        // The late $add / $prepend (step 2) recompute the later rows: 1 + 2, [a, b].
        if (step === 2) expect(traits.u1).toEqual({ visits: 3, tags: ['a', 'b'] });
        expect({ step, traits: await chTraits(client) }).toEqual({ step, traits });
        expect({ step, events: await chEvents(client) }).toEqual({ step, events });
      }
      // The late operations did rewrite later rows (as corrected copies).
      const [copies] = await client.query<{ n: string }>('SELECT toString(count()) AS n FROM user_trait_ops WHERE origin != seq');
      expect(Number(copies.n)).toBeGreaterThan(0);
      // The shown ids: u3 holds everyone merged into it, u4 is alone.
      expect((await client.query<{ user_id: string }>(`SELECT user_id FROM ${PEOPLE} ORDER BY user_id`)).map((r) => r.user_id)).toEqual(['u3', 'u4']);
    } finally {
      await ref.close();
      await duck.close();
      await stores[0].close();
      await client.close();
    }
  });

  it('counts events written under a merged-away key for the person in a compiled cohort', async () => {
    const { client, stores } = await setup();
    try {
      await stores[0].write([track('anon', 'purchase', '2024-02-01T00:00:00Z'), track('anon', 'purchase', '2024-02-02T00:00:00Z')]);
      await stores[0].write([track('known', 'purchase', '2024-02-03T00:00:00Z'), identify('anon', '2024-02-01T00:00:00Z', { plan: 'pro' })]);
      const def: Definition = {
        match: 'all',
        rules: [
          { type: 'event', event: 'purchase', count: { op: 'gte', value: 3 } },
          { type: 'property', property: 'plan', op: 'eq', value: 'pro' },
        ],
      } as Definition;
      const members = async () => {
        const q = compileDefinition(def, { asOf: at('2024-03-01T00:00:00Z'), resolveCohort: () => undefined }, clickhouseDialect);
        return (await client.query<{ user_id: string }>(`SELECT user_id FROM ${PEOPLE} WHERE uid IN (${toClickHouseSql(q)})`)).map((r) => r.user_id);
      };
      expect(await members()).toEqual([]);
      // Both known: the anonymous person (2 purchases, the trait) is merged into "known" (1 purchase).
      await stores[0].write([alias('anon', 'known')]);
      expect(await members()).toEqual(['known']);
    } finally {
      await stores[0].close();
      await client.close();
    }
  });

  it('stores a messageId sent to two processes at once once, and acknowledges both', async () => {
    const { client, stores } = await setup(2);
    try {
      const batch = Array.from({ length: 50 }, (_, i) => track(`p${i % 5}`, 'view', '2024-03-01T00:00:00Z', `msg-${i}`));
      const [a, b] = await Promise.all([stores[0].write(batch), stores[1].write([...batch].reverse())]);
      expect(a.stored + a.duplicates).toBe(50);
      expect(b.stored + b.duplicates).toBe(50);
      expect(a.stored + b.stored).toBe(50);
      const [n] = await client.query<{ n: string }>('SELECT toString(count()) AS n FROM events');
      expect(Number(n.n)).toBe(50);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await client.close();
    }
  });

  it('applies $add from two processes to one person one at a time (no update lost)', async () => {
    const { client, stores } = await setup(2);
    try {
      await stores[0].write([identify('adder', '2024-03-01T00:00:00Z', { n: 0 })]);
      const adds = (s: ClickHouseEventStore, from: number) =>
        Array.from({ length: 10 }, (_, i) => s.write([identify('adder', `2024-03-02T00:00:${String(from + i).padStart(2, '0')}Z`, {}, [{ op: '$add', key: 'n', value: 1 }])]));
      await Promise.all([...adds(stores[0], 0), ...adds(stores[1], 10)]);
      expect((await chTraits(client)).adder).toEqual({ n: 20 });
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await client.close();
    }
  });

  it('rolls the claims back when ClickHouse refuses the insert, so the retry is stored', async () => {
    const real = await open();
    await migrateClickHouse(real);
    let failNext = true;
    const client: ClickHouseClient = {
      ...real,
      async insert(table, rows) {
        if (table === 'events' && failNext) {
          failNext = false;
          throw new Error('connection reset');
        }
        return real.insert(table, rows);
      },
      // Events go as TabSeparated text (event-rows.ts): the same refusal there.
      async insertTsv(table, columns, text) {
        if (table === 'events' && failNext) {
          failNext = false;
          throw new Error('connection reset');
        }
        return real.insertTsv(table, columns, text);
      },
    };
    const db = await openPostgres(PG_URL!, [PG_IDENTITY_MIGRATIONS], { schema: freshPgSchema(), max: 4 });
    pools.push(db);
    const store = await createClickHouseEventStore({ client, identity: createPgIdentityStore(db), dedup: createPgEventDedup(db), reads: testReads(real) });
    try {
      const item = track('r1', 'view', '2024-03-01T00:00:00Z', 'retry-1');
      await expect(store.write([item])).rejects.toThrow(/connection reset/);
      expect(await store.write([item])).toEqual({ stored: 1, duplicates: 0 });
      expect(await store.write([item])).toEqual({ stored: 0, duplicates: 1 });
      const [n] = await real.query<{ n: string }>('SELECT toString(count()) AS n FROM events');
      expect(n.n).toBe('1');
      // One person, under the key the stored event carries (the failed write left no other).
      const people = await real.query<{ uid: string; user_id: string }>(`SELECT toString(uid) AS uid, user_id FROM ${PEOPLE}`);
      const [ev] = await real.query<{ uid: string }>('SELECT toString(uid) AS uid FROM events');
      expect(people).toEqual([{ uid: ev.uid, user_id: 'r1' }]);
    } finally {
      await store.close();
      await real.close();
    }
  });

  it('redoes a whole group when PostgreSQL picks it as a deadlock victim before anything reached ClickHouse', async () => {
    const client = await open();
    await migrateClickHouse(client);
    const db = await openPostgres(PG_URL!, [PG_IDENTITY_MIGRATIONS], { schema: freshPgSchema(), max: 4 });
    pools.push(db);
    const real = createPgIdentityStore(db);
    let victims = 1;
    const identity = {
      ...real,
      async alias(tx: WriteTx, previousId: string, userId: string) {
        const change = await real.alias(tx, previousId, userId);
        if (victims-- > 0) throw new WriteTxConflict('deadlock detected');
        return change;
      },
    };
    const store = await createClickHouseEventStore({ client, identity, dedup: createPgEventDedup(db), reads: testReads(client) });
    try {
      const r = await store.write([track('v', 'view', '2024-03-01T00:00:00Z', 'once'), alias('v', 'victim'), track('victim', 'buy', '2024-03-01T00:00:00Z')]);
      expect(r).toEqual({ stored: 3, duplicates: 0 });
      expect(await chEvents(client)).toEqual({ victim: ['buy', 'view'] });
    } finally {
      await store.close();
      await client.close();
    }
  });

  it('tells subscribers about committed events with the shown user id and unique sequence numbers', async () => {
    const { client, stores } = await setup(2);
    try {
      const seen: { seq: number; userId: string }[] = [];
      stores[0].subscribe((evs) => seen.push(...evs.map((e) => ({ seq: e.seq, userId: e.userId }))));
      await stores[0].write([track('anon-s', 'view', '2024-03-01T00:00:00Z'), alias('anon-s', 'named')]);
      await stores[1].write([track('named', 'view', '2024-03-01T00:00:00Z')]);
      await stores[0].write([track('anon-s', 'view', '2024-03-02T00:00:00Z')]);
      await expect.poll(() => seen.length).toBe(2);
      expect(seen[1].userId).toBe('named');
      const seqs = await client.query<{ seq: string }>('SELECT toString(seq) AS seq FROM events');
      expect(new Set(seqs.map((r) => r.seq)).size).toBe(3);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await client.close();
    }
  });
}

describe.skipIf(noClickHouse() || noPostgres())('ClickHouse event store on the server', () => suite(freshClickHouseDatabase));
describe.skipIf(noPostgres())('ClickHouse event store on chdb', () => suite(openChdbClient));
