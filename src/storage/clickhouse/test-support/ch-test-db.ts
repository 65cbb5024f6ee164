/**
 * The throwaway server of `.ci/clickhouse.sh` (which `.ci/run` always starts).
 * Locally, without it, the ClickHouse-server suites are skipped with a message
 * saying so. Each caller gets a fresh database, dropped when closed.
 */
import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '../client';
import { connectClickHouseHttp } from '../http-client';

export const CH_URL = process.env.KOHORT_TEST_CLICKHOUSE_URL;

let warned = false;
/** For describe.skipIf: true (with one warning per file) when no test ClickHouse is configured. */
export function noClickHouse(): boolean {
  if (!CH_URL && !warned) {
    warned = true;
    console.warn('KOHORT_TEST_CLICKHOUSE_URL is not set: ClickHouse-server suites skipped (run them with `.ci/clickhouse.sh npx vitest run <files>`)');
  }
  return !CH_URL;
}

/** A client on a fresh database of the test server; closing it drops the database. */
export async function freshClickHouseDatabase(): Promise<ClickHouseClient> {
  if (!CH_URL) throw new Error('KOHORT_TEST_CLICKHOUSE_URL is not set');
  const name = `kohort_t_${randomBytes(6).toString('hex')}`;
  const url = new URL(CH_URL);
  url.pathname = `/${name}`;
  const client = await connectClickHouseHttp(url.toString());
  return {
    ...client,
    async close() {
      await client.command(`DROP DATABASE IF EXISTS ${name}`);
      await client.close();
    },
  };
}

const freshUrls: string[] = [];

/** The URL of a fresh database on the test server (created by the first client that connects); `dropFreshDatabases` removes them. */
export function freshClickHouseDatabaseUrl(): string {
  if (!CH_URL) throw new Error('KOHORT_TEST_CLICKHOUSE_URL is not set');
  const url = new URL(CH_URL);
  url.pathname = `/kohort_t_${randomBytes(6).toString('hex')}`;
  freshUrls.push(url.pathname.slice(1));
  return url.toString();
}

/** Drops every database handed out by freshClickHouseDatabaseUrl (afterAll). */
export async function dropFreshDatabases(): Promise<void> {
  if (!CH_URL || !freshUrls.length) return;
  const admin = await connectClickHouseHttp(CH_URL);
  try {
    for (const name of freshUrls.splice(0)) await admin.command(`DROP DATABASE IF EXISTS ${name}`);
  } finally {
    await admin.close();
  }
}
