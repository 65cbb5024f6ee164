import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileDefinition } from '../cohort/cohort-compiler.js';
import type { Definition } from '../schemas/definition.js';
import { clickhouseDialect } from '../cohort/dialects/clickhouse.js';
import type { EventStore, WriteItem } from './event-store.js';
import type { ClickHouseClient } from './clickhouse/client.js';
import { ClickHouseEventWriter } from './clickhouse/event-writer.js';
import { createClickHouseMembershipStore } from './clickhouse/membership-store.js';
import { migrateClickHouse } from './clickhouse/migrations.js';
import { freshClickHouseDatabase, noClickHouse } from './clickhouse/test-support/ch-test-db.js';
import { openChdbClient } from './clickhouse/test-support/chdb-client.js';
import type { CompiledQuery, MembershipStore } from './membership-store.js';
import { openDatabase, type Database } from './duckdb/database.js';
import { openDuckDBEventStore, type DuckDBEventStore } from './duckdb/duckdb-event-store.js';
import { createDuckDBMembershipStore } from './duckdb/duckdb-membership-store.js';

/**
 * The membership port on each events engine (DuckDB, ClickHouse 18.16 server, chdb): compiled
 * definitions in the engine's own dialect fill member sets there, and the
 * sets are read back as user ids.
 */
interface Engine {
  events: Pick<EventStore, 'write'>;
  members: MembershipStore;
  compile(d: Definition): CompiledQuery;
  close(): Promise<void>;
}

/**
 * ClickHouse has no event store in this suite (its ingest is another adapter's): the
 * track items are written with the ClickHouse writer, people numbered in order of appearance.
 */
async function clickhouse(client: ClickHouseClient): Promise<Engine> {
  await migrateClickHouse(client);
  const writer = await ClickHouseEventWriter.open(client, []);
  const uids = new Map<string, number>();
  let seq = 0;
  return {
    events: {
      async write(items: WriteItem[]) {
        const tracks = items.filter((i) => i.kind === 'track');
        const fresh = tracks.filter((t) => !uids.has(t.externalId) && uids.set(t.externalId, uids.size + 1));
        await writer.users(fresh.map((t) => ({ uid: uids.get(t.externalId)!, userId: t.externalId })));
        await writer.events(tracks.map((t) => ({ seq: ++seq, uid: uids.get(t.externalId)!, event: t.event, ts: t.ts, props: t.props, messageId: `m${seq}` })));
        return { stored: tracks.length, duplicates: 0 };
      },
    },
    members: createClickHouseMembershipStore(client),
    compile: (d) => compileDefinition(d, { asOf: new Date(), resolveCohort: () => undefined }, clickhouseDialect),
    close: () => client.close(),
  };
}

const engines: [string, () => Promise<Engine>, boolean?][] = [
  ['ClickHouse server', async () => clickhouse(await freshClickHouseDatabase()), noClickHouse()],
  ['chdb', async () => clickhouse(await openChdbClient())],
  [
    'DuckDB',
    async () => {
      const db: Database = await openDatabase(':memory:', [], { readConnections: 2 });
      const events: DuckDBEventStore = await openDuckDBEventStore(db);
      return {
        events,
        members: createDuckDBMembershipStore(db, await db.connect(), events.writer.ids),
        compile: (d) => compileDefinition(d, { asOf: new Date(), resolveCohort: () => undefined }),
        async close() {
          await events.close();
          await db.close();
        },
      };
    },
  ],
];

const did = (event: string): Definition => ({ match: 'all', rules: [{ type: 'event', event }] }) as Definition;
const ids = (n: number, p = 'u') => Array.from({ length: n }, (_, i) => `${p}${String(i).padStart(3, '0')}`);

