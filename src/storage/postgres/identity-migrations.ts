import type { PgMigration } from './database.js';

/** Identity, dedup claims and sequence numbers of the ClickHouse events engine (see identity-store.ts, event-dedup.ts). */
export const PG_IDENTITY_MIGRATIONS: readonly PgMigration[] = [
  {
    id: 'identity-001-people',
    sql: `
  -- Person keys are allocated by a sequence: unique across processes, never reused.
  CREATE SEQUENCE person_uid_seq;
  -- Orders renames and merges (ClickHouse keeps the row of the highest version).
  CREATE SEQUENCE person_version_seq;
  -- One row per person key ever created; merged_into is the final person of a merged-away key (chains flattened);
  -- published: the events engine acknowledged the person's users row (until then every write of it sends one).
  CREATE TABLE people (
    uid bigint PRIMARY KEY,
    user_id text NOT NULL,
    version bigint NOT NULL DEFAULT 0,
    merged_into bigint,
    published boolean NOT NULL DEFAULT false
  );
  CREATE INDEX people_merged_into ON people (merged_into) WHERE merged_into IS NOT NULL;
  -- Every external id (user id or anonymous id) and the current person it belongs to.
  CREATE TABLE person_identities (
    external_id text PRIMARY KEY,
    uid bigint NOT NULL
  );
  CREATE INDEX person_identities_uid ON person_identities (uid);
  -- The last event / trait / merge sequence number handed out (blocks are taken with one UPDATE).
  CREATE TABLE event_sequence (id int PRIMARY KEY CHECK (id = 1), last bigint NOT NULL);
  INSERT INTO event_sequence VALUES (1, 0);
  -- messageId / insert_id claims of the last 7 days ("<uid>|<messageId>").
  CREATE TABLE event_claims (
    key text PRIMARY KEY,
    claimed_at timestamptz NOT NULL DEFAULT clock_timestamp()
  );
  CREATE INDEX event_claims_claimed_at ON event_claims (claimed_at);
  `,
  },
];
