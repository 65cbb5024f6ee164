import type { DuckDBConnection, DuckDBType } from '@duckdb/node-api';

/** Helpers shared by the workflow store and its action queue. */
export type Row = Record<string, unknown>;
export type Query = (sql: string, params?: unknown[], types?: DuckDBType[]) => Promise<Row[]>;

export const queryOn = (c: DuckDBConnection): Query => async (sql, params = [], types) =>
  (await c.runAndReadAll(sql, params as never, types)).getRowObjectsJS() as Row[];
