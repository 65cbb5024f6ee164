/**
 * The ClickHouse adapters the engine composes (clickhouse-engine.ts): events
 * written through the ClickHouse write path with identity and dedup claims in
 * PostgreSQL (the metadata database, shared by every process), read back by the
 * ClickHouse read adapters; the live stream polls ClickHouse so that it shows
 * what every process ingested, not only this one.
 */
import { clickhouseAnalyticsDialect } from '../../analytics/dialects/clickhouse.js';
import { createPgEventDedup } from '../postgres/event-dedup.js';
import { createPgIdentityStore } from '../postgres/identity-store.js';
import { createClickHouseAnalyticsReads } from './analytics-reads.js';
import type { ClickHouseAdapters } from './clickhouse-engine.js';
import { createClickHouseEventStore } from './clickhouse-event-store.js';
import { createClickHouseCohortInsightReads } from './cohort-insight-reads.js';
import { createClickHouseContactReads } from './contact-reads.js';
import { createClickHouseEventReads } from './event-reads.js';
import { createClickHouseLiveStream } from './live-stream.js';
import { createClickHouseMemberExportReads } from './member-export-reads.js';
import { createClickHouseMembershipStore } from './membership-store.js';

/** How often a worker process forgets dedup claims older than the 7-day window. */
const DEDUP_PRUNE_MS = 3_600_000;

export const CLICKHOUSE_ADAPTERS: ClickHouseAdapters = {
  analyticsDialect: clickhouseAnalyticsDialect,
  async eventStore(client, pg) {
    const store = await createClickHouseEventStore({
      client,
      identity: createPgIdentityStore(pg),
      dedup: createPgEventDedup(pg),
      reads: createClickHouseEventReads(client),
    });
    const live = createClickHouseLiveStream(client);
    let timer: NodeJS.Timeout | undefined;
    return {
      ...store,
      subscribe: (listener) => live.subscribe(listener),
      startBackground() {
        timer = setInterval(() => void store.pruneDedup().catch(() => undefined), DEDUP_PRUNE_MS);
        timer.unref();
      },
      async close() {
        if (timer) clearInterval(timer);
        live.close();
        await store.close();
      },
    };
  },
  membershipStore: (client) => createClickHouseMembershipStore(client),
  insight: (client) => createClickHouseCohortInsightReads(client),
  analytics: (client) => createClickHouseAnalyticsReads(client),
  contacts: (client) => createClickHouseContactReads(client),
  memberExports: (client) => createClickHouseMemberExportReads(client),
};