for (const [label, make, skip] of engines) {
  describe.skipIf(skip === true)(`MembershipStore contract: ${label}`, () => {
    let e: Engine;
    beforeAll(async () => {
      e = await make();
      const ts = new Date(Date.now() - 60_000);
      await e.events.write([
        ...ids(20).map((externalId, i) => ({ kind: 'track' as const, externalId, event: i < 12 ? 'purchase' : 'visit', ts, props: {} })),
        ...ids(8).map((externalId, i) => ({ kind: 'track' as const, externalId, event: i % 2 ? 'refund' : 'visit', ts, props: {} })),
        { kind: 'track' as const, externalId: 'Mixed-Case', event: 'purchase', ts, props: {} },
      ]);
    });
    afterAll(() => e?.close());

    it('previews size and a stable sample without storing anything', async () => {
      const q = e.compile(did('purchase'));
      const a = await e.members.preview(q, 5, 7);
      expect(a.size).toBe(13);
      expect(a.sample).toHaveLength(5);
      expect(await e.members.preview(q, 5, 7)).toEqual(a);
      expect(await e.members.memberCount('c-preview')).toBe(0);
      const ac = new AbortController();
      ac.abort();
      await expect(e.members.preview(q, 5, 7, ac.signal)).rejects.toThrow();
    });

    it('replaces a member set and says who entered and who left', async () => {
      expect(await e.members.replaceMembers('c1', e.compile(did('purchase')))).toEqual({ size: 13, entered: 13, exited: 0 });
      expect(await e.members.memberCount('c1')).toBe(13);
      // refund: u001 u003 u005 u007, all purchasers: 9 leave, none enter; visit: the other 12, all new.
      expect(await e.members.replaceMembers('c1', e.compile(did('refund')))).toEqual({ size: 4, entered: 0, exited: 9 });
      expect(await e.members.replaceMembers('c1', e.compile(did('visit')))).toEqual({ size: 12, entered: 12, exited: 4 });
      const streamed: string[] = [];
      for await (const p of e.members.streamMembers('c1')) streamed.push(...p);
      expect(streamed).toEqual([...ids(8).filter((_, i) => i % 2 === 0), ...ids(20).slice(12)].sort());
    });

    it('pages members in user id order, with search', async () => {
      await e.members.replaceMembers('c2', e.compile(did('purchase')));
      const first = await e.members.membersPage('c2', 5);
      expect(first).toEqual(['Mixed-Case', 'u000', 'u001', 'u002', 'u003']);
      expect(await e.members.membersPage('c2', 3, first[4])).toEqual(['u004', 'u005', 'u006']);
      expect(await e.members.membersPage('c2', 10, undefined, 'MIXED')).toEqual(['Mixed-Case']);
      expect(await e.members.membersPage('c2', 10, undefined, '01')).toEqual(['u001', 'u010', 'u011']);
    });

    it('static lists: adds known users, reports unknown and existing ones, removes', async () => {
      expect(await e.members.addMembers('s1', ['u000', 'u001', 'nobody', 'u000'])).toEqual({ added: 2, alreadyMember: 0, unknown: ['nobody'] });
      expect(await e.members.addMembers('s1', ['u001', 'u002'])).toEqual({ added: 1, alreadyMember: 1, unknown: [] });
      expect(await e.members.removeMembers('s1', ['u000', 'nobody'])).toEqual({ removed: 1 });
      expect(await e.members.membersPage('s1', 10)).toEqual(['u001', 'u002']);
    });

    it('deletes one cohort set and lists the cohorts that have one', async () => {
      await e.members.replaceMembers('d1', e.compile(did('refund')));
      await e.members.replaceMembers('d2', e.compile(did('refund')));
      expect(await e.members.cohortIds()).toEqual(expect.arrayContaining(['d1', 'd2']));
      await e.members.deleteMembers('d1');
      expect(await e.members.memberCount('d1')).toBe(0);
      expect(await e.members.memberCount('d2')).toBe(4);
      expect(await e.members.cohortIds()).not.toContain('d1');
    });
  });
}
