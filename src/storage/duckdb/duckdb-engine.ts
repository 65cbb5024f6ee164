/**
 * The embedded events engine: every EventsEngine port served from the one
 * DuckDB file. Identity (the in-process id map of the event writer) and the
 * typed hot columns stay in here; services see only the ports.
 */
import { duckdbAnalyticsDialect } from '../../analytics/dialects/duckdb.js';
import { duckdbDialect } from '../../cohort/dialects/duckdb.js';
import type { EventsEngine } from '../events-engine.js';
import { createDuckDBAnalyticsReads } from './analytics-reads.js';
import { createDuckDBCohortInsightReads } from './cohort-insight-reads.js';
import { createDuckDBContactReads } from './contact-reads.js';
import type { Database } from './database.js';
import { openDuckDBEventStore, type DuckDBEventStore, type EventStoreOptions } from './duckdb-event-store.js';
import { createDuckDBMembershipStore } from './duckdb-membership-store.js';
import { createDuckDBMemberExportReads } from './member-export-reads.js';

export interface DuckDBEventsEngine extends EventsEngine {
  readonly name: 'duckdb';
  /** With the DuckDB-only extras (bulk loading for the seed and benchmarks). */
  readonly events: DuckDBEventStore;
  /**
   * The file itself: the embedded metadata stores open on it too
   * (metadata-stores.ts). Services never get it.
   */
  readonly database: Database;
}

/**
 * Builds the engine on an opened file (its migrations applied). The engine
 * owns the file from here: `close()` waits for background work, then closes it.
 */
export async function openDuckDBEventsEngine(db: Database, opts: EventStoreOptions = {}): Promise<DuckDBEventsEngine> {
  const events = await openDuckDBEventStore(db, opts);
  // Member sets live with the events: compiled definitions (and cohort references) read them here.
  const members = createDuckDBMembershipStore(db, await db.connect(), events.writer.ids, { log: opts.logError });
  return {
    name: 'duckdb',
    dialect: duckdbDialect,
    analyticsDialect: duckdbAnalyticsDialect,
    database: db,
    events,
    members,
    insight: createDuckDBCohortInsightReads(db.reads, events.writer.ids),
    analytics: createDuckDBAnalyticsReads(db.reads),
    contacts: createDuckDBContactReads(db.reads),
    memberExports: createDuckDBMemberExportReads(db, db.reads),
    materializedProperties: () => events.materializedProperties(),
    eventRollup: () => events.eventRollup(),
    startBackground: () => events.startBackground(),
    async close() {
      await events.close();
      await db.close();
    },
  };
}

/**
 * The embedded engine behind an EventsEngine, for the DuckDB-only tools that
 * need the file itself (bulk loading in benchmarks, raw-row checks in tests:
 * test-support/raw-duckdb.ts). Throws on any other engine.
 */
export function asDuckDBEventsEngine(engine: EventsEngine): DuckDBEventsEngine {
  if (engine.name !== 'duckdb' || !('database' in engine)) throw new Error(`this Kohort runs its events on ${engine.name}, not on the embedded DuckDB file`);
  return engine as DuckDBEventsEngine;
}
