/**
 * A ClickHouseClient on chdb (ClickHouse 26.x in-process, a dev dependency), to
 * prove the dialect on a current release next to Debian's 18.16 server. One
 * session per process (a temp dir, deleted on close); vitest runs each file in
 * its own process.
 */
import { jsonEachRow, parseJsonEachRow, tableName, tsvInsert, type ClickHouseClient } from '../client';

export async function openChdbClient(): Promise<ClickHouseClient> {
  const { Session } = await import('chdb');
  const session = new Session();
  const run = async (sql: string, format?: string) => (await session.queryAsync(sql, format ? { format } : undefined)).text();
  return {
    async command(sql) {
      await run(sql);
    },
    // chdb cannot stop a statement once started: an aborted signal rejects before and after it.
    async query<T>(sql: string, opts?: { signal?: AbortSignal }) {
      opts?.signal?.throwIfAborted();
      const rows = parseJsonEachRow<T>(await run(sql, 'JSONEachRow'));
      opts?.signal?.throwIfAborted();
      return rows;
    },
    async insert(table, rows) {
      if (!rows.length) return;
      await run(`INSERT INTO ${tableName(table)} FORMAT JSONEachRow\n${jsonEachRow(rows)}`);
    },
    async insertTsv(table, columns, text) {
      if (!text) return;
      await run(`${tsvInsert(table, columns)}\n${text}`);
    },
    async close() {
      session.close();
    },
  };
}
