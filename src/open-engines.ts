/**
 * Part of the composition root: opens the configured engines (docs/ARCHITECTURE.md,
 * Ports and engines) and hands back only ports. This file and the adapters
 * are the only places that know which engine is underneath.
 *
 * - neither URL: one DuckDB file holds events, member sets and metadata;
 * - KOHORT_DATABASE_URL: metadata in PostgreSQL, events in the DuckDB file;
 * - with KOHORT_EVENTS_URL too: events in ClickHouse, no DuckDB file at all.
 */
import type { Logger } from 'pino';
import { ConfigError } from './config.js';
import {
  checkMetadataEngine,
  duckdbMetadataMigrations,
  openMetadataPostgres,
  openMetadataStores,
  redactUrl,
  type LegacySecretSealing,
  type MetadataStores,
} from './metadata-stores.js';
import { CLICKHOUSE_ADAPTERS } from './storage/clickhouse/clickhouse-adapters.js';
import { openClickHouseEventsEngine } from './storage/clickhouse/clickhouse-engine.js';
import { openDatabase, type Database } from './storage/duckdb/database.js';
import { openDuckDBEventsEngine } from './storage/duckdb/duckdb-engine.js';
import type { EventsEngine } from './storage/events-engine.js';
import type { PgDatabase } from './storage/postgres/database.js';

export interface EngineOptions {
  /** The DuckDB file (or ':memory:'); not opened with `eventsUrl`. */
  dbPath: string;
  memoryLimit?: string;
  databaseUrl?: string;
  eventsUrl?: string;
  legacySecrets: LegacySecretSealing;
  log: Logger;
  logError: (msg: string, err: unknown) => void;
}

export interface Engines {
  events: EventsEngine;
  metadata: MetadataStores;
  /** Closes the events engine, then the metadata stores. */
  close(): Promise<void>;
}

export async function openEngines(opts: EngineOptions): Promise<Engines> {
  if (opts.eventsUrl !== undefined) return openScaledOut(opts, opts.eventsUrl);
  // PostgreSQL first: an unreachable server fails the start before the DuckDB file is opened.
  const pg: PgDatabase | undefined = opts.databaseUrl ? await openMetadataPostgres(opts.databaseUrl) : undefined;
  let db: Database | undefined;
  let events: EventsEngine | undefined;
  try {
    db = await openDatabase(opts.dbPath, duckdbMetadataMigrations(opts.databaseUrl), { memoryLimit: opts.memoryLimit });
    await checkMetadataEngine(db, pg !== undefined);
    const metadata = await openMetadataStores(db, pg, opts.legacySecrets);
    events = await openDuckDBEventsEngine(db, { logError: opts.logError });
    if (pg) {
      opts.log.info(
        { postgres: redactUrl(opts.databaseUrl!), duckdb: opts.dbPath },
        'metadata (cohorts, exports, syncs, accounts, collaborators, workflows, leases) in PostgreSQL; events, traits and member sets in the DuckDB file: run one process per DuckDB file until events move to ClickHouse',
      );
    }
    return engines(events, metadata);
  } catch (err) {
    if (events) await events.close();
    else await db?.close();
    await pg?.close();
    throw err;
  }
}

/** Events in ClickHouse, everything else in PostgreSQL: any number of processes. */
async function openScaledOut(opts: EngineOptions, eventsUrl: string): Promise<Engines> {
  if (!opts.databaseUrl) throw new ConfigError('KOHORT_EVENTS_URL is set but KOHORT_DATABASE_URL is not: set both or neither');
  const pg = await openMetadataPostgres(opts.databaseUrl);
  try {
    let events: EventsEngine;
    try {
      events = await openClickHouseEventsEngine(eventsUrl, { pg, adapters: CLICKHOUSE_ADAPTERS });
    } catch (err) {
      throw new ConfigError(`KOHORT_EVENTS_URL: cannot use ClickHouse at ${redactUrl(eventsUrl)}: ${(err as Error)?.message || String(err)}`);
    }
    opts.log.info(
      { postgres: redactUrl(opts.databaseUrl), clickhouse: redactUrl(eventsUrl) },
      'events, traits and member sets in ClickHouse; metadata (cohorts, exports, syncs, accounts, collaborators, workflows, leases, identity) in PostgreSQL: any number of processes may share them',
    );
    return engines(events, await openMetadataStores(undefined, pg, opts.legacySecrets));
  } catch (err) {
    await pg.close();
    throw err;
  }
}

function engines(events: EventsEngine, metadata: MetadataStores): Engines {
  return {
    events,
    metadata,
    async close() {
      await events.close();
      await metadata.close();
    },
  };
}
