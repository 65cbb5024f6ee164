/**
 * The ClickHouse adapters the engine composes (clickhouse-engine.ts). None
 * is wired in this build: they land on their own branches (write path and
 * PostgreSQL identity/dedup: chwrite; reads, contacts, member exports:
 * chreads; member sets, insight, analytics: chmember). Wiring them is this
 * one value (names as on those branches):
 *
 *   export const CLICKHOUSE_ADAPTERS: ClickHouseAdapters = {
 *     analyticsDialect: clickhouseAnalyticsDialect,            // analytics/dialects/clickhouse.ts
 *     eventStore: async (client, pg) => {
 *       const store = await createClickHouseEventStore({
 *         client,
 *         identity: createPgIdentityStore(pg),                  // postgres/identity-store.ts
 *         dedup: createPgEventDedup(pg),                        // postgres/event-dedup.ts
 *         reads: createClickHouseEventReads(client),            // clickhouse/event-reads.ts
 *       });
 *       // Dedup claims older than 7 days are forgotten by whichever worker runs background work.
 *       return { ...store, startBackground: () => void setInterval(() => void store.pruneDedup(), 3_600_000).unref() };
 *     },
 *     membershipStore: (client) => createClickHouseMembershipStore(client),
 *     insight: (client) => createClickHouseCohortInsightReads(client),
 *     analytics: (client) => createClickHouseAnalyticsReads(client),
 *     contacts: (client) => createClickHouseContactReads(client),
 *     memberExports: (client) => createClickHouseMemberExportReads(client),
 *   };
 *
 * plus PG_IDENTITY_MIGRATIONS in PG_METADATA_MIGRATIONS (metadata-stores.ts).
 * (`subscribe` of that event store sees this process's writes; chreads'
 * createClickHouseLiveStream sees every process's.)
 */
import type { ClickHouseAdapters } from './clickhouse-engine.js';

export const CLICKHOUSE_ADAPTERS: ClickHouseAdapters | undefined = undefined;
