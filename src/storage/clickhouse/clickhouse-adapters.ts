/**
 * The ClickHouse adapters the engine composes (clickhouse-engine.ts). None
 * is wired in this build: the event write path, reads, contacts, member
 * exports, member sets, insight and analytics adapters land separately.
 * Wiring them is this one value, e.g.
 *
 *   export const CLICKHOUSE_ADAPTERS: ClickHouseAdapters = {
 *     analyticsDialect: clickhouseAnalyticsDialect,
 *     eventStore: (client, pg) => createClickHouseEventStore({ client, identity: …(pg), dedup: …(pg), reads: createClickHouseEventReads(client) }),
 *     membershipStore: (client, pg) => createClickHouseMembershipStore(client, …),
 *     insight: (client) => createClickHouseCohortInsightReads(client),
 *     analytics: (client) => createClickHouseAnalyticsReads(client),
 *     contacts: (client) => createClickHouseContactReads(client),
 *     memberExports: (client) => createClickHouseMemberExportReads(client),
 *   };
 */
import type { ClickHouseAdapters } from './clickhouse-engine.js';

export const CLICKHOUSE_ADAPTERS: ClickHouseAdapters | undefined = undefined;
