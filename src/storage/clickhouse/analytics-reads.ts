import type { AnalyticsReads } from '../analytics-reads';
import type { ClickHouseClient } from './client';
import { fragment, text } from './member-sets-sql';

/**
 * Chart queries (compiled with the ClickHouse analytics dialect) on ClickHouse: the
 * values inlined by the dialect's literal function; aborting `signal` kills the query.
 * 64-bit integers arrive as strings, which the charts' decoders read with Number().
 */
export function createClickHouseAnalyticsReads(client: ClickHouseClient): AnalyticsReads {
  return { rows: (q, signal) => client.query<Record<string, unknown>>(text(fragment(q)), { signal }) };
}
