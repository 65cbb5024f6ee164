/**
 * Migration ch-020: the event property catalog (names and JSON kinds of the
 * property paths seen per event name), read by the event picker instead of
 * scanning every event's properties. A materialized view fills it on every
 * insert into `events`, whichever process (or `kohort migrate`) inserts, so it
 * stays current across processes with nothing to run; the last statement
 * fills it from the events stored before the view existed. Rows are repeated
 * (one per insert block; an interrupted migration run again inserts the
 * backfill twice), which is harmless: the table collapses them in merges and
 * readers take DISTINCT.
 */
import type { ClickHouseMigration } from './migrations';

const DISTINCT_PATHS = 'SELECT event, path, kind FROM events ARRAY JOIN props_keys AS path, props_kind AS kind GROUP BY event, path, kind';

export const CATALOG_MIGRATION: ClickHouseMigration = {
  id: 'ch-020-event-property-catalog',
  statements: [
    'CREATE TABLE IF NOT EXISTS event_property_catalog (event String, path String, kind UInt8) ENGINE = ReplacingMergeTree ORDER BY (event, path, kind)',
    `CREATE MATERIALIZED VIEW IF NOT EXISTS event_property_catalog_mv TO event_property_catalog AS ${DISTINCT_PATHS}`,
    // After the view: events inserted in between are in both, never in neither.
    `INSERT INTO event_property_catalog ${DISTINCT_PATHS}`,
  ],
};
