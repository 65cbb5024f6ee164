import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll } from 'vitest';
import { openPostgres, type PgDatabase, type PgMigration } from '../database.js';

/**
 * The throwaway cluster of `.ci/postgres.sh` (which `.ci/run` always starts).
 * Locally, without it, PostgreSQL suites are skipped with a message saying so.
 */
export const PG_URL = process.env.KOHORT_TEST_DATABASE_URL;

let warned = false;
/** For describe.skipIf: true (with one warning per file) when no test PostgreSQL is configured. */
export function noPostgres(): boolean {
  if (!PG_URL && !warned) {
    warned = true;
    console.warn('KOHORT_TEST_DATABASE_URL is not set: PostgreSQL suites skipped (run them with `.ci/postgres.sh npx vitest run <files>`)');
  }
  return !PG_URL;
}

const schemas: string[] = [];
const dbs: PgDatabase[] = [];

/** A fresh schema on the test cluster with these migrations applied; dropped after the file. */
export async function freshPgDatabase(migrations: readonly (readonly PgMigration[])[], opts: { max?: number } = {}): Promise<PgDatabase> {
  if (!PG_URL) throw new Error('KOHORT_TEST_DATABASE_URL is not set');
  const schema = `t_${randomBytes(6).toString('hex')}`;
  schemas.push(schema);
  const db = await openPostgres(PG_URL, migrations, { schema, max: opts.max ?? 4 });
  dbs.push(db);
  return db;
}

/** The URL and a fresh schema name, for code that opens its own pools (servers in child processes). */
export function freshPgSchema(): string {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  schemas.push(schema);
  return schema;
}

const databases: string[] = [];

/** A fresh database on the test cluster (for code given only a URL, like `KOHORT_DATABASE_URL`); dropped after the file. */
export async function freshPgDatabaseUrl(): Promise<string> {
  if (!PG_URL) throw new Error('KOHORT_TEST_DATABASE_URL is not set');
  const name = `kohort_${randomBytes(6).toString('hex')}`;
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  databases.push(name);
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

afterAll(async () => {
  await Promise.all(dbs.splice(0).map((d) => d.close().catch(() => undefined)));
  if (!PG_URL || (!schemas.length && !databases.length)) return;
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    for (const s of schemas.splice(0)) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    for (const d of databases.splice(0)) await c.query(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`);
  } finally {
    await c.end();
  }
});
