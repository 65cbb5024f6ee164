import { applyTraitRows } from './current-traits.js';
import { PropertyCatalog } from './property-catalog.js';
import {
  DuckDBDataChunk,
  DuckDBTimestampValue,
  DuckDBVector,
  type DuckDBAppender,
  type DuckDBConnection,
} from '@duckdb/node-api';
import type { EventWriter } from './event-writer.js';

/**
 * One batch of a bulk load, columnar so that millions of rows need no object
 * per row. Times are epoch milliseconds (UTC). JSON columns hold JSON text.
 */
export interface BulkBatch {
  events: { externalId: string[]; event: string[]; ts: number[]; props: string[] };
  /** Trait history rows (what identify calls store). */
  traits: { externalId: string[]; key: string[]; value: string[]; ts: number[] };
  /**
   * Every (event, property path, JSON type) the batch's events carry, as
   * `propertyPaths` would report them: the producer knows its own schema, and
   * computing it per row would cost more than the load itself.
   */
  properties: readonly (readonly [string, string, string])[];
}

export interface BulkLoadResult {
  events: number;
  traits: number;
  /** People created by this load. */
  users: number;
  firstSeq: number;
  lastSeq: number;
}


const CHUNK = DuckDBVector.standardSize();

/**
 * Appends whole data chunks (2,048 rows) instead of one appender call per
 * value: the per-call cost of the row appender is what limits `write()`.
 */
export class ChunkAppender {
  private readonly chunk: DuckDBDataChunk;
  constructor(readonly appender: DuckDBAppender) {
    const types = Array.from({ length: appender.columnCount }, (_, i) => appender.columnType(i));
    this.chunk = DuckDBDataChunk.create(types);
  }

  /** Appends `total` rows; fill(vectors, from, count) sets rows [from, from + count) at vector index 0.. */
  append(total: number, fill: (v: DuckDBVector[], from: number, count: number) => void): void {
    for (let from = 0; from < total; from += CHUNK) {
      const count = Math.min(CHUNK, total - from);
      // Reset releases the strings of the previous chunk, so memory stays flat.
      this.chunk.reset();
      this.chunk.rowCount = count;
      const vectors = Array.from({ length: this.chunk.columnCount }, (_, i) => this.chunk.getColumnVector(i));
      fill(vectors, from, count);
      for (const v of vectors) v.flush();
      this.appender.appendDataChunk(this.chunk);
    }
  }

  close(): void {
    this.appender.closeSync();
  }
}

const micros = (ms: number) => new DuckDBTimestampValue(BigInt(ms) * 1000n);

/**
 * Writes 64-bit integers (BIGINT, TIMESTAMP micros) below 2^53 as two 32-bit
 * halves into the vector's buffer: the public setItem takes a BigInt per
 * value, and allocating 40M of them costs more than the append. Falls back to
 * setItem when the vector does not expose the buffer this relies on.
 */
function int64Writer(v: DuckDBVector, toValue: (n: number) => unknown): (i: number, n: number) => void {
  const items = (v as unknown as { items?: unknown }).items;
  if (items instanceof BigInt64Array) {
    const halves = new Uint32Array(items.buffer, items.byteOffset, items.length * 2);
    return (i, n) => {
      halves[2 * i] = n >>> 0;
      halves[2 * i + 1] = Math.floor(n / 4294967296);
    };
  }
  return (i, n) => v.setItem(i, toValue(n) as never);
}
const asBigInt = (n: number) => BigInt(n);

/**
 * Marks rows [0, n) NULL. setItem(i, null) does two BigInt operations per
 * row; the validity words can be cleared in one go once the vector has
 * allocated them (again checked, with the plain loop as fallback).
 */
function setAllNull(v: DuckDBVector, n: number): void {
  v.setItem(0, null);
  const words = (v as unknown as { validity?: { data?: unknown } }).validity?.data;
  if (words instanceof BigUint64Array && n === CHUNK) words.fill(0n);
  else for (let i = 1; i < n; i++) v.setItem(i, null);
}
const asTimestamp = (us: number) => new DuckDBTimestampValue(BigInt(us));

/** Columnar `events_tail` rows gathered by a group commit (times in epoch ms). */
export interface EventRows {
  seq: number[];
  uid: number[];
  event: string[];
  ts: number[];
  props: string[];
  messageId: (string | null)[];
}
export const emptyEventRows = (): EventRows => ({ seq: [], uid: [], event: [], ts: [], props: [], messageId: [] });

/**
 * Appends gathered `events_tail` rows through data chunks: for EventWriter's
 * group commit, in place of one row-appender call per value.
 */
export function appendEventRows(a: ChunkAppender, rows: EventRows, receivedAtMs: number): void {
  a.append(rows.seq.length, (v, from, n) => {
    const seqAt = int64Writer(v[0], asBigInt);
    const tsAt = int64Writer(v[3], asTimestamp);
    const receivedAt = int64Writer(v[5], asTimestamp);
    for (let i = 0; i < n; i++) {
      const r = from + i;
      seqAt(i, rows.seq[r]);
      v[1].setItem(i, rows.uid[r]);
      v[2].setItem(i, rows.event[r]);
      tsAt(i, rows.ts[r] * 1000);
      v[4].setItem(i, rows.props[r]);
      receivedAt(i, receivedAtMs * 1000);
      v[6].setItem(i, rows.messageId[r]);
    }
  });
}

