/**
 * The ClickHouse event store (write side): several Kohort processes ingest into
 * one ClickHouse with the meaning of the embedded store (duckdb/event-writer.ts).
 *
 * Group commit as in the embedded writer: requests queue, and the queue is
 * written a group at a time. For each group one metadata transaction (WriteTx,
 * PostgreSQL) takes identity changes, person locks and dedup claims; the rows
 * are inserted into ClickHouse; only when ClickHouse acknowledged every insert
 * is the transaction committed and the requests answered. A failed insert rolls
 * the claims back, so the client's retry is stored.
 *
 * "Durable" on ClickHouse means: the INSERT returned successfully, so the rows
 * are written into a part on the server's disk. ClickHouse 18.16 has no setting
 * to fsync parts before answering (later releases have `fsync_after_insert`),
 * so an operating-system crash right after an acknowledged insert can lose it
 * unless the tables are replicated (docs/DEPLOY.md). ClickHouse has no
 * transactions across tables either: if the server fails between the inserts
 * of one group, the rows inserted before the failure stay and the request fails;
 * its retry stores them again (a repeat the 7-day dedup cannot see, because the
 * claims were rolled back with the failure). People of tracks and identifies are
 * created before the group (IdentityStore.prepare), so the retry finds the same
 * keys; only a person created by an alias of the failed group can stay in
 * `users` under a key PostgreSQL discarded (keys are never reused).
 */
import type { MaterializedProperty } from '../../cohort/dialect.js';
import type { EventDedup } from '../event-dedup.js';
import type { EventStore, StoredEvent, WriteItem, WriteResult } from '../event-store.js';
import type { IdentityStore, Person } from '../identity-store.js';
import { WriteTxConflict, type WriteTx } from '../write-tx.js';
import type { ClickHouseClient } from './client.js';
import { ClickHouseEventWriter, type ChEvent } from './event-writer.js';
import { KnownIds } from './known-ids.js';
import { SeqPool } from './seq-pool.js';
import { TraitGroup } from './trait-history.js';

/** The read methods of EventStore, implemented by the ClickHouse read side. */
export type EventReads = Pick<EventStore, 'listEventTypes' | 'liveEvents' | 'getUser' | 'eventPropertyValues' | 'traitValues' | 'traitNames' | 'userProperties'>;

export interface ClickHouseEventStoreDeps {
  client: ClickHouseClient;
  identity: IdentityStore;
  dedup: EventDedup;
  reads: EventReads;
  /** Hot property paths to record on a fresh store (tests); otherwise read from hot_properties. */
  hot?: string[][];
  logError?: (msg: string, err: unknown) => void;
}

export interface ClickHouseEventStore extends EventStore {
  /** Property paths kept in typed columns: pass to the cohort compiler (`materialized`). */
  materializedProperties(): MaterializedProperty[];
  /** Forgets dedup claims older than 7 days (any one process may run it periodically). */
  pruneDedup(): Promise<number>;
}

const MAX_GROUP_ITEMS = 50_000;
/** Lock cycles between processes (PostgreSQL picks a victim) are retried this often before failing the group. */
const CONFLICT_RETRIES = 5;

interface Pending {
  items: WriteItem[];
  resolve: (r: WriteResult) => void;
  reject: (e: unknown) => void;
}

/** An event of the group, for live subscribers. */
interface StoredRow {
  uid: number;
  externalId: string;
  e: ChEvent;
}

/** Everything one group inserts into ClickHouse. */
interface GroupRows {
  events: ChEvent[];
  users: { uid: number; user_id: string; created_at: number; version: number }[];
  identities: { anonymous_id: string; uid: number; ts: number }[];
  merges: { from_uid: number; into_uid: number; version: number }[];
  traits: TraitGroup;
}

