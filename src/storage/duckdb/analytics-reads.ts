import type { AnalyticsReads } from '../analytics-reads.js';
import type { ReadPool } from './database.js';

/** Chart queries on the read pool: they only read, and never hold up ingestion. */
export function createDuckDBAnalyticsReads(reads: ReadPool): AnalyticsReads {
  return { rows: (q, signal) => reads.rows(q.sql, q.params, signal) };
}
