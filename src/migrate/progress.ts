/**
 * Where `kohort migrate` keeps its progress: in the target PostgreSQL, next to
 * the data it copies, so a run killed at any point restarts where it stopped.
 * - `kohort_migrate_source`: which store is being (or was) copied here (a
 *   fingerprint of its contents), and the version given to copied member sets;
 * - `kohort_migrate_progress`: per table, how many source rows (in the export's
 *   fixed order) are copied, and how many after those a ClickHouse write was
 *   started for (recorded before the write: they may be in already).
 * A PostgreSQL chunk and its progress are one transaction; a ClickHouse chunk is
 * recorded after it is written (see copy-plan.ts for how a repeat is avoided).
 */
import type { PgMigration, PgQueryable } from '../storage/postgres/database.js';

export const MIGRATE_PROGRESS_MIGRATIONS: readonly PgMigration[] = [
  {
    id: 'kohort-migrate-001-progress',
    sql: `
    CREATE TABLE kohort_migrate_source (
      id integer PRIMARY KEY CHECK (id = 1),
      fingerprint text NOT NULL,
      member_version bigint NOT NULL,
      started_at timestamptz NOT NULL,
      finished_at timestamptz
    );
    CREATE TABLE kohort_migrate_progress (
      table_name text PRIMARY KEY,
      done bigint NOT NULL,
      inflight bigint NOT NULL DEFAULT 0,
      finished boolean NOT NULL DEFAULT false
    );
    `,
  },
];

export interface MigrateSource {
  fingerprint: string;
  memberVersion: number;
  finishedAt: Date | null;
}

export interface TableProgress {
  done: number;
  /** Rows after `done` whose ClickHouse write started and was not recorded as done. */
  inflight: number;
  finished: boolean;
}

export async function readSource(q: PgQueryable): Promise<MigrateSource | null> {
  const [r] = await q.query<{ fingerprint: string; member_version: number; finished_at: Date | null }>(
    'SELECT fingerprint, member_version, finished_at FROM kohort_migrate_source WHERE id = 1',
  );
  return r ? { fingerprint: r.fingerprint, memberVersion: Number(r.member_version), finishedAt: r.finished_at } : null;
}

export async function recordSource(q: PgQueryable, fingerprint: string, memberVersion: number): Promise<void> {
  await q.query('INSERT INTO kohort_migrate_source (id, fingerprint, member_version, started_at) VALUES (1, $1, $2, now())', [fingerprint, memberVersion]);
}

export async function markSourceFinished(q: PgQueryable): Promise<void> {
  await q.query('UPDATE kohort_migrate_source SET finished_at = now() WHERE id = 1');
}

export async function readProgress(q: PgQueryable, table: string): Promise<TableProgress> {
  const [r] = await q.query<{ done: number; inflight: number; finished: boolean }>(
    'SELECT done, inflight, finished FROM kohort_migrate_progress WHERE table_name = $1',
    [table],
  );
  return r ? { done: Number(r.done), inflight: Number(r.inflight), finished: r.finished } : { done: 0, inflight: 0, finished: false };
}

export async function recordProgress(q: PgQueryable, table: string, p: TableProgress): Promise<void> {
  await q.query(
    `INSERT INTO kohort_migrate_progress (table_name, done, inflight, finished) VALUES ($1, $2, $3, $4)
     ON CONFLICT (table_name) DO UPDATE SET done = excluded.done, inflight = excluded.inflight, finished = excluded.finished`,
    [table, p.done, p.inflight, p.finished],
  );
}
