/**
 * The few operations the ClickHouse adapters need, over any transport: the HTTP
 * interface of a server (`http-client.ts`), or chdb in-process for tests. SQL
 * sent here is complete text (values inlined by the dialect's literal function,
 * `toClickHouseSql`); rows are JSON objects (64-bit integers arrive as strings).
 */
export interface ClickHouseClient {
  /** A statement without a result (DDL, ALTER). */
  command(sql: string): Promise<void>;
  /**
   * A SELECT; its rows. `signal` aborted: the statement is stopped on the engine
   * (where the transport can) and the promise rejects.
   */
  query<T = Record<string, unknown>>(sql: string, opts?: { signal?: AbortSignal }): Promise<T[]>;
  /** Rows appended to a table in one INSERT (JSONEachRow). */
  insert(table: string, rows: readonly Record<string, unknown>[]): Promise<void>;
  close(): Promise<void>;
}

/** A table name as the adapters write them: plain identifiers only, never input. */
export function tableName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid table name ${JSON.stringify(name)}`);
  return name;
}

export function jsonEachRow(rows: readonly Record<string, unknown>[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n');
}

export function parseJsonEachRow<T>(text: string): T[] {
  const out: T[] = [];
  for (const line of text.split('\n')) if (line.trim()) out.push(JSON.parse(line) as T);
  return out;
}
