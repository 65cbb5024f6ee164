/**
 * ClickHouse over its HTTP interface (`http://user:password@host:8123/db`), with
 * Node's fetch: no client library, because the current one speaks only to
 * releases far newer than Debian's 18.16. Credentials go in a Basic header
 * (never in the query string, which servers log); the database from the path
 * is created when missing.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { quoteClickHouseString } from '../../cohort/dialects/clickhouse-literals';
import { jsonEachRow, parseJsonEachRow, tableName, tsvInsert, type ClickHouseClient } from './client';

export class ClickHouseHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ClickHouseHttpError';
  }
}

export interface ClickHouseHttpOptions {
  /** Per-request timeout (ms). */
  timeoutMs?: number;
}

export async function connectClickHouseHttp(url: string, opts: ClickHouseHttpOptions = {}): Promise<ClickHouseClient> {
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('ClickHouse URL must be http(s)://');
  const database = decodeURIComponent(u.pathname.replace(/^\/+|\/+$/g, '')) || 'default';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) throw new Error('ClickHouse database name must be a plain identifier');
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
  if (u.username) {
    const auth = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
    headers.authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
  }
  const base = `${u.protocol}//${u.host}/`;
  const timeoutMs = opts.timeoutMs ?? 120_000;

  async function post(query: string | undefined, body: string, db: string | null, cancel?: { signal: AbortSignal; queryId: string }): Promise<string> {
    const params = new URLSearchParams();
    if (db) params.set('database', db);
    if (query !== undefined) params.set('query', query);
    if (cancel) params.set('query_id', cancel.queryId);
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = cancel ? AbortSignal.any([timeout, cancel.signal]) : timeout;
    const res = await fetch(`${base}?${params.toString()}`, { method: 'POST', headers, body, signal });
    const text = await res.text();
    if (!res.ok) throw new ClickHouseHttpError(res.status, `ClickHouse error ${res.status}: ${text.trim().slice(0, 2000)}`);
    return text;
  }

  /*
   * Inserts of ingestion go through node:http on kept-alive connections: fetch turned each
   * body of megabytes into a stream of encoded chunks (a copy and many writes per insert),
   * which cost as much CPU as building the rows. Idle sockets do not hold the process open.
   */
  const transport = u.protocol === 'https:' ? https : http;
  // Idle sockets are closed after 2 s, before ClickHouse's own keep-alive timeout (3 s by default)
  // can close one just as an insert is sent on it.
  const agent = new transport.Agent({ keepAlive: true, timeout: 2_000 });
  agent.on('free', (socket) => socket.unref());
  function postBody(query: string, body: string): Promise<void> {
    const params = new URLSearchParams({ database, query });
    return new Promise((resolve, reject) => {
      const req = transport.request(
        `${base}?${params.toString()}`,
        { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) }, signal: AbortSignal.timeout(timeoutMs) },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('error', reject);
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve();
            else reject(new ClickHouseHttpError(status, `ClickHouse error ${status}: ${text.trim().slice(0, 2000)}`));
          });
        },
      );
      req.on('socket', (socket) => socket.ref());
      req.on('error', reject);
      req.end(body);
    });
  }

  await post(undefined, `CREATE DATABASE IF NOT EXISTS ${database}`, null);
  return {
    async command(sql) {
      await post(undefined, sql, database);
    },
    async query<T>(sql: string, opts?: { signal?: AbortSignal }) {
      const signal = opts?.signal;
      if (!signal) return parseJsonEachRow<T>(await post(undefined, `${sql}\nFORMAT JSONEachRow`, database));
      signal.throwIfAborted();
      // A server goes on running a query whose HTTP request was dropped (18.16 has no
      // cancel-on-close for HTTP): the query gets an id and an abort kills it by that id.
      const queryId = randomUUID();
      const kill = () => {
        post(undefined, `KILL QUERY WHERE query_id = ${quoteClickHouseString(queryId)} ASYNC`, null).catch(() => undefined);
      };
      signal.addEventListener('abort', kill, { once: true });
      try {
        return parseJsonEachRow<T>(await post(undefined, `${sql}\nFORMAT JSONEachRow`, database, { signal, queryId }));
      } finally {
        signal.removeEventListener('abort', kill);
      }
    },
    async insert(table, rows) {
      if (!rows.length) return;
      await post(`INSERT INTO ${tableName(table)} FORMAT JSONEachRow`, jsonEachRow(rows), database);
    },
    async insertTsv(table, columns, text) {
      if (!text) return;
      await postBody(tsvInsert(table, columns), text);
    },
    async close() {
      agent.destroy();
    },
  };
}
