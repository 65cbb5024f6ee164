import type { DuckDBConnection } from '@duckdb/node-api';
import { rowsOn, type ReadPool } from './database.js';

/**
 * Reads of compiled definitions over the sorted events alone when nothing is
 * waiting in the tail.
 *
 * `events_all` (hot-columns.ts) is `events UNION ALL` a branch over `events_tail`
 * that computes every hot column from the JSON. DuckDB binds that branch for
 * every query, empty tail or not: about 3 ms per statement, a third of the brief
 * example's preview at 2M events and a tenth at 20M. A second view of the same
 * name in the schema `kohort_sorted` reads `events` only. A read checks the tail
 * and runs the compiled SQL in one transaction (one snapshot): when the tail is
 * empty, `kohort_sorted` goes first on the search path for that statement, so the
 * same SQL text reads the same rows without the tail branch. The search path is
 * a connection setting (not rolled back), so it is reset before the connection
 * is handed to anyone else.
 */
export const SORTED_SCHEMA = 'kohort_sorted';

/** The statements that (re)create the sorted-only view, for `events`' current columns. */
export function sortedViewStatements(allColumns: string): string[] {
  return [`CREATE SCHEMA IF NOT EXISTS ${SORTED_SCHEMA}`, `CREATE OR REPLACE VIEW ${SORTED_SCHEMA}.events_all AS SELECT ${allColumns} FROM main.events`];
}

/**
 * Rows of `sql` (which reads `events_all`) at one snapshot. `between` runs after
 * the tail check, before the query (tests use it to commit in between).
 */
export async function rowsOverEvents<T = Record<string, unknown>>(
  reads: ReadPool,
  sql: string,
  params: unknown[] = [],
  signal?: AbortSignal,
  between?: () => Promise<void>,
): Promise<T[]> {
  if (!/\bevents_all\b/.test(sql)) return reads.rows<T>(sql, params, signal);
  return reads.pick().use(async (c) => {
    await c.run('BEGIN TRANSACTION');
    let sortedOnly = false;
    try {
      const tail = await c.runAndReadAll('SELECT 1 FROM main.events_tail LIMIT 1');
      // A file opened read-only before this view existed has no such schema: read through the union.
      if (tail.currentRowCount === 0) sortedOnly = await setPath(c, `${SORTED_SCHEMA},main`);
      await between?.();
      return await rowsOn<T>(c, sql, params, signal);
    } finally {
      if (sortedOnly) await c.run('RESET search_path');
      await c.run('ROLLBACK');
    }
  });
}

async function setPath(c: DuckDBConnection, path: string): Promise<boolean> {
  try {
    await c.run(`SET search_path = '${path}'`);
    return true;
  } catch {
    return false;
  }
}
