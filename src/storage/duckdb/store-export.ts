/**
 * Reading a whole embedded store out of its DuckDB file (`kohort migrate`),
 * table by table, in a fixed total order so a copy can stop after any chunk
 * and resume by skipping the rows already copied. The file is opened
 * READ_ONLY (database.ts `openDatabaseReadOnly`): nothing here writes it.
 *
 * Values come out as plain JS: times as epoch milliseconds (numbers), JSON
 * columns as their text, integers as numbers (all far below 2^53).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { ACCOUNT_MIGRATIONS } from './account-migrations.js';
import { COHORT_EXPORT_MIGRATIONS } from './cohort-export-migrations.js';
import { COHORT_MIGRATIONS } from './cohort-migrations.js';
import { COLLABORATOR_MIGRATIONS } from './collaborator-migrations.js';
import { CORE_MIGRATIONS } from './migrations.js';
import { SYNC_MIGRATIONS } from './sync-migrations.js';
import { WORKFLOW_MIGRATIONS } from './workflow-migrations.js';
import type { IdentitySnapshot } from '../identity-import.js';

export type ExportRow = Record<string, string | number | boolean | null>;

/** A time column as epoch milliseconds. */
const ms = (col: string, as = col) => `CAST(epoch_ms(${col}) AS DOUBLE) AS ${as}`;
const num = (col: string, as = col) => `CAST(${col} AS DOUBLE) AS ${as}`;
const text = (col: string, as = col) => `CAST(${col} AS VARCHAR) AS ${as}`;

/**
 * Every table of the embedded store that moves, as one SELECT each (fixed SQL,
 * no input) whose order is the same on every run over the unchanged file (an
 * ORDER BY total over what the table can hold, identical rows being
 * interchangeable, or the stored order), so OFFSET n is "after the first n rows".
 */
export const STORE_EXPORTS = {
  // Metadata (PostgreSQL). Cohorts in insertion order, which the PostgreSQL store keeps as its seq.
  cohorts: `SELECT id, json_extract_string(doc, '$.ownerId') AS owner_id, ${text('doc')} FROM cohorts ORDER BY rowid`,
  cohort_history: `SELECT cohort_id, ${ms('computed_at')}, ${num('size')}, ${num('entered')}, ${num('exited')}, ${num('duration_ms')}
    FROM cohort_history ORDER BY computed_at, rowid`,
  cohort_exports: `SELECT id, cohort_id, props, requested_by, status, error, ${ms('requested_at')}, ${ms('finished_at')} FROM cohort_exports ORDER BY id`,
  cohort_export_people: `SELECT export_id, user_id, ${text('traits')} FROM cohort_export_people ORDER BY export_id, user_id, traits`,
  cohort_collaborators: `SELECT cohort_id, account_id, role, ${ms('created_at')} FROM cohort_collaborators ORDER BY cohort_id, account_id`,
  sync_destinations: `SELECT id, name, type, ${text('config')}, ${ms('created_at')}, ${ms('updated_at')} FROM sync_destinations ORDER BY id`,
  sync_jobs: `SELECT id, cohort_id, destination_id, frequency, batch_size, paused_reason, state, ${ms('next_run_at')}, ${text('protocol_state')},
    ${ms('full_sync_done_at')}, ${ms('created_at')}, ${ms('updated_at')} FROM sync_jobs ORDER BY id`,
  sync_acknowledged: 'SELECT DISTINCT sync_id, user_id FROM sync_acknowledged ORDER BY sync_id, user_id',
  sync_runs: `SELECT ${num('seq')}, id, sync_id, ${ms('started_at')}, ${ms('finished_at')}, status, "full", trigger, ${num('added')}, ${num('removed')},
    ${num('failed')}, ${num('skipped')}, ${num('requests')}, ${num('retries')}, ${text('errors')} FROM sync_runs ORDER BY seq`,
  sync_inflight: `SELECT ${num('seq')}, sync_id, batch_key, op, user_ids FROM sync_inflight ORDER BY seq`,
  accounts: `SELECT id, email, name, role, disabled, password_hash, ${ms('created_at')}, ${ms('updated_at')}, ${ms('last_login_at')} FROM accounts ORDER BY id`,
  sessions: `SELECT token_hash, account_id, ${ms('created_at')}, ${ms('last_used_at')}, ${ms('expires_at')} FROM sessions ORDER BY token_hash`,
  api_tokens: `SELECT id, account_id, name, token_hash, ${ms('created_at')}, ${ms('last_used_at')} FROM api_tokens ORDER BY id`,
  audit_log: `SELECT ${num('seq')}, id, ${ms('recorded_at')}, actor_account_id, actor_email, actor_via, action, resource_type, resource_id, summary
    FROM audit_log ORDER BY seq`,
  workflow_steps: `SELECT id, cohort_id, position, name, ${text('action')}, ${ms('created_at')}, ${ms('updated_at')} FROM workflow_steps ORDER BY id`,
  workflow_cards: `SELECT cohort_id, user_id, step_id, ${ms('moved_at')}, moved_by FROM workflow_cards ORDER BY cohort_id, user_id, moved_at`,
  workflow_actions: `SELECT ${num('seq')}, id, cohort_id, step_id, step_name, user_id, type, ${text('action')}, status, attempts, last_error,
    ${text('attempt_log')}, ${ms('created_at')}, ${ms('finished_at')}, ${ms('next_attempt_at')}, ${ms('moved_at')}, moved_by FROM workflow_actions ORDER BY seq`,
  /** Every id a person is known by (user ids and anonymous ids) with the person key. */
  identities: 'SELECT DISTINCT external_id, uid FROM identities ORDER BY external_id, uid',

  // Events engine (ClickHouse). The big tables are read in the order they are stored (no sort:
  // a sort of every event would hold them all in memory); DuckDB keeps a plain scan in
  // insertion order (preserve_insertion_order), the same on every run of an unchanged file.
  users: `SELECT uid, user_id, ${ms('created_at')} FROM users`,
  /** The ids a person is known by besides the shown user id (its anonymous ids and aliases). */
  aliases: `SELECT DISTINCT i.external_id, i.uid FROM identities i JOIN users u ON u.uid = i.uid
    WHERE i.external_id <> u.user_id ORDER BY i.external_id, i.uid`,
  person_merges: `SELECT ${num('seq')}, from_uid, into_uid FROM person_merges ORDER BY seq`,
  events: `SELECT ${num('seq')}, uid, event, ${ms('ts')}, ${text('props')}, ${ms('received_at')}, message_id FROM events_all`,
  user_traits: `SELECT ${num('seq')}, uid, key, ${text('value')}, ${ms('ts')} FROM user_traits`,
  /** Member sets (a merge may have left one person twice in a set: the target keeps one row). */
  cohort_members: 'SELECT cohort_id, uid FROM cohort_members',
  hot_properties: 'SELECT slot, path FROM hot_properties ORDER BY slot',
} as const;

