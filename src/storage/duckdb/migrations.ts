/**
 * Core schema of the embedded DuckDB store. Each module keeps its own list of
 * migrations; all lists run once each, in order, recorded by id in
 * `schema_migrations`. Never edit a shipped migration: add one.
 *
 * Event layout (what the cohort compiler's DuckDB dialect reads):
 * - `events`       the reorganized part, physically ordered by (event, ts);
 * - `events_tail`  fresh appends, moved into `events` by the reorganizer;
 * - `events_all`   the view every reader uses (both parts).
 * `uid` is an integer surrogate for the person (see `users`); `ts` is UTC;
 * `props` is the event properties object as JSON (never NULL, '{}' when none).
 * `events` may also carry typed copies of frequent properties (hot-columns.ts),
 * which `events_all` then exposes for both parts.
 */
import { CURRENT_TRAITS_MIGRATIONS } from './current-traits.js';
import { EVENT_ROLLUP_MIGRATIONS } from './event-rollup.js';
import { MEMBERSHIP_MIGRATIONS } from './membership-migrations.js';

export interface Migration {
  /** Stable id, recorded once applied; never reuse or edit a shipped one. */
  id: string;
  sql: string;
}

export const CORE_MIGRATIONS: readonly Migration[] = [
  {
    id: 'core-001-events-users',
    sql: `
  CREATE TABLE events (
    seq BIGINT NOT NULL,
    uid INTEGER NOT NULL,
    event VARCHAR NOT NULL,
    ts TIMESTAMP NOT NULL,
    props JSON NOT NULL,
    received_at TIMESTAMP NOT NULL,
    message_id VARCHAR
  );
  CREATE TABLE events_tail AS SELECT * FROM events LIMIT 0;
  CREATE VIEW events_all AS SELECT * FROM events UNION ALL SELECT * FROM events_tail;

  -- One row per person; user_id is the id shown to users (the identified id once aliased).
  CREATE TABLE users (uid INTEGER NOT NULL, user_id VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL);
  -- Every id a person is known by (user ids and anonymous ids) -> person.
  CREATE TABLE identities (external_id VARCHAR NOT NULL, uid INTEGER NOT NULL);
  -- Append-only trait history; the current profile is, per (uid, key), the row
  -- with the greatest (ts, seq). value is JSON ('null' when a trait was cleared).
  CREATE TABLE user_traits (seq BIGINT NOT NULL, uid INTEGER NOT NULL, key VARCHAR NOT NULL, value JSON NOT NULL, ts TIMESTAMP NOT NULL, message_id VARCHAR);
  -- Property names and JSON types observed per event name (for pickers).
  CREATE TABLE event_properties (event VARCHAR NOT NULL, property VARCHAR NOT NULL, type VARCHAR NOT NULL);
  -- Current membership of every saved cohort (computed for dynamic, the list for static).
  CREATE TABLE cohort_members (cohort_id VARCHAR NOT NULL, uid INTEGER NOT NULL);
  `,
  },
  {
    // Hot property columns (hot-columns.ts): slot n is the pair hot<n>_text / hot<n>_num of
    // `events` for one property path (a JSON array of keys). Existing files start with
    // none; the reorganizer adds them by rebuilding `events` in the background.
    id: 'core-002-hot-properties',
    sql: `CREATE TABLE hot_properties (slot INTEGER NOT NULL, path VARCHAR NOT NULL);`,
  },
  {
    // When a trait row arrived: the identify dedup window is about receipt, and a
    // backfilled identify carries an old \`ts\`. Rows from before stay NULL (ts stands in).
    id: 'core-003-trait-received-at',
    sql: `ALTER TABLE user_traits ADD COLUMN received_at TIMESTAMP;`,
  },
  {
    // Amplitude identify operations that read the value they change ($setOnce, $add, $append, ...):
    // the user_traits row (by seq) holds the result, this table the operation and its argument,
    // so a property's history can be recomputed when an older operation arrives (trait-op-writer.ts).
    id: 'core-004-trait-ops',
    sql: `CREATE TABLE user_trait_ops (seq BIGINT NOT NULL, op VARCHAR NOT NULL, arg JSON NOT NULL);`,
  },
  ...CURRENT_TRAITS_MIGRATIONS,
  ...MEMBERSHIP_MIGRATIONS,
  ...EVENT_ROLLUP_MIGRATIONS,
];
