/**
 * Reads that stop the server's statement when their signal aborts (the query
 * limiter's time limit). The client speaks plain SQL text over HTTP, and 18.16
 * neither stops a statement when its HTTP client goes away nor lets SQL set a
 * query id, so each statement carries a comment with a random marker and an
 * abort sends `KILL QUERY` for the statements whose text holds it. The read
 * settles only once the server answered (cancelled), so a caller waiting for
 * it knows the engine really stopped.
 */
import { randomBytes } from 'node:crypto';
import { quoteClickHouseString } from '../../cohort/dialects/clickhouse-literals';
import type { ClickHouseClient } from './client';

export class QueryInterruptedError extends Error {
  constructor(cause: unknown) {
    super(`query interrupted: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'QueryInterruptedError';
  }
}

export interface CancellableReads {
  query<T>(sql: string): Promise<T[]>;
  command(sql: string): Promise<void>;
}

/**
 * Statements of one request, all stopped when `signal` aborts. Without a signal
 * it is the client itself.
 */
export function cancellable(client: ClickHouseClient, signal?: AbortSignal): CancellableReads {
  if (!signal) return client;
  // Hex only: the marker is safe inside a comment and a literal.
  const marker = `kohort-q:${randomBytes(8).toString('hex')}`;
  let inFlight = 0;
  let killing = false;
  // Repeated while statements of this request run: one that had not reached the server's
  // process list when the first KILL ran is caught by the next.
  const kill = async () => {
    if (killing) return;
    killing = true;
    // The marker is split in the KILL statement's own text so that it does not match itself.
    const half = marker.length >> 1;
    const stmt = `KILL QUERY WHERE position(query, concat(${quoteClickHouseString(marker.slice(0, half))}, ${quoteClickHouseString(marker.slice(half))})) > 0 ASYNC`;
    while (inFlight > 0) {
      await client.command(stmt).catch(() => undefined);
      if (inFlight > 0) await new Promise((r) => setTimeout(r, 200));
    }
    killing = false;
  };
  signal.addEventListener('abort', () => void kill(), { once: true });

  async function run<T>(fn: () => Promise<T>): Promise<T> {
    signal!.throwIfAborted();
    inFlight++;
    try {
      return await fn();
    } catch (err) {
      if (signal!.aborted) throw new QueryInterruptedError(err);
      throw err;
    } finally {
      inFlight--;
    }
  }
  return {
    query: <T>(sql: string) => run(() => client.query<T>(`/* ${marker} */ ${sql}`)),
    command: (sql: string) => run(() => client.command(`/* ${marker} */ ${sql}`)),
  };
}
