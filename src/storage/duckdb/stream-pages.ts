import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { Handoff } from '../handoff';

/**
 * The first column (text, never null) of a query's rows, in pages of about `pageSize`, handed out
 * while the rest are still being fetched (DuckDB's streaming result, a chunk
 * of 2,048 rows at a time). The connection is held until every row is read,
 * whether or not the pages are consumed: a slow reader never holds it longer.
 * `dropRepeats`: a value equal to the one before is left out (a sorted query's
 * duplicates, without the engine's DISTINCT).
 */
export async function* streamTextPages(
  use: <R>(fn: (c: DuckDBConnection) => Promise<R>) => Promise<R>,
  sql: string,
  params: DuckDBValue[],
  pageSize = 10_000,
  opts: { dropRepeats?: boolean } = {},
): AsyncGenerator<string[]> {
  const pages = new Handoff<string[]>();
  const reading = use(async (c) => {
    const result = await c.stream(sql, params);
    let page: string[] = [];
    let prev: string | undefined;
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      const values = chunk.getColumnValues(0) as string[];
      if (!opts.dropRepeats) for (const v of values) page.push(v);
      else
        for (const v of values) {
          if (v !== prev) page.push(v);
          prev = v;
        }
      if (page.length >= pageSize) {
        pages.push(page);
        page = [];
      }
    }
    if (page.length) pages.push(page);
  }).then(
    () => pages.end(),
    (err: unknown) => pages.fail(err),
  );
  try {
    yield* pages.drain();
  } finally {
    await reading;
  }
}
