/**
 * Tests only: the DuckDB file under a Kohort on the embedded engine, for the
 * checks no port can make — that a secret is not in a raw table, rows an
 * older version wrote, a job left mid-run by a crash, tables that must not
 * exist. Everything else goes through `k.engine` and the HTTP API.
 */
import type { EventsEngine } from '../../events-engine.js';
import type { Database } from '../database.js';
import { asDuckDBEventsEngine } from '../duckdb-engine.js';

export function rawDuckDBFile(k: { engine: EventsEngine }): Database {
  return asDuckDBEventsEngine(k.engine).database;
}
