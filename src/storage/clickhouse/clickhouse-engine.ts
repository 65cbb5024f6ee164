/**
 * The ClickHouse events engine (`KOHORT_EVENTS_URL`, docs/ARCHITECTURE.md):
 * the EventsEngine ports served by ClickHouse over its HTTP interface, with
 * identity and dedup claims in PostgreSQL (the metadata database), so every
 * process sees the same people and counts a repeated message once.
 *
 * The adapters are separate files; this one only composes them (the
 * composition root passes `CLICKHOUSE_ADAPTERS`, clickhouse-adapters.ts).
 */
import type { AnalyticsDialect } from '../../analytics/analytics-dialect.js';
import type { MaterializedProperty } from '../../cohort/dialect.js';
import { clickhouseDialect } from '../../cohort/dialects/clickhouse.js';
import type { AnalyticsReads } from '../analytics-reads.js';
import type { CohortInsightReads } from '../cohort-insight-reads.js';
import type { ContactReads } from '../contact-reads.js';
import type { EventStore } from '../event-store.js';
import type { EventsEngine } from '../events-engine.js';
import type { MemberExportReads } from '../member-export-reads.js';
import type { MembershipStore } from '../membership-store.js';
import type { PgDatabase } from '../postgres/database.js';
import type { ClickHouseClient } from './client.js';
import { connectClickHouseHttp } from './http-client.js';
import { migrateClickHouse } from './migrations.js';

/** What the event side of ClickHouse gives beyond the EventStore port. */
export interface ClickHouseEventSide extends EventStore {
  /** Property paths kept in typed columns now (the compilers read them). */
  materializedProperties(): MaterializedProperty[];
  /** Periodic work (dedup pruning, hot-column upkeep), when this process runs it. */
  startBackground?(): void;
}

/**
 * One factory per port. `pg` is the metadata database: the identity port and
 * the dedup claims live there (shared by every process).
 */
export interface ClickHouseAdapters {
  analyticsDialect: AnalyticsDialect;
  /** e.g. `createClickHouseEventStore({ client, identity, dedup, reads: createClickHouseEventReads(client) })`. */
  eventStore(client: ClickHouseClient, pg: PgDatabase): Promise<ClickHouseEventSide> | ClickHouseEventSide;
  /** e.g. `createClickHouseMembershipStore(client, …)`. */
  membershipStore(client: ClickHouseClient, pg: PgDatabase): Promise<MembershipStore> | MembershipStore;
  insight(client: ClickHouseClient, pg: PgDatabase): CohortInsightReads;
  analytics(client: ClickHouseClient): AnalyticsReads;
  contacts(client: ClickHouseClient): ContactReads;
  memberExports(client: ClickHouseClient): MemberExportReads;
}

export interface ClickHouseEngineDeps {
  /** The metadata database (KOHORT_DATABASE_URL is required with KOHORT_EVENTS_URL). */
  pg: PgDatabase;
  adapters: ClickHouseAdapters;
  /** A client (tests: chdb in-process); default: the HTTP interface at the URL. */
  client?: ClickHouseClient;
}

/** Held in PostgreSQL while the ClickHouse schema is migrated (the metadata migrations have their own). */
export const CLICKHOUSE_MIGRATION_LOCK = 7_301_113_002;

/**
 * Connects, migrates and composes the engine (the caller words connection
 * failures for the operator). Processes starting together migrate one at a
 * time: ClickHouse has no transactions or locks, and 18.16 no
 * `ADD COLUMN IF NOT EXISTS`, so a second concurrent run could fail midway.
 */
export async function openClickHouseEventsEngine(url: string, deps: ClickHouseEngineDeps): Promise<EventsEngine> {
  const client = deps.client ?? (await connectClickHouseHttp(url));
  try {
    await migrateClickHouseUnderLock(client, deps.pg);
    return await composeClickHouseEventsEngine(client, deps.pg, deps.adapters);
  } catch (err) {
    await client.close();
    throw err;
  }
}

/** The ports over one client. The client is the engine's: `close()` closes it after the event side. */
export async function composeClickHouseEventsEngine(client: ClickHouseClient, pg: PgDatabase, adapters: ClickHouseAdapters): Promise<EventsEngine> {
  const events = await adapters.eventStore(client, pg);
  let ports: Pick<EventsEngine, 'members' | 'insight' | 'analytics' | 'contacts' | 'memberExports'>;
  try {
    ports = {
      members: await adapters.membershipStore(client, pg),
      insight: adapters.insight(client, pg),
      analytics: adapters.analytics(client),
      contacts: adapters.contacts(client),
      memberExports: adapters.memberExports(client),
    };
  } catch (err) {
    await events.close();
    throw err;
  }
  return {
    name: 'clickhouse',
    dialect: clickhouseDialect,
    analyticsDialect: adapters.analyticsDialect,
    events,
    ...ports,
    materializedProperties: () => events.materializedProperties(),
    startBackground: () => events.startBackground?.(),
    async close() {
      await events.close();
      await client.close();
    },
  };
}


/** The ClickHouse migrations, one process at a time (also for `kohort migrate`, which may run beside serving processes). */
export function migrateClickHouseUnderLock(client: ClickHouseClient, pg: PgDatabase): Promise<void> {
  return underAdvisoryLock(pg, CLICKHOUSE_MIGRATION_LOCK, () => migrateClickHouse(client));
}

async function underAdvisoryLock(pg: PgDatabase, key: number, fn: () => Promise<void>): Promise<void> {
  // A session lock on one pooled client: held across the ClickHouse statements, released even when they fail.
  const c = await pg.pool.connect();
  try {
    await c.query('SELECT pg_advisory_lock($1)', [key]);
    try {
      await fn();
    } finally {
      await c.query('SELECT pg_advisory_unlock($1)', [key]);
    }
  } finally {
    c.release();
  }
}
