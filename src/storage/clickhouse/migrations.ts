/**
 * The ClickHouse schema (events engine), as versioned migrations: each `{ id,
 * statements }` is applied once, in order, and recorded in `schema_migrations`.
 * ClickHouse has no transactions or locks, so every statement is idempotent
 * (`IF NOT EXISTS`): processes starting together may both apply one, harmlessly,
 * and a migration interrupted half-way is completed by the next start.
 *
 * Layout (see docs/ARCHITECTURE.md, "ClickHouse"):
 * - `events`: sorted by (event, ts, uid) for the cohort scans, partitioned by
 *   UTC month; `ts` is Int64 microseconds (18.16 has no DateTime64). Properties
 *   are kept as JSON text (`props`) and flattened (`props_*`, see flatten.ts);
 *   `hot<n>_text` / `hot<n>_num` hold the text and number of the paths listed in
 *   `hot_properties` (typed columns the compiler reads instead of the arrays).
 * - `user_traits`: append-only history; the current value is the latest (ts, seq).
 * - `users` / `identities`: people and their anonymous ids (ReplacingMergeTree).
 * - `cohort_members`: static and saved member sets, a row per (cohort, person)
 *   version; the latest version says whether the person is in. Sets the membership
 *   store writes live in `member_set_rows` / `member_set_heads` (ch-030).
 */
import { CATALOG_MIGRATION } from './catalog-migration';
import type { ClickHouseClient } from './client';

export interface ClickHouseMigration {
  id: string;
  statements: string[];
}

/** How many typed hot-property slots the events table has. */
export const HOT_SLOTS = 8;

const flat = (prefix: string) =>
  `${prefix}_keys Array(String), ${prefix}_kind Array(UInt8), ${prefix}_text Array(Nullable(String)), ${prefix}_num Array(Nullable(Float64)), ${prefix}_dkey Array(Nullable(String))`;

const hotColumns = Array.from({ length: HOT_SLOTS }, (_, i) => `hot${i + 1}_text Nullable(String), hot${i + 1}_num Nullable(Float64)`).join(', ');

export const CLICKHOUSE_MIGRATIONS: readonly ClickHouseMigration[] = [
  {
    id: 'ch-001-core',
    statements: [
      `CREATE TABLE IF NOT EXISTS events (event String, ts Int64, uid UInt64, seq UInt64, message_id String, received_at Int64, props String, ${flat('props')}, ${hotColumns})
        ENGINE = MergeTree PARTITION BY toYYYYMM(toDateTime(intDiv(ts, 1000000), 'UTC')) ORDER BY (event, ts, uid)`,
      `CREATE TABLE IF NOT EXISTS user_traits (uid UInt64, key String, ts Int64, seq UInt64, value String, ${flat('value')}, text Nullable(String), num Nullable(Float64))
        ENGINE = MergeTree ORDER BY (key, uid, ts, seq)`,
      'CREATE TABLE IF NOT EXISTS users (uid UInt64, user_id String, created_at Int64, version UInt64 DEFAULT 0) ENGINE = ReplacingMergeTree ORDER BY uid',
      'CREATE TABLE IF NOT EXISTS identities (anonymous_id String, uid UInt64, ts Int64) ENGINE = ReplacingMergeTree ORDER BY anonymous_id',
      'CREATE TABLE IF NOT EXISTS cohort_members (cohort_id String, uid UInt64, version UInt64, present UInt8) ENGINE = ReplacingMergeTree(version) ORDER BY (cohort_id, uid)',
      'CREATE TABLE IF NOT EXISTS hot_properties (slot UInt8, path String, version UInt64) ENGINE = ReplacingMergeTree(version) ORDER BY slot',
    ],
  },
  {
    // People across processes (identity itself is authoritative in the metadata engine, see
    // storage/identity-store.ts): a person's shown user id is the `users` row of the highest
    // version (an anonymous person renamed when identified gets a new row); an alias joining
    // two people records `from_uid -> into_uid` (chains flattened by the writer: every from
    // maps to its final person), and rows written under `from_uid` count for `into_uid`.
    // Reads go through people-sql.ts and the dialect's tables, never these tables directly.
    // (`users.version` is in ch-001: no store had applied it before this migration existed.)
    id: 'ch-002-people',
    statements: [
      'CREATE TABLE IF NOT EXISTS person_merges (from_uid UInt64, into_uid UInt64, version UInt64) ENGINE = ReplacingMergeTree(version) ORDER BY from_uid',
    ],
  },
  {
    // Identify operations that read a value ($add, $append, ...; storage/trait-ops.ts), for the
    // writer only (readers keep reading user_traits): the operation and argument of each such
    // row. A late operation makes later rows of the property wrong; ClickHouse cannot update
    // them cheaply, so the writer appends corrected copies (same ts, a higher seq: they win at
    // the same (ts, seq) position) and records here which row each copy replaces (`origin`,
    // op '' for a copy of a plain value). The writer reads a property's history through this.
    id: 'ch-010-trait-ops',
    statements: [
      'CREATE TABLE IF NOT EXISTS user_trait_ops (uid UInt64, key String, seq UInt64, op String, arg String, origin UInt64) ENGINE = MergeTree ORDER BY (uid, key, seq)',
    ],
  },
  CATALOG_MIGRATION,
  {
    // Member sets written by the membership store (clickhouse/membership-store.ts): each
    // version of a cohort's set is complete in `member_set_rows` before its head row
    // commits it; readers read only the committed (latest head) version. Versions are never
    // updated in place, so background merges cannot mix an unfinished version into a
    // committed one (as ReplacingMergeTree rows of `cohort_members` would). A head with
    // live = 0 is a deleted set. Sets without a head are still read from `cohort_members`.
    id: 'ch-030-member-sets',
    statements: [
      'CREATE TABLE IF NOT EXISTS member_set_rows (cohort_id String, version UInt64, uid UInt64) ENGINE = MergeTree ORDER BY (cohort_id, version, uid)',
      'CREATE TABLE IF NOT EXISTS member_set_heads (cohort_id String, version UInt64, live UInt8) ENGINE = ReplacingMergeTree(version) ORDER BY cohort_id',
    ],
  },
];

export async function migrateClickHouse(client: ClickHouseClient, list: readonly ClickHouseMigration[] = CLICKHOUSE_MIGRATIONS): Promise<void> {
  await client.command('CREATE TABLE IF NOT EXISTS schema_migrations (id String, applied_at DateTime) ENGINE = ReplacingMergeTree ORDER BY id');
  const done = new Set((await client.query<{ id: string }>('SELECT DISTINCT id FROM schema_migrations')).map((r) => r.id));
  for (const m of list) {
    if (done.has(m.id)) continue;
    for (const statement of m.statements) {
      try {
        await client.command(statement);
      } catch (err) {
        throw new Error(`migration ${m.id} failed: ${(err as Error).message}`);
      }
    }
    await client.insert('schema_migrations', [{ id: m.id, applied_at: Math.floor(Date.now() / 1000) }]);
  }
}
