import { CURRENT_TRAITS_TABLE, recomputeCurrentTraits, recomputePeople } from './current-traits.js';
import type { SerialConnection } from './database.js';
import type { EventWriter } from './event-writer.js';

/**
 * Keeps the current-traits table ordered by (key, uid), so that a property rule's
 * `key = ?` reads only that key's row groups (zone maps). Bulk loads append in key
 * order already; group commits append a few rows at a time, and their rows mix keys
 * in the last row groups. Once enough row groups mix keys, the background lane sorts
 * the table again.
 */

/** DuckDB's row group size: rowids of an append-only table map to row groups by it. */
const ROW_GROUP = 122_880;
/** Below this many rows the table is one or two row groups: nothing to skip. */
const MIN_ROWS = 4 * ROW_GROUP;
/** Sort again once this share of row groups holds more than one key. */
const MIXED_SHARE = 0.1;

const NEXT = 'user_traits_current_next';

/**
 * Whether the table is worth sorting: big enough, with more than a tenth of its row
 * groups holding several keys (a sorted table has at most one such group per key change).
 * Reads the key column once (~60 ms at 3.8M rows); run on the background lane.
 */
export async function currentTraitsUnsorted(c: SerialConnection): Promise<boolean> {
  const [r] = await c.rows<{ rows: bigint; groups: bigint; mixed: bigint }>(
    `SELECT sum(n) AS rows, count(*) AS groups, count(*) FILTER (WHERE keys > 1) AS mixed
       FROM (SELECT rowid // ${ROW_GROUP} AS g, count(*) AS n, count(DISTINCT key) AS keys FROM ${CURRENT_TRAITS_TABLE} GROUP BY g)`,
  );
  const rows = Number(r?.rows ?? 0);
  const groups = Number(r?.groups ?? 0);
  return rows >= MIN_ROWS && Number(r.mixed) > Math.max(4, groups * MIXED_SHARE);
}

/**
 * Rewrites the current-traits table in (key, uid) order without holding up ingestion:
 * the sorted copy is built on the background connection, then, between two group
 * commits, brought up to date and swapped in.
 *
 * Bringing it up to date: the copy was read at some snapshot after `upTo`. Every person
 * a commit since `upTo` wrote trait rows for is recomputed from the history (which also
 * covers an ordered operation that rewrote that person's earlier rows), and so are both
 * people of each merge made since: what those group commits did to the old table.
 */
export async function sortCurrentTraits(background: SerialConnection, writer: EventWriter): Promise<void> {
  const { upTo, mergesSeen } = await writer.exclusive(async () => ({ upTo: writer.lastSeq, mergesSeen: writer.merges.length }));
  try {
    await buildSortedCopy(background);
    await handOver(writer, upTo, mergesSeen);
  } finally {
    await background.run(`DROP TABLE IF EXISTS ${NEXT}`);
  }
}

/** The swap, exported for the test that writes between the copy and the swap. */
export async function handOver(writer: EventWriter, upTo: number, mergesSeen: number): Promise<void> {
  await writer.exclusive(async (c) => {
    await c.run('BEGIN TRANSACTION');
    try {
      await recomputePeople(c, 'uid IN (SELECT uid FROM user_traits WHERE seq > ?)', [upTo], NEXT);
      const merged = writer.merges.slice(mergesSeen).flatMap((m) => [m.from, m.into]);
      await recomputeCurrentTraits(c, [...new Set(merged)], NEXT);
      await c.run(`DROP TABLE ${CURRENT_TRAITS_TABLE}`);
      await c.run(`ALTER TABLE ${NEXT} RENAME TO ${CURRENT_TRAITS_TABLE}`);
      await c.run('COMMIT');
    } catch (err) {
      await c.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  });
}

/** The sorted copy, read at the background connection's snapshot (exported for the same test). */
export async function buildSortedCopy(background: SerialConnection): Promise<void> {
  await background.run(`CREATE OR REPLACE TABLE ${NEXT} AS SELECT * FROM ${CURRENT_TRAITS_TABLE} ORDER BY key, uid`);
}
