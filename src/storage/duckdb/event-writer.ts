import { DuckDBTimestampValue, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import { appendEventRows, ChunkAppender, emptyEventRows } from './bulk-loader.js';
import type { StoredEvent, WriteItem, WriteResult } from '../event-store.js';
import type { SerialConnection } from './database.js';
import { DedupIndex, messageFingerprint } from './dedup-index.js';
import { IdentityMap } from './identity-map.js';
import { applyTraitRows, recomputeCurrentTraits } from './current-traits.js';
import { PropertyCatalog } from './property-catalog.js';
import { propertyPaths } from './property-paths.js';
import { TraitOpWriter } from './trait-op-writer.js';
import type { TraitOp } from '../trait-ops.js';

const DEDUP_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;
/** Upper bound of items in one group commit, so one huge group cannot stall everyone. */
const MAX_GROUP_ITEMS = 100_000;

interface Pending {
  items: WriteItem[];
  resolve: (r: WriteResult) => void;
  reject: (e: unknown) => void;
}

const tsValue = (d: Date) => new DuckDBTimestampValue(BigInt(d.getTime()) * 1000n);

/**
 * Group commit: every request's items wait in a queue; the queue is drained
 * into one transaction (appenders into `events_tail`, `users`, `identities`,
 * `user_traits`), and each request is answered only after that transaction
 * committed. DuckDB fsyncs its WAL on commit, so an answered request survives
 * a crash.
 */
export class EventWriter {
  private queue: Pending[] = [];
  private draining = false;
  private seq = 0;
  /** (uid, messageId) of the last 7 days (by receive time): repeats are skipped. */
  private readonly seen = new DedupIndex(DEDUP_WINDOW_MS);
  private readonly catalog = new PropertyCatalog();
  private readonly listeners = new Set<(events: StoredEvent[]) => void>();
  /** Person merges done by aliases, replayed onto tables rewritten concurrently. */
  readonly merges: { from: number; into: number }[] = [];
  /** Rows appended to events_tail since the last reorganization. */
  tailRows = 0;

  private constructor(private readonly conn: SerialConnection, readonly ids: IdentityMap, private readonly traitOps: TraitOpWriter) {}

  static async open(conn: SerialConnection): Promise<EventWriter> {
    const w = new EventWriter(conn, await IdentityMap.load(conn), await TraitOpWriter.load(conn));
    const [m] = await conn.rows<{ s: bigint | null }>(
      'SELECT max(s) AS s FROM (SELECT max(seq) AS s FROM events_all UNION ALL SELECT max(seq) FROM user_traits UNION ALL SELECT max(seq) FROM person_merges)',
    );
    w.seq = Number(m?.s ?? 0);
    const since = new Date(Date.now() - DEDUP_WINDOW_MS).toISOString();
    const recent = await conn.rows<{ uid: number; message_id: string; r: number }>(
      `SELECT uid, message_id, epoch_ms(received_at) AS r FROM events_all
        WHERE message_id IS NOT NULL AND received_at >= CAST(? AS TIMESTAMP)
       UNION ALL SELECT uid, message_id, epoch_ms(coalesce(received_at, ts)) FROM user_traits
        WHERE message_id IS NOT NULL AND coalesce(received_at, ts) >= CAST(? AS TIMESTAMP)`,
      [since, since],
    );
    for (const r of recent) w.seen.addFingerprint(messageFingerprint(r.uid, r.message_id), Number(r.r));
    for (const r of await conn.rows<{ event: string; property: string; type: string }>('SELECT * FROM event_properties')) {
      w.catalog.add(r.event, r.property, r.type);
    }
    const [t] = await conn.rows<{ n: bigint }>('SELECT count(*) AS n FROM events_tail');
    w.tailRows = Number(t.n);
    return w;
  }

  get lastSeq(): number {
    return this.seq;
  }

  /**
   * Moves the writer past rows a bulk load appended on its connection (inside
   * `exclusive`): numbering continues after them and their property paths are known.
   */
  adoptBulkLoad(lastSeq: number, properties: Iterable<[string, string, string]>, events: number): void {
    this.seq = Math.max(this.seq, lastSeq);
    for (const [e, p, t] of properties) this.catalog.add(e, p, t);
    this.tailRows += events;
  }

  subscribe(listener: (events: StoredEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  write(items: WriteItem[]): Promise<WriteResult> {
    if (items.length === 0) return Promise.resolve({ stored: 0, duplicates: 0 });
    return new Promise((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      void this.drain();
    });
  }

  /** Runs fn between group commits, with the writer connection to itself. */
  exclusive<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.conn.use(fn);
  }

  /** Forgets message ids older than the dedup window (called periodically). */
  pruneDedup(now = Date.now()): void {
    this.seen.prune(now);
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length) {
        // One turn of the event loop first: requests whose bodies already arrived join this
        // group. A commit costs far less per row in a large group (measured: 500 rows a commit
        // take about 3x the CPU per row of 4,000), and the wait is well under a millisecond.
        await new Promise<void>((resolve) => setImmediate(resolve));
        const group: Pending[] = [];
        let n = 0;
        while (this.queue.length && (n === 0 || n + this.queue[0].items.length <= MAX_GROUP_ITEMS)) {
          const p = this.queue.shift()!;
          group.push(p);
          n += p.items.length;
        }
        await this.commitGroup(group);
      }
    } finally {
      this.draining = false;
    }
  }

  private async commitGroup(group: Pending[]): Promise<void> {
    const receivedAt = new Date();
    const receivedMs = receivedAt.getTime();
    const seqBefore = this.seq;
    const mergesBefore = this.merges.length;
    const newSeen: number[] = [];
    const newCatalog: [string, string, string][] = [];
    // Stored events are built only for live subscribers (SSE); ingestion alone needs none.
    const notify = this.listeners.size > 0;
    const events: StoredEvent[] = [];
    let appended = 0;
    let traits = 0;
    // People whose earlier trait rows an ordered operation may have rewritten: their current rows are recomputed.
    const opUids = new Set<number>();
    this.ids.begin();
    this.traitOps.begin();
    try {
      const results = await this.conn.transaction(async (c) => {
        let created: { uid: number; userId: string }[] = [];
        // Events are gathered in columns and appended a data chunk at a time: one appender call per value was the largest part of a commit in profiles.
        const ev = new ChunkAppender(await c.createAppender('events_tail'));
        let rows = emptyEventRows();
        const tr = await c.createAppender('user_traits');
        // Statements see appended rows only once flushed: flush before an alias touches them.
        const flush = async () => {
          if (rows.seq.length) {
            appendEventRows(ev, rows, receivedAt.getTime());
            rows = emptyEventRows();
          }
          ev.appender.flushSync();
          tr.flushSync();
          await appendPeople(c, created, receivedAt);
          created = [];
        };
        const out: WriteResult[] = [];
        try {
          for (const p of group) {
            const r = { stored: 0, duplicates: 0 };
            for (const item of p.items) {
              if (item.kind === 'alias') {
                await flush();
                await this.alias(c, item.previousId, item.userId, created);
                r.stored++;
                continue;
              }
              const uid = this.ids.resolve(item.externalId, created);
              if (item.messageId !== undefined) {
                const fp = messageFingerprint(uid, item.messageId);
                if (!this.seen.addIfNew(fp, receivedMs)) {
                  r.duplicates++;
                  continue;
                }
                newSeen.push(fp);
              }
              r.stored++;
              if (item.kind === 'identify') {
                const ops: TraitOp[] = [...Object.entries(item.traits).map(([key, value]) => ({ op: '$set' as const, key, value })), ...(item.ops ?? [])];
                if (this.traitOps.needsOrderedApply(uid, ops)) {
                  // Reads and may rewrite earlier rows of this transaction: they must be visible.
                  await flush();
                  opUids.add(uid);
                  traits++;
                  await this.traitOps.apply(c, { uid, ops, ts: item.ts, receivedAt, messageId: item.messageId }, () => ++this.seq);
                  continue;
                }
                // Only plain sets of properties no operation ever touched: append as they are.
                for (const o of ops) {
                  if (o.op !== '$set') continue;
                  appendTrait(tr, ++this.seq, uid, o.key, o.value, item.ts, receivedAt, item.messageId);
                  traits++;
                }
                continue;
              }
              const seq = ++this.seq;
              rows.seq.push(seq);
              rows.uid.push(uid);
              rows.event.push(item.event);
              rows.ts.push(item.ts.getTime());
              rows.props.push(JSON.stringify(item.props));
              rows.messageId.push(item.messageId ?? null);
              appended++;
              if (notify) events.push({ seq, userId: this.ids.displayOf(uid)!, event: item.event, timestamp: item.ts, properties: item.props, receivedAt });
              for (const [path, type] of propertyPaths(item.props)) {
                if (this.catalog.add(item.event, path, type)) newCatalog.push([item.event, path, type]);
              }
            }
            out.push(r);
          }
          await flush();
        } finally {
          ev.close();
          tr.closeSync();
        }
        if (traits) await applyTraitRows(c, 'seq > ?', [seqBefore]);
        if (opUids.size) await recomputeCurrentTraits(c, [...opUids]);
        for (const [event, property, type] of newCatalog) {
          await c.run('INSERT INTO event_properties VALUES (?, ?, ?)', [event, property, type]);
        }
        return out;
      });
      this.ids.commit();
      this.traitOps.commit();
      this.tailRows += appended;
      group.forEach((p, i) => p.resolve(results[i]));
      if (events.length) for (const l of this.listeners) l(events);
    } catch (err) {
      this.ids.rollback();
      this.traitOps.rollback();
      this.seq = seqBefore;
      this.merges.length = mergesBefore;
      for (const fp of newSeen) this.seen.removeFingerprint(fp, receivedMs);
      for (const [e, p, t] of newCatalog) this.catalog.delete(e, p, t);
      for (const p of group) p.reject(err);
    }
  }

  /** alias(previousId -> userId): the previous id's events count for the user. */
  private async alias(c: DuckDBConnection, previousId: string, userId: string, created: { uid: number; userId: string }[]): Promise<void> {
    const prev = this.ids.uidOf(previousId);
    const user = this.ids.uidOf(userId);
    if (prev === undefined && user === undefined) {
      const uid = this.ids.resolve(userId, created);
      this.ids.setExternal(previousId, uid);
      await c.run('INSERT INTO identities VALUES (?, ?)', [previousId, uid]);
    } else if (user === undefined) {
      // The anonymous person becomes the identified user, keeping its history.
      this.ids.setExternal(userId, prev!);
      this.ids.setDisplay(prev!, userId);
      await c.run('INSERT INTO identities VALUES (?, ?)', [userId, prev!]);
      await c.run('UPDATE users SET user_id = ? WHERE uid = ?', [userId, prev!]);
    } else if (prev === undefined) {
      this.ids.setExternal(previousId, user);
      await c.run('INSERT INTO identities VALUES (?, ?)', [previousId, user]);
    } else if (prev !== user) {
      this.ids.merge(prev, user);
      this.traitOps.merge(prev, user);
      for (const t of ['events', 'events_tail', 'user_traits', 'identities', 'cohort_members']) {
        await c.run(`UPDATE ${t} SET uid = ? WHERE uid = ?`, [user, prev]);
      }
      await c.run('DELETE FROM users WHERE uid = ?', [prev]);
      await recomputeCurrentTraits(c, [prev, user]);
      // Numbered like events: incremental cohort refreshes re-evaluate both people.
      await c.run('INSERT INTO person_merges VALUES (?, ?, ?)', [++this.seq, prev, user]);
      this.merges.push({ from: prev, into: user });
    }
  }
}

function appendTrait(a: DuckDBAppender, seq: number, uid: number, key: string, value: unknown, ts: Date, receivedAt: Date, messageId?: string): void {
  a.appendBigInt(BigInt(seq));
  a.appendInteger(uid);
  a.appendVarchar(key);
  a.appendVarchar(JSON.stringify(value ?? null));
  a.appendTimestamp(tsValue(ts));
  if (messageId === undefined) a.appendNull();
  else a.appendVarchar(messageId);
  a.appendTimestamp(tsValue(receivedAt));
  a.endRow();
}

async function appendPeople(c: DuckDBConnection, created: { uid: number; userId: string }[], at: Date): Promise<void> {
  if (!created.length) return;
  const users = await c.createAppender('users');
  const ids = await c.createAppender('identities');
  try {
    for (const p of created) {
      users.appendInteger(p.uid);
      users.appendVarchar(p.userId);
      users.appendTimestamp(tsValue(at));
      users.endRow();
      ids.appendVarchar(p.userId);
      ids.appendInteger(p.uid);
      ids.endRow();
    }
    users.flushSync();
    ids.flushSync();
  } finally {
    users.closeSync();
    ids.closeSync();
  }
}
