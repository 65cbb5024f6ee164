/**
 * Analytics reads port: runs one compiled chart query (analytics compiler)
 * and hands back its rows. Adapters (DuckDB today) implement it.
 */
import type { CompiledQuery } from './cohort-store.js';

export interface AnalyticsReads {
  rows(q: CompiledQuery): Promise<Record<string, unknown>[]>;
}