export type ExportTable = keyof typeof STORE_EXPORTS;

/** Counts that differ from the export's row count: what the target keeps of repeated rows. */
const COUNTS: Partial<Record<ExportTable, string>> = {
  cohort_members: 'SELECT DISTINCT cohort_id, uid FROM cohort_members',
};

/**
 * Each module's migrations and the exports of its tables. A module whose
 * migrations never ran (a store only ever seeded has no metadata tables) has
 * nothing to copy; one that ran only some of them needs this version to update
 * the file first.
 */
const MODULES: { migrations: readonly { id: string }[]; tables: ExportTable[] }[] = [
  { migrations: COHORT_MIGRATIONS, tables: ['cohorts', 'cohort_history'] },
  { migrations: SYNC_MIGRATIONS, tables: ['sync_destinations', 'sync_jobs', 'sync_acknowledged', 'sync_runs', 'sync_inflight'] },
  { migrations: ACCOUNT_MIGRATIONS, tables: ['accounts', 'sessions', 'api_tokens', 'audit_log'] },
  { migrations: COLLABORATOR_MIGRATIONS, tables: ['cohort_collaborators'] },
  { migrations: COHORT_EXPORT_MIGRATIONS, tables: ['cohort_exports', 'cohort_export_people'] },
  { migrations: WORKFLOW_MIGRATIONS, tables: ['workflow_steps', 'workflow_cards', 'workflow_actions'] },
];

export class OutdatedStoreError extends Error {}

/** Which engine the file's metadata belongs to ('postgres' when it was started with KOHORT_DATABASE_URL). */
export async function recordedMetadataEngine(conn: DuckDBConnection): Promise<string | null> {
  const t = (await conn.runAndReadAll(`SELECT table_name FROM information_schema.tables WHERE table_name = 'metadata_engine'`)).getRows();
  if (!t.length) return null;
  const [r] = (await conn.runAndReadAll('SELECT engine FROM metadata_engine LIMIT 1')).getRows();
  return r ? String(r[0]) : null;
}

/** Tables whose `ts` (epoch ms in the export) a target may not hold outside a range. */
const TIMED: ReadonlySet<ExportTable> = new Set(['events', 'user_traits']);

/**
 * The exports of one store file; tables of modules the store never used read
 * as empty. With `tsRangeMs`, events and traits outside it are left out of the
 * export (and counted by `outside`).
 */
export class StoreExport {
  private constructor(
    readonly conn: DuckDBConnection,
    private readonly absent: ReadonlySet<ExportTable>,
    private readonly range: readonly [number, number] | undefined,
  ) {}

  private sql(table: ExportTable, counting = false): string {
    const base = (counting ? COUNTS[table] : undefined) ?? STORE_EXPORTS[table];
    if (!this.range || !TIMED.has(table)) return base;
    // The bounds are numbers from the caller's constants (never input).
    return `SELECT * FROM (${base}) WHERE ts >= ${Number(this.range[0])} AND ts <= ${Number(this.range[1])}`;
  }

  /** Events or traits outside the range, left out of the export. */
  async outside(table: ExportTable): Promise<number> {
    if (!this.range || !TIMED.has(table) || this.absent.has(table)) return 0;
    const [lo, hi] = this.range.map(Number);
    const r = await this.conn.runAndReadAll(`SELECT CAST(count(*) AS DOUBLE) FROM (${STORE_EXPORTS[table]}) WHERE NOT (ts >= ${lo} AND ts <= ${hi})`);
    return Number(r.getRows()[0][0]);
  }

