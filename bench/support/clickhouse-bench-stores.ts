/**
 * Throwaway PostgreSQL + ClickHouse databases for the clickhouse-2m case: a fresh
 * database on each server (so the case never touches anything else there), filled by
 * `kohort migrate --from <data dir>` in a child process (timed), and the ClickHouse
 * events engine opened over them as `kohort serve` opens it (open-engines.ts).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openMetadataPostgres } from '../../src/metadata-stores.js';
import { CLICKHOUSE_ADAPTERS } from '../../src/storage/clickhouse/clickhouse-adapters.js';
import { openClickHouseEventsEngine } from '../../src/storage/clickhouse/clickhouse-engine.js';
import { connectClickHouseHttp } from '../../src/storage/clickhouse/http-client.js';
import type { EventsEngine } from '../../src/storage/events-engine.js';
import type { PgDatabase } from '../../src/storage/postgres/database.js';
import { runCli } from './processes.js';

/** The servers from the environment (the bench's own, else the tests'), or undefined. */
export function benchServers(env: NodeJS.ProcessEnv = process.env): { databaseUrl: string; clickhouseUrl: string } | undefined {
  const databaseUrl = env.KOHORT_BENCH_DATABASE_URL ?? env.KOHORT_TEST_DATABASE_URL;
  const clickhouseUrl = env.KOHORT_BENCH_CLICKHOUSE_URL ?? env.KOHORT_TEST_CLICKHOUSE_URL;
  return databaseUrl && clickhouseUrl ? { databaseUrl, clickhouseUrl } : undefined;
}

export interface BenchTargets {
  /** KOHORT_DATABASE_URL and KOHORT_EVENTS_URL of the fresh databases. */
  databaseUrl: string;
  eventsUrl: string;
  drop(): Promise<void>;
}

/** A fresh PostgreSQL database and ClickHouse database of the same generated name. */
export async function freshTargets(servers: { databaseUrl: string; clickhouseUrl: string }): Promise<BenchTargets> {
  const name = `kohort_bench_${randomBytes(4).toString('hex')}`; // [a-z0-9_]: safe as an identifier
  const admin = new pg.Client({ connectionString: servers.databaseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const databaseUrl = withPath(servers.databaseUrl, name);
  const eventsUrl = withPath(servers.clickhouseUrl, name);
  return {
    databaseUrl,
    eventsUrl,
    async drop() {
      const ch = await connectClickHouseHttp(servers.clickhouseUrl);
      await ch.command(`DROP DATABASE IF EXISTS ${name}`).finally(() => ch.close());
      const c = new pg.Client({ connectionString: servers.databaseUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name}`);
      } finally {
        await c.end();
      }
    },
  };
}

const withPath = (url: string, path: string) => {
  const u = new URL(url);
  u.pathname = `/${path}`;
  return u.toString();
};

/** `kohort migrate --from dir` into the targets; wall time of the child process in ms and its report lines. */
export async function migrateInto(dir: string, t: BenchTargets, log: (line: string) => void): Promise<{ ms: number; report: string[] }> {
  const t0 = performance.now();
  let last = 0;
  const { output } = await runCli(['migrate', '--from', dir], { KOHORT_DATABASE_URL: t.databaseUrl, KOHORT_EVENTS_URL: t.eventsUrl }, (line) => {
    // Progress lines come every 20,000 rows: echo one in ten seconds.
    if (!/^\s+\w+: [\d,]+ \/ [\d,]+$/.test(line) || performance.now() - last > 10_000) {
      last = performance.now();
      log(line.trim());
    }
  });
  const ms = performance.now() - t0;
  // The report's table lines of the tables that had rows (and any mismatch).
  const report = output.split('\n').filter((l) => /MISMATCH/.test(l) || /^\S+(?: \(\w+\))?\s+\S+\s+[1-9]\d*\s+\d+\s*$/.test(l));
  return { ms, report };
}

/**
 * Merges the parts a migrate wrote (`OPTIMIZE TABLE … FINAL`; its time in ms). A copy writes a
 * part per month partition per chunk, thousands at 20M events, and queries over them are slow
 * until ClickHouse has merged them in the background: this is the table in its steady state.
 */
export async function mergeParts(eventsUrl: string): Promise<{ ms: number; parts: number }> {
  const ch = await connectClickHouseHttp(eventsUrl, { timeoutMs: 3_600_000 });
  try {
    const t0 = performance.now();
    for (const table of ['events', 'user_traits', 'users']) await ch.command(`OPTIMIZE TABLE ${table} FINAL`);
    const ms = performance.now() - t0;
    const [r] = await ch.query<{ n: string }>("SELECT toString(count()) AS n FROM system.parts WHERE database = currentDatabase() AND table = 'events' AND active");
    return { ms, parts: Number(r.n) };
  } finally {
    await ch.close();
  }
}

/** Rows of the ClickHouse events table. */
export async function countEvents(eventsUrl: string): Promise<number> {
  const ch = await connectClickHouseHttp(eventsUrl);
  try {
    const [r] = await ch.query<{ n: string }>('SELECT toString(count()) AS n FROM events');
    return Number(r.n);
  } finally {
    await ch.close();
  }
}

/** The ClickHouse events engine over the targets, as a serving process opens it. */
export async function openClickHouseSide(t: BenchTargets): Promise<{ engine: EventsEngine; pg: PgDatabase; close(): Promise<void> }> {
  const pgdb = await openMetadataPostgres(t.databaseUrl);
  const engine = await openClickHouseEventsEngine(t.eventsUrl, { pg: pgdb, adapters: CLICKHOUSE_ADAPTERS });
  return {
    engine,
    pg: pgdb,
    async close() {
      await engine.close();
      await pgdb.close();
    },
  };
}
