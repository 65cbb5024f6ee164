import type { IdentityImport, IdentitySnapshot } from '../identity-import.js';
import type { PgDatabase } from './database.js';

/**
 * Copies an embedded store's identity into PostgreSQL (`kohort migrate`), keeping
 * person keys, so rows copied into ClickHouse keep their meaning. Resumable:
 * rows already there are left alone; the key and sequence counters are moved
 * past everything copied, never back.
 */
export async function importPgIdentity(db: PgDatabase, snap: IdentitySnapshot): Promise<void> {
  await db.tx(async (t) => {
    for (let i = 0; i < snap.people.length; i += 10_000) {
      const part = snap.people.slice(i, i + 10_000);
      await t.query(
        `INSERT INTO people (uid, user_id, merged_into)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[]) ON CONFLICT (uid) DO NOTHING`,
        [part.map((p) => p.uid), part.map((p) => p.userId), part.map((p) => p.mergedInto ?? null)],
      );
    }
    for (let i = 0; i < snap.identities.length; i += 10_000) {
      const part = snap.identities.slice(i, i + 10_000);
      await t.query(
        'INSERT INTO person_identities (external_id, uid) SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT (external_id) DO NOTHING',
        [part.map((p) => p.externalId), part.map((p) => p.uid)],
      );
    }
    await t.query("SELECT setval('person_uid_seq', greatest((SELECT coalesce(max(uid), 0) FROM people), (SELECT last_value FROM person_uid_seq), 1))");
    await t.query('UPDATE event_sequence SET last = greatest(last, $1) WHERE id = 1', [snap.lastSeq]);
  });
}

/** The identity port's import side on PostgreSQL, for `kohort migrate`. */
export function createPgIdentityImport(db: PgDatabase): IdentityImport {
  return {
    importSnapshot: (snap) => importPgIdentity(db, snap),
    async countIdentities() {
      const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM person_identities');
      return rows[0].n;
    },
  };
}