export async function createClickHouseEventStore(deps: ClickHouseEventStoreDeps): Promise<ClickHouseEventStore> {
  const { client, identity, dedup, reads } = deps;
  const writer = await ClickHouseEventWriter.open(client, deps.hot);
  // Large blocks: at 500 events a request, blocks of 1,000 cost a PostgreSQL round trip every other request.
  const seq = new SeqPool(identity, 20_000);
  // Ids seen committed in PostgreSQL: `prepare` is skipped for them (no round trip per group for
  // known users); and ids of this process's committed writes, whose people are acknowledged.
  const existing = new KnownIds();
  const published = new KnownIds();
  const listeners = new Set<(events: StoredEvent[]) => void>();
  const queue: Pending[] = [];
  let draining = false;

  /** Builds and inserts one group's rows inside tx; returns each request's result and the stored events. */
  async function buildGroup(tx: WriteTx, group: Pending[], receivedAt: Date): Promise<{ results: WriteResult[]; rows: GroupRows; stored: StoredRow[] }> {
    const at = receivedAt.getTime() * 1000;
    const rows: GroupRows = { events: [], users: [], identities: [], merges: [], traits: new TraitGroup(client, seq) };
    const addPeople = (people: Person[]) => {
      for (const p of people) {
        rows.users.push({ uid: p.uid, user_id: p.userId, created_at: at, version: 0 });
        rows.identities.push({ anonymous_id: p.userId, uid: p.uid, ts: at });
      }
    };
    const results = group.map(() => ({ stored: 0, duplicates: 0 }));
    // Every item of the group with the request it came from (parallel arrays: no object per item).
    const flat: WriteItem[] = [];
    const reqOf: number[] = [];
    group.forEach((p, n) => {
      for (const item of p.items) {
        flat.push(item);
        reqOf.push(n);
      }
    });
    const stored: StoredRow[] = [];
    // Segments of tracks and identifies between aliases: ids resolved, people locked and
    // message ids claimed in one round trip each; an alias applies at its position.
    let i = 0;
    while (i < flat.length) {
      const item = flat[i];
      if (item.kind === 'alias') {
        const change = await identity.alias(tx, item.previousId, item.userId);
        addPeople(change.created);
        if (change.kind === 'mapped') rows.identities.push({ anonymous_id: change.externalId, uid: change.uid, ts: at });
        else if (change.kind === 'renamed') {
          rows.identities.push({ anonymous_id: change.externalId, uid: change.uid, ts: at });
          rows.users.push({ uid: change.uid, user_id: change.userId, created_at: at, version: change.version });
        } else if (change.kind === 'merged') {
          // Flattened: every key that counted for `from` now counts for `into`.
          for (const k of change.moved) rows.merges.push({ from_uid: k, into_uid: change.into, version: change.version });
          const keys = (await identity.keysOf(tx, [change.into])).get(change.into)!;
          rows.traits.merged(change.from, change.into, keys);
        }
        results[reqOf[i]].stored++;
        i++;
        continue;
      }
      let j = i;
      while (j < flat.length && flat[j].kind !== 'alias') j++;
      await segment(tx, flat.slice(i, j) as Exclude<WriteItem, { kind: 'alias' }>[], reqOf.slice(i, j), rows, results, stored, addPeople, receivedAt);
      i = j;
    }
    return { results, rows, stored };
  }

  async function segment(
    tx: WriteTx,
    items: Exclude<WriteItem, { kind: 'alias' }>[],
    reqs: number[],
    rows: GroupRows,
    results: WriteResult[],
    stored: StoredRow[],
    addPeople: (p: Person[]) => void,
    receivedAt: Date,
  ): Promise<void> {
    const { uids, created } = await identity.resolve(tx, items.map((it) => it.externalId), published);
    addPeople(created);
    const uidOf = (it: (typeof items)[number]) => uids.get(it.externalId)!;
    // Ordered trait operations read a person's earlier rows: one process at a time per person.
    const traitIds = [...new Set(items.filter((it) => it.kind === 'identify').map((it) => it.externalId))];
    let locked = new Set<number>();
    for (let attempt = 0; traitIds.length; attempt++) {
      const people = [...new Set(traitIds.map((id) => uids.get(id)!))].filter((p) => !locked.has(p));
      if (!people.length) break;
      if (attempt === 10) throw new Error('people kept merging while being locked');
      await identity.lockPeople(tx, people);
      seq.discard();
      locked = new Set([...locked, ...people]);
      // A merge committed before the lock moved the ids to another person: lock that one too.
      const again = await identity.resolve(tx, traitIds, published);
      for (const id of traitIds) uids.set(id, again.uids.get(id)!);
    }
    if (traitIds.length) {
      const people = [...new Set(traitIds.map((id) => uids.get(id)!))];
      await rows.traits.load(await identity.keysOf(tx, people));
    }
    // Claim keys of the items with a message id, and where each came from (no object per item).
    const keys: string[] = [];
    const keyAt: number[] = [];
    for (let k = 0; k < items.length; k++) {
      const id = items[k].messageId;
      if (id === undefined) continue;
      keys.push(`${uidOf(items[k])}|${id}`);
      keyAt.push(k);
    }
    const fresh = await dedup.claim(tx, keys);
    const repeat = new Uint8Array(items.length);
    for (let n = 0; n < keyAt.length; n++) if (!fresh[n]) repeat[keyAt[n]] = 1;
    await seq.reserve(items.length);
    for (let k = 0; k < items.length; k++) {
      const it = items[k];
      const r = results[reqs[k]];
      if (repeat[k]) {
        r.duplicates++;
        continue;
      }
      r.stored++;
      const uid = uidOf(it);
      if (it.kind === 'identify') {
        await rows.traits.identify(uid, it.traits, it.ops, it.ts);
        continue;
      }
      if (seq.available < 1) await seq.reserve(1); // identifies above may have used the block up
      const e: ChEvent = { seq: seq.take(), uid, event: it.event, ts: it.ts, props: it.props, messageId: it.messageId ?? '', receivedAt };
      rows.events.push(e);
      stored.push({ uid, externalId: it.externalId, e });
    }
  }

  async function insert(rows: GroupRows): Promise<void> {
    // People first: events never point at a person ClickHouse has not heard of.
    await client.insert('users', rows.users);
    await client.insert('identities', rows.identities);
    await client.insert('person_merges', rows.merges);
    await writer.events(rows.events);
    await writer.traits(rows.traits.traits);
    await client.insert('user_trait_ops', rows.traits.ops.map((o) => ({ ...o })));
  }

  async function commitGroup(group: Pending[]): Promise<void> {
    const receivedAt = new Date();
    // People of tracks and identifies are created (committed) before the write: if it fails,
    // no users row in ClickHouse names a key PostgreSQL then discards. Ids an alias of the group
    // names are left to the alias (creating them first would turn a rename into a merge).
    const aliased = new Set<string>();
    for (const p of group) for (const it of p.items) if (it.kind === 'alias') aliased.add(it.previousId).add(it.userId);
    const plain = new Set<string>();
    for (const p of group) {
      for (const it of p.items) if (it.kind !== 'alias' && !aliased.has(it.externalId) && !existing.has(it.externalId)) plain.add(it.externalId);
    }
    try {
      if (plain.size) await identity.prepare([...plain]);
      existing.addAll(plain);
    } catch (err) {
      for (const p of group) p.reject(err);
      return;
    }
    for (let attempt = 0; ; attempt++) {
      let tx: WriteTx | undefined;
      let inserting = false;
      try {
        tx = await identity.begin();
        const { results, rows, stored } = await buildGroup(tx, group, receivedAt);
        inserting = true;
        await insert(rows);
        await tx.commit();
        published.addAll(written(group));
        group.forEach((p, n) => p.resolve(results[n]));
        if (stored.length && listeners.size) await notify(stored);
        return;
      } catch (err) {
        await tx?.rollback();
        // Nothing reached ClickHouse before a lock conflict: the whole group can be redone.
        if (err instanceof WriteTxConflict && !inserting && attempt < CONFLICT_RETRIES) continue;
        for (const p of group) p.reject(err);
        return;
      }
    }
  }

  async function notify(stored: StoredRow[]): Promise<void> {
    try {
      const shown = await identity.userIds([...new Set(stored.map((s) => s.uid))]);
      // A person merged away meanwhile (by a later alias) is shown by the id the event came with.
      const events: StoredEvent[] = stored.map(({ uid, externalId, e }) => ({
        seq: e.seq,
        userId: shown.get(uid) ?? externalId,
        event: e.event,
        timestamp: e.ts,
        properties: e.props,
        receivedAt: e.receivedAt!,
      }));
      for (const l of listeners) l(events);
    } catch (err) {
      (deps.logError ?? ((m, e) => console.error(m, e)))('live event notification failed', err);
    }
  }

  async function drain(): Promise<void> {
    if (draining) return;
    draining = true;
    try {
      while (queue.length) {
        // One turn of the event loop: requests that already arrived join this group.
        await new Promise<void>((resolve) => setImmediate(resolve));
        const group: Pending[] = [];
        let n = 0;
        while (queue.length && (n === 0 || n + queue[0].items.length <= MAX_GROUP_ITEMS)) {
          const p = queue.shift()!;
          group.push(p);
          n += p.items.length;
        }
        await commitGroup(group);
      }
    } finally {
      draining = false;
    }
  }

  return {
    ...bindReads(reads),
    write(items) {
      if (items.length === 0) return Promise.resolve({ stored: 0, duplicates: 0 });
      return new Promise((resolve, reject) => {
        queue.push({ items, resolve, reject });
        void drain();
      });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /**
     * Every insert is already a part sorted by the table's key (event, ts, uid): there is no
     * unordered tail to move, so nothing is moved (0). What remains is ClickHouse's own merging
     * of parts, which runs in the background; asking for it here would only add load.
     */
    async reorganize() {
      return { moved: 0 };
    },
    materializedProperties: () => writer.materialized(),
    pruneDedup: () => dedup.prune(),
    async close() {
      while (draining || queue.length) await new Promise((r) => setTimeout(r, 10));
    },
  };
}

/** The ids of a group's tracks and identifies. */
function* written(group: readonly Pending[]): Iterable<string> {
  for (const p of group) for (const it of p.items) if (it.kind !== 'alias') yield it.externalId;
}

function bindReads(r: EventReads): EventReads {
  return {
    listEventTypes: () => r.listEventTypes(),
    liveEvents: (f) => r.liveEvents(f),
    getUser: (userId, recent) => r.getUser(userId, recent),
    eventPropertyValues: (q) => r.eventPropertyValues(q),
    traitValues: (q) => r.traitValues(q),
    traitNames: () => r.traitNames(),
    userProperties: (ids) => r.userProperties(ids),
  };
}
