import pg from 'pg';

/** One versioned schema change; applied once, recorded by id. Never edit a shipped one: add one. */
export interface PgMigration {
  id: string;
  sql: string;
}

/** A statement runner: the pool, or one client inside a transaction. */
export interface PgQueryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

export interface PgDatabase extends PgQueryable {
  readonly pool: pg.Pool;
  /** BEGIN ... COMMIT on one client around fn; ROLLBACK when it throws. */
  tx<T>(fn: (c: PgQueryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Any key: every Kohort process takes this one lock around its migrations. */
const MIGRATION_LOCK = 7_301_113_001;

// Counts and sequence numbers are int8; they stay far below 2^53, so numbers (not strings) are safe.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

function queryable(c: pg.Pool | pg.PoolClient): PgQueryable {
  return {
    async query<T>(sql: string, params: unknown[] = []) {
      return (await c.query(sql, params)).rows as T[];
    },
  };
}

/**
 * Applies every list's migrations in order, under an advisory lock so that
 * processes starting together neither race nor apply one twice.
 */
async function migrate(pool: pg.Pool, lists: readonly (readonly PgMigration[])[]): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
      const done = new Set((await c.query<{ id: string }>('SELECT id FROM schema_migrations')).rows.map((r) => r.id));
      for (const list of lists) {
        for (const m of list) {
          if (done.has(m.id)) continue;
          await c.query('BEGIN');
          try {
            await c.query(m.sql);
            await c.query('INSERT INTO schema_migrations (id) VALUES ($1)', [m.id]);
            await c.query('COMMIT');
          } catch (err) {
            await c.query('ROLLBACK').catch(() => undefined);
            throw new Error(`migration ${m.id} failed: ${(err as Error).message}`);
          }
        }
      }
    } finally {
      await c.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    c.release();
  }
}

/**
 * Connects to PostgreSQL (`postgres://user:password@host:port/db`) and applies
 * the given migrations. `schema` puts every table in that schema (created if
 * missing): tests use one schema each on a shared cluster.
 */
export async function openPostgres(
  url: string,
  migrations: readonly (readonly PgMigration[])[],
  opts: { schema?: string; max?: number } = {},
): Promise<PgDatabase> {
  if (opts.schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(opts.schema)) throw new Error('invalid schema name');
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    types,
    ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
  });
  // An idle client losing its server (restart, failover) must not crash the process.
  pool.on('error', () => undefined);
  if (opts.schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${opts.schema}`);
  await migrate(pool, migrations);
  const self = queryable(pool);
  return {
    pool,
    query: self.query,
    async tx(fn) {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        try {
          const out = await fn(queryable(c));
          await c.query('COMMIT');
          return out;
        } catch (err) {
          await c.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
      } finally {
        c.release();
      }
    },
    close: () => pool.end(),
  };
}

/** A unique-constraint violation (SQLSTATE 23505), optionally of one named constraint. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string };
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint);
}
