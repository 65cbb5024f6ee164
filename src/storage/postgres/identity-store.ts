import type { AliasChange, IdentityStore, Person, Resolved } from '../identity-store.js';
import type { WriteTx } from '../write-tx.js';
import type { PgDatabase, PgQueryable } from './database.js';
import { PgWriteTx, pgTx } from './write-tx.js';

/** Races lost to other processes are retried; more than this many in a row is a bug, not load. */
const MAX_ATTEMPTS = 50;

/**
 * Identity in PostgreSQL (tables of identity-migrations.ts). New people are
 * created with one statement per batch (`unnest` + ON CONFLICT DO NOTHING):
 * when another process inserted the same id first, the statement waits for its
 * transaction and skips the id, and the next statement (a fresh snapshot) reads
 * it. Aliases re-read after every lost race until one of the four cases applies
 * cleanly; a merge locks both people rows first.
 */
export function createPgIdentityStore(db: PgDatabase): IdentityStore {
  /** `publish`: inside a write (people returned in `created` count as acknowledged on commit); otherwise `prepare`. */
  async function resolve(t: PgQueryable, externalIds: readonly string[], publish = true, published?: { has(id: string): boolean }): Promise<Resolved> {
    const uids = new Map<string, number>();
    const created: Person[] = [];
    let missing = [...new Set(externalIds)];
    // The publication check (a people row read per id) only for ids not known to be published.
    const check = publish ? (published ? missing.filter((id) => !published.has(id)) : missing) : [];
    for (let attempt = 0; missing.length; attempt++) {
      if (attempt === MAX_ATTEMPTS) throw new Error('could not resolve ids: too many concurrent changes');
      const rows = await t.query<{ external_id: string | null; uid: number; shown: string | null }>(
        // Index lookups per id, whatever the planner estimates: joined as a set, the batch was
        // answered by hashing the whole of person_identities and people on every call (a cost
        // that grew with the number of people). OFFSET 0 keeps the lateral lookup from being
        // flattened into such a join; the people are found by key through an array.
        `WITH input AS (SELECT DISTINCT x AS external_id FROM unnest($1::text[]) AS x),
         known AS (SELECT i.external_id, i.uid FROM input
                     CROSS JOIN LATERAL (SELECT external_id, uid FROM person_identities WHERE external_id = input.external_id OFFSET 0) i),
         fresh AS (SELECT external_id, nextval('person_uid_seq') AS uid
                     FROM (SELECT external_id FROM input WHERE external_id NOT IN (SELECT external_id FROM known) ORDER BY external_id) s),
         ins AS (INSERT INTO person_identities (external_id, uid) SELECT external_id, uid FROM fresh
                 ON CONFLICT (external_id) DO NOTHING RETURNING external_id, uid),
         people_ins AS (INSERT INTO people (uid, user_id, published) SELECT uid, external_id, $2::boolean FROM ins),
         pub AS (UPDATE people p SET published = true
                  WHERE $2::boolean AND NOT p.published
                    AND p.uid = ANY (ARRAY(SELECT k.uid FROM known k JOIN unnest($3::text[]) AS c(id) ON c.id = k.external_id))
                  RETURNING p.uid, p.user_id)
         SELECT external_id, uid, NULL AS shown FROM known
         UNION ALL SELECT external_id, uid, external_id FROM ins
         UNION ALL SELECT NULL, uid, user_id FROM pub`,
        [missing, publish, check],
      );
      for (const r of rows) {
        if (r.external_id !== null) uids.set(r.external_id, r.uid);
        if (r.shown !== null) created.push({ uid: r.uid, userId: r.shown });
      }
      missing = missing.filter((id) => !uids.has(id));
    }
    return { uids, created };
  }

  /** Maps an id to a person unless another transaction mapped it first (then false: re-read). */
  async function mapId(t: PgQueryable, externalId: string, uid: number): Promise<boolean> {
    const rows = await t.query('INSERT INTO person_identities (external_id, uid) VALUES ($1, $2) ON CONFLICT (external_id) DO NOTHING RETURNING 1', [externalId, uid]);
    return rows.length === 1;
  }

  async function idsOf(t: PgQueryable, previousId: string, userId: string): Promise<[number | undefined, number | undefined]> {
    const rows = await t.query<{ external_id: string; uid: number }>('SELECT external_id, uid FROM person_identities WHERE external_id = ANY($1::text[])', [[previousId, userId]]);
    return [rows.find((r) => r.external_id === previousId)?.uid, rows.find((r) => r.external_id === userId)?.uid];
  }

  async function alias(t: PgQueryable, previousId: string, userId: string): Promise<AliasChange> {
    const created: Person[] = [];
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const [prev, user] = await idsOf(t, previousId, userId);
      if (prev === undefined && user === undefined) {
        const r = await resolve(t, [userId]);
        created.push(...r.created);
        if (await mapId(t, previousId, r.uids.get(userId)!)) return { kind: 'mapped', externalId: previousId, uid: r.uids.get(userId)!, created };
      } else if (user === undefined) {
        // The anonymous person becomes the identified user, keeping its history.
        if (!(await mapId(t, userId, prev!))) continue;
        const [p] = await t.query<{ version: number }>(
          "UPDATE people SET user_id = $1, version = nextval('person_version_seq') WHERE uid = $2 RETURNING version",
          [userId, prev],
        );
        return { kind: 'renamed', externalId: userId, uid: prev!, userId, version: p.version, created };
      } else if (prev === undefined) {
        if (await mapId(t, previousId, user)) return { kind: 'mapped', externalId: previousId, uid: user, created };
      } else if (prev === user) {
        return { kind: 'none', uid: user, created };
      } else {
        await t.query('SELECT uid FROM people WHERE uid = ANY($1::bigint[]) ORDER BY uid FOR UPDATE', [[prev, user]]);
        // Another process may have merged either person while we waited for the locks.
        const [p2, u2] = await idsOf(t, previousId, userId);
        if (p2 !== prev || u2 !== user) continue;
        const [{ v }] = await t.query<{ v: number }>("SELECT nextval('person_version_seq') AS v");
        const moved = await t.query<{ uid: number }>(
          'UPDATE people SET merged_into = $2, version = $3 WHERE uid = $1 OR merged_into = $1 RETURNING uid',
          [prev, user, v],
        );
        await t.query('UPDATE person_identities SET uid = $2 WHERE uid = $1', [prev, user]);
        return { kind: 'merged', from: prev, into: user, moved: moved.map((r) => r.uid).sort((a, b) => a - b), version: v, created };
      }
    }
    throw new Error('could not apply alias: too many concurrent changes');
  }

  async function keysOf(t: PgQueryable, uids: readonly number[]): Promise<Map<number, number[]>> {
    const out = new Map<number, number[]>(uids.map((u) => [u, [u]]));
    if (!uids.length) return out;
    const rows = await t.query<{ uid: number; merged_into: number }>(
      'SELECT uid, merged_into FROM people WHERE merged_into = ANY($1::bigint[]) ORDER BY uid',
      [[...new Set(uids)]],
    );
    for (const r of rows) out.get(r.merged_into)!.push(r.uid);
    return out;
  }

  return {
    begin: () => PgWriteTx.begin(db),
    async prepare(externalIds) {
      if (externalIds.length) await resolve(db, externalIds, false);
    },
    resolve: (tx: WriteTx, ids, published) => resolve(pgTx(tx), ids, true, published),
    alias: (tx: WriteTx, previousId, userId) => alias(pgTx(tx), previousId, userId),
    async lockPeople(tx, uids) {
      if (!uids.length) return;
      await pgTx(tx).query('SELECT uid FROM people WHERE uid = ANY($1::bigint[]) ORDER BY uid FOR UPDATE', [[...new Set(uids)]]);
    },
    keysOf: (tx, uids) => keysOf(tx ? pgTx(tx) : db, uids),
    async lookup(externalIds) {
      const rows = await db.query<{ external_id: string; uid: number }>(
        'SELECT external_id, uid FROM person_identities WHERE external_id = ANY($1::text[])',
        [[...new Set(externalIds)]],
      );
      return new Map(rows.map((r) => [r.external_id, r.uid]));
    },
    async userIds(uids) {
      const rows = await db.query<{ uid: number; user_id: string }>(
        'SELECT uid, user_id FROM people WHERE uid = ANY($1::bigint[]) AND merged_into IS NULL',
        [[...new Set(uids)]],
      );
      return new Map(rows.map((r) => [r.uid, r.user_id]));
    },
    async allocateSeq(n) {
      if (!Number.isInteger(n) || n < 1) throw new Error('allocateSeq needs a positive count');
      // Autocommit: the row is held only for this statement, not for a whole write group.
      const [r] = await db.query<{ last: number }>('UPDATE event_sequence SET last = last + $1 WHERE id = 1 RETURNING last', [n]);
      return r.last - n + 1;
    },
  };
}
