import type { Database } from './database.js';
import type { Migration } from './migrations.js';

/**
 * Which engine holds the metadata that goes with this DuckDB file's events
 * and member sets. Recorded when PostgreSQL is used, so that starting the
 * same data dir without it (or an embedded store with it) is refused rather
 * than silently showing an empty store, whose start-up clean-ups (member sets
 * and workflow boards of unknown cohorts) would then delete static lists.
 */
export const METADATA_ENGINE_MIGRATIONS: readonly Migration[] = [
  { id: 'metadata-engine-001', sql: 'CREATE TABLE metadata_engine (engine VARCHAR NOT NULL)' },
];

/** Tables of the embedded metadata stores that hold what a user made. */
const EMBEDDED = ['cohorts', 'accounts', 'sync_destinations'];

export async function metadataEngineOf(db: Database): Promise<'postgres' | 'duckdb' | null> {
  const [m] = await db.reads.rows<{ engine: string }>('SELECT engine FROM metadata_engine LIMIT 1');
  if (m) return m.engine === 'postgres' ? 'postgres' : 'duckdb';
  const present = await db.reads.rows<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'main' AND table_name IN (SELECT unnest(string_split(?, ',')))`,
    [EMBEDDED.join(',')],
  );
  for (const { name } of present) {
    // Names come from the fixed list above, never from input.
    const [r] = await db.reads.rows<{ n: bigint }>(`SELECT count(*) AS n FROM ${name}`);
    if (Number(r.n) > 0) return 'duckdb';
  }
  return null;
}

export async function recordMetadataEngine(db: Database, engine: 'postgres'): Promise<void> {
  await db.background.transaction(async (c) => {
    await c.run('DELETE FROM metadata_engine');
    await c.run('INSERT INTO metadata_engine VALUES (?)', [engine]);
  });
}
