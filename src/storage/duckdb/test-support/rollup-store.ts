import { afterEach } from 'vitest';
import { openDatabase, type Database } from '../database.js';
import { openDuckDBEventStore, type DuckDBEventStore, type EventStoreOptions } from '../duckdb-event-store.js';
import { DEFAULT_HOT_POLICY } from '../hot-columns.js';

/**
 * `open()` for tests of the per-(event, person) summaries: an in-memory store that keeps hot
 * columns and summaries from the first event on (`extra` adds options), closed after each test.
 */
export function rollupStores(extra: EventStoreOptions = {}): () => Promise<{ db: Database; store: DuckDBEventStore }> {
  let opened: { db: Database; store: DuckDBEventStore }[] = [];
  afterEach(async () => {
    for (const { db, store } of opened) {
      await store.close();
      await db.close();
    }
    opened = [];
  });
  return async () => {
    const db = await openDatabase(':memory:');
    const store = await openDuckDBEventStore(db, { hotPolicy: { ...DEFAULT_HOT_POLICY, minRows: 0 }, rollupPolicy: { minRows: 0, staleShare: 0.1 }, ...extra });
    opened.push({ db, store });
    return { db, store };
  };
}
