/**
 * Analytics reads port: runs one compiled chart query (analytics compiler)
 * and hands back its rows. Adapters (DuckDB today) implement it.
 */
import type { CompiledQuery } from './cohort-store.js';

export interface AnalyticsReads {
  /** `signal` (the query limiter's): aborting it interrupts the engine's statement. */
  rows(q: CompiledQuery, signal?: AbortSignal): Promise<Record<string, unknown>[]>;
}
