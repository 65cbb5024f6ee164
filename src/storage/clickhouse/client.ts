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
  /**
   * Rows already written as `TabSeparated` text (one line each, in the order of
   * `columns`) appended in one INSERT: for the events of ingestion, where building
   * and serializing row objects cost more than the rest of a write (event-rows.ts).
   */
  insertTsv(table: string, columns: readonly string[], text: string): Promise<void>;
  close(): Promise<void>;
}

/** A table name as the adapters write them: plain identifiers only, never input. */
export function tableName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid table name ${JSON.stringify(name)}`);
  return name;
}

/** `INSERT INTO table (a, b) FORMAT TabSeparated` for plain identifiers only. */
export function tsvInsert(table: string, columns: readonly string[]): string {
  return `INSERT INTO ${tableName(table)} (${columns.map(tableName).join(', ')}) FORMAT TabSeparated`;
}

export function jsonEachRow(rows: readonly Record<string, unknown>[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n');
}

export function parseJsonEachRow<T>(text: string): T[] {
  const out: T[] = [];
  for (const line of text.split('\n')) if (line.trim()) out.push(JSON.parse(line) as T);
  return out;
}
