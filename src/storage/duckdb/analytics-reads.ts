import type { AnalyticsReads } from '../analytics-reads.js';
import type { ReadPool } from './database.js';
import { rowsOverEvents } from './sorted-events.js';

/** Chart queries on the read pool: they only read, and never hold up ingestion. */
export function createDuckDBAnalyticsReads(reads: ReadPool): AnalyticsReads {
  return { rows: (q, signal) => rowsOverEvents(reads, q.sql, q.params, signal) };
}