/**
 * Bulk path of the DuckDB adapter (seed data, imports): appends batches into
 * `events_tail`, `user_traits`, `users` and `identities` in one transaction,
 * with the writer's invariants: seq numbers continue from the writer's and
 * stay unique across events and traits, people go through the writer's
 * identity map, new property paths enter `event_properties`. Events are not
 * announced to live subscribers and carry no message id (no dedup).
 *
 * Must run with the writer connection to itself (`writer.exclusive`), so no
 * group commit interleaves.
 */
export async function bulkLoad(
  c: DuckDBConnection,
  writer: EventWriter,
  batches: Iterable<BulkBatch> | AsyncIterable<BulkBatch>,
  onProgress?: (r: BulkLoadResult) => void,
): Promise<BulkLoadResult> {
  const firstSeq = writer.lastSeq + 1;
  let seq = writer.lastSeq;
  const result: BulkLoadResult = { events: 0, traits: 0, users: 0, firstSeq, lastSeq: seq };
  const known = new PropertyCatalog();
  for (const r of (await c.runAndReadAll('SELECT event, property, type FROM event_properties')).getRows()) {
    known.add(String(r[0]), String(r[1]), String(r[2]));
  }
  const newCatalog: [string, string, string][] = [];
  const loadedAt = Date.now();
  const receivedAt = micros(loadedAt);
  const ids = writer.ids;
  ids.begin();
  await c.run('BEGIN TRANSACTION');
  try {
    const events = new ChunkAppender(await c.createAppender('events_tail'));
    const traits = new ChunkAppender(await c.createAppender('user_traits'));
    const users = new ChunkAppender(await c.createAppender('users'));
    const identities = new ChunkAppender(await c.createAppender('identities'));
    try {
      for await (const b of batches) {
        const created: { uid: number; userId: string }[] = [];
        // Consecutive rows usually belong to one person: skip the map lookup then.
        let lastExt = '';
        let lastUid = 0;
        const uidOf = (ext: string) => {
          if (ext !== lastExt) {
            lastExt = ext;
            lastUid = ids.resolve(ext, created);
          }
          return lastUid;
        };
        const t = b.traits;
        traits.append(t.key.length, (v, from, n) => {
          const seqAt = int64Writer(v[0], asBigInt);
          const tsAt = int64Writer(v[4], asTimestamp);
          for (let i = 0; i < n; i++) {
            const r = from + i;
            seqAt(i, ++seq);
            v[1].setItem(i, uidOf(t.externalId[r]));
            v[2].setItem(i, t.key[r]);
            v[3].setItem(i, t.value[r]);
            tsAt(i, t.ts[r] * 1000);
          }
          setAllNull(v[5], n);
          const receivedAtOf = int64Writer(v[6], asTimestamp);
          for (let i = 0; i < n; i++) receivedAtOf(i, loadedAt * 1000);
        });
        const e = b.events;
        events.append(e.event.length, (v, from, n) => {
          const seqAt = int64Writer(v[0], asBigInt);
          const tsAt = int64Writer(v[3], asTimestamp);
          const receivedAtAt = int64Writer(v[5], asTimestamp);
          for (let i = 0; i < n; i++) {
            const r = from + i;
            seqAt(i, ++seq);
            v[1].setItem(i, uidOf(e.externalId[r]));
            v[2].setItem(i, e.event[r]);
            tsAt(i, e.ts[r] * 1000);
            v[4].setItem(i, e.props[r]);
            receivedAtAt(i, loadedAt * 1000);
          }
          setAllNull(v[6], n);
        });
        users.append(created.length, (v, from, n) => {
          for (let i = 0; i < n; i++) {
            v[0].setItem(i, created[from + i].uid);
            v[1].setItem(i, created[from + i].userId);
            v[2].setItem(i, receivedAt);
          }
        });
        identities.append(created.length, (v, from, n) => {
          for (let i = 0; i < n; i++) {
            v[0].setItem(i, created[from + i].userId);
            v[1].setItem(i, created[from + i].uid);
          }
        });
        for (const [event, path, type] of b.properties) {
          if (known.add(event, path, type)) newCatalog.push([event, path, type]);
        }
        result.events += e.event.length;
        result.traits += t.key.length;
        result.users += created.length;
        result.lastSeq = seq;
        onProgress?.({ ...result });
      }
    } finally {
      for (const a of [events, traits, users, identities]) a.close();
    }
    for (const [event, property, type] of newCatalog) {
      await c.run('INSERT INTO event_properties VALUES (?, ?, ?)', [event, property, type]);
    }
    if (result.traits) await applyTraitRows(c, 'seq >= ?', [firstSeq]);
    await c.run('COMMIT');
  } catch (err) {
    await c.run('ROLLBACK').catch(() => undefined);
    ids.rollback();
    throw err;
  }
  ids.commit();
  // Move the writer past the loaded rows: its next group commit continues the
  // numbering and does not re-insert known property paths.
  writer.adoptBulkLoad(seq, newCatalog, result.events);
  return result;
}