  /** Checks the file's migrations: throws OutdatedStoreError naming the missing ones when it must be updated first. */
  static async open(conn: DuckDBConnection, opts: { tsRangeMs?: readonly [number, number] } = {}): Promise<StoreExport> {
    const hasLog = (await conn.runAndReadAll(`SELECT table_name FROM information_schema.tables WHERE table_name = 'schema_migrations'`)).getRows();
    const done = new Set(hasLog.length ? (await conn.runAndReadAll('SELECT id FROM schema_migrations')).getRows().map((r) => String(r[0])) : []);
    const missing = CORE_MIGRATIONS.map((m) => m.id).filter((id) => !done.has(id));
    const absent = new Set<ExportTable>();
    for (const m of MODULES) {
      const ids = m.migrations.map((x) => x.id);
      const lacking = ids.filter((id) => !done.has(id));
      if (lacking.length === ids.length) for (const t of m.tables) absent.add(t);
      else missing.push(...lacking);
    }
    if (missing.length) throw new OutdatedStoreError(`missing migrations ${missing.join(', ')}`);
    return new StoreExport(conn, absent, opts.tsRangeMs);
  }

  /** Merged-away person key -> the person it finally went into (a merge into someone merged again later). */
  async mergeTargets(): Promise<Map<number, number>> {
    const rows = (await this.conn.runAndReadAll('SELECT from_uid, into_uid FROM person_merges ORDER BY seq')).getRows();
    const into = new Map(rows.map((r) => [Number(r[0]), Number(r[1])]));
    const final = new Map<number, number>();
    for (const from of into.keys()) {
      let to = into.get(from)!;
      for (let hops = 0; into.has(to) && hops < into.size; hops++) to = into.get(to)!;
      final.set(from, to);
    }
    return final;
  }

  /** People, ids and the last sequence number, for the identity port's import (held in memory: one row per id). */
  async identitySnapshot(): Promise<IdentitySnapshot> {
    const merged = await this.mergeTargets();
    const people: IdentitySnapshot['people'] = (await this.conn.runAndReadAll('SELECT uid, user_id FROM users ORDER BY uid')).getRows().map((r) => ({
      uid: Number(r[0]),
      userId: String(r[1]),
    }));
    for (const [uid, into] of merged) people.push({ uid, userId: '', mergedInto: into });
    const identities = (await this.conn.runAndReadAll(STORE_EXPORTS.identities)).getRows().map((r) => ({ externalId: String(r[0]), uid: Number(r[1]) }));
    return { people, identities, lastSeq: await this.lastSeq() };
  }

  /** The highest sequence number of events, traits and merges (one sequence numbers all three). */
  async lastSeq(): Promise<number> {
    const r = await this.conn.runAndReadAll(
      `SELECT CAST(greatest((SELECT coalesce(max(seq), 0) FROM events_all), (SELECT coalesce(max(seq), 0) FROM user_traits),
                            (SELECT coalesce(max(seq), 0) FROM person_merges)) AS DOUBLE)`,
    );
    return Number(r.getRows()[0][0]);
  }

  /** The largest person key in use, merged-away keys included. */
  async maxUid(): Promise<number> {
    const r = await this.conn.runAndReadAll(
      `SELECT CAST(greatest((SELECT coalesce(max(uid), 0) FROM identities), (SELECT coalesce(max(uid), 0) FROM users),
                            (SELECT coalesce(max(greatest(from_uid, into_uid)), 0) FROM person_merges)) AS DOUBLE)`,
    );
    return Number(r.getRows()[0][0]);
  }

  /** The event property paths the store keeps in typed columns, by slot. */
  async hotPropertyPaths(): Promise<string[][]> {
    const rows = (await this.conn.runAndReadAll(STORE_EXPORTS.hot_properties)).getRows();
    return rows.map((r) => JSON.parse(String(r[1])) as string[]);
  }

  /** How many rows the export of `table` yields. */
  async count(table: ExportTable): Promise<number> {
    if (this.absent.has(table)) return 0;
    const r = await this.conn.runAndReadAll(`SELECT CAST(count(*) AS DOUBLE) AS n FROM (${this.sql(table, true)})`);
    return Number(r.getRows()[0][0]);
  }

  /** The rows of `table` after the first `offset`, in chunks of `chunkRows`, streamed (only a chunk is in memory). */
  async *rows(table: ExportTable, offset: number, chunkRows: number): AsyncGenerator<ExportRow[]> {
    if (this.absent.has(table)) return;
    const result = await this.conn.stream(`${this.sql(table)} OFFSET ${Math.max(0, Math.floor(offset))}`);
    let chunk: ExportRow[] = [];
    for await (const rows of result.yieldRowObjectJs()) {
      for (const r of rows) {
        chunk.push(r as ExportRow);
        if (chunk.length >= chunkRows) {
          yield chunk;
          chunk = [];
        }
      }
    }
    if (chunk.length) yield chunk;
  }
}
