import type { DuckDBConnection } from '@duckdb/node-api';
import { appendEventRows, ChunkAppender, type EventRows } from './bulk-loader.js';

/**
 * The group commit's `events_tail` rows as one INSERT whose seven parameters are JSON arrays,
 * one per column, zipped back into rows by `unnest` (several unnests in one select list advance
 * together). Why not the appender: filling data chunks and flushing them runs on the JavaScript
 * thread, one native call per string and the row-group append itself (measured 1.6 us a row
 * there, and about a quarter of that thread's busy time in a profile of the http-ingest bench),
 * and that thread is what caps ingestion. Here the thread only serializes the arrays (0.3 us a
 * row); parsing them and appending runs in the statement, on the libuv pool, while the thread
 * parses the next requests.
 *
 * Exactness: numbers are integers below 2^53 (seq, uid, epoch milliseconds), printed and read
 * back exactly; strings go through JSON escaping and yyjson's unescaping, exact for well-formed
 * UTF-16, which they are: event names and message ids are validated without surrogates, and the
 * props text is JSON.stringify's output (lone surrogates escaped). props are JSON text already,
 * so they are carried as strings, not re-parsed into values and re-serialized.
 *
 * One exception: storing into the JSON column casts, and the cast rejects a lone surrogate
 * escape (`\ud874`), which JSON.stringify writes for a lone surrogate in a property (valid
 * input: only ids and event names refuse them), and so does from_json for any string. The
 * appender stores such text unchecked, as it always did; so a flush whose serialized columns
 * hold `\ud` anywhere (also matching an escaped backslash followed by "ud", harmlessly) takes
 * the appender instead of failing the whole group.
 */
const INSERT = `INSERT INTO events_tail (seq, uid, event, ts, props, received_at, message_id)
  SELECT unnest(from_json($1, '["BIGINT"]')), unnest(from_json($2, '["INTEGER"]')), unnest(from_json($3, '["VARCHAR"]')),
         epoch_ms(unnest(from_json($4, '["BIGINT"]'))), unnest(from_json($5, '["VARCHAR"]')), epoch_ms($6::BIGINT),
         unnest(from_json($7, '["VARCHAR"]'))`;

export async function insertEventRows(c: DuckDBConnection, rows: EventRows, receivedAtMs: number): Promise<void> {
  if (!rows.seq.length) return;
  const s = JSON.stringify;
  const [event, props, messageId] = [s(rows.event), s(rows.props), s(rows.messageId)];
  // Escaped once more inside the arrays: a surrogate escape of props shows as `\\ud`, which contains `\ud` too.
  if (!event.includes('\\ud') && !props.includes('\\ud') && !messageId.includes('\\ud')) {
    await c.run(INSERT, [s(rows.seq), s(rows.uid), event, s(rows.ts), props, String(receivedAtMs), messageId]);
    return;
  }
  const a = new ChunkAppender(await c.createAppender('events_tail'));
  try {
    appendEventRows(a, rows, receivedAtMs);
    a.appender.flushSync();
  } finally {
    a.close();
  }
}
