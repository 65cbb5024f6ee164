/**
 * The contacts directory on ClickHouse (storage/duckdb/contact-reads.ts is the
 * embedded one): people ordered by shown user id, filtered by a search, a
 * compiled set, a saved cohort or a streamed list of user ids, with their
 * current traits, activity and memberships. Every statement of a page stops on
 * the server when the request's signal aborts (cancellable.ts).
 */
import { randomBytes } from 'node:crypto';
import type { SqlParam } from '../../cohort/dialect';
import { inlineParams, quoteClickHouseString } from '../../cohort/dialects/clickhouse-literals';
import type { CompiledQuery } from '../cohort-store';
import type { ContactPageQuery, ContactReads, ContactRow } from '../contact-reads';
import { cancellable, type CancellableReads } from './cancellable';
import { tableName, type ClickHouseClient } from './client';
import { currentTraits, keysOf, membersWhere, PEOPLE, personOf, uidList } from './person-keys';
import { foldedMatches, lowerNeedle } from './text-search';

/**
 * People with a current trait value whose text contains the folded `needle`:
 * the text of a string is itself, of other values their JSON (the `text`
 * column); a cleared trait (null) never matches. Ranking every person's trait
 * history for its current value is the costly part, so only the keys with some
 * version matching are ranked (an email search ranks the emails only).
 */
function traitSearch(needle: string): string {
  const hitKeys = `SELECT DISTINCT key FROM (${foldedMatches('SELECT key, text FROM user_traits', 'text', needle)})`;
  const rows = personOf(`SELECT uid, key, text, ts, seq FROM user_traits WHERE key IN (${hitKeys})`, ['key', 'text', 'ts', 'seq']);
  const current = `SELECT person, argMax(tuple(text), (ts, seq)).1 AS cur FROM ${rows} GROUP BY person, key`;
  return `SELECT person FROM (${foldedMatches(current, 'cur', needle)})`;
}

/** People whose shown user id contains the needle (the pair is matched against the shown one). */
const userIdSearch = (needle: string) =>
  `(uid, user_id) IN (SELECT uid, user_id FROM (${foldedMatches('SELECT uid, user_id FROM users', 'user_id', needle)}))`;

/** Scratch tables of `inUsers` older than this were left by a process that died mid-request. */
const SCRATCH_STALE_MS = 3_600_000;
const SCRATCH = /^kohort_scope_(\d+)_[0-9a-f]+$/;

/** A compiled query of the ClickHouse dialect as text; its parameters are the compiler's (text, numbers, booleans). */
function compiledSql(q: CompiledQuery): string {
  const params = q.params.map((p) => {
    if (typeof p === 'string' || typeof p === 'number' || typeof p === 'boolean') return p as SqlParam;
    throw new Error(`compiled query parameter of unexpected type ${typeof p}`);
  });
  return inlineParams(q.sql, params);
}

function conditions(q: ContactPageQuery, needle: string | undefined, scope: string | undefined, withCursor: boolean): string[] {
  const conds: string[] = [];
  if (withCursor && q.afterUserId !== undefined) conds.push(`user_id > ${quoteClickHouseString(q.afterUserId)}`);
  if (q.cohortId !== undefined) {
    conds.push(`uid IN (SELECT person FROM ${personOf(`SELECT uid FROM ${membersWhere(`cohort_id = ${quoteClickHouseString(q.cohortId)}`)}`, [])})`);
  }
  if (scope !== undefined) conds.push(`user_id IN (SELECT user_id FROM ${scope})`);
  if (needle !== undefined) conds.push(`(${userIdSearch(needle)} OR uid IN (${traitSearch(needle)}))`);
  if (q.inSet) conds.push(`uid IN (SELECT person FROM ${personOf(`SELECT uid FROM (${compiledSql(q.inSet)})`, [])})`);
  return conds;
}

const whereClause = (conds: string[]) => (conds.length ? `WHERE ${conds.join(' AND ')}` : '');
const fromMicros = (us: string | null) => (us === null ? null : new Date(Number(BigInt(us) / 1000n)));

/**
 * Runs `fn` with the user ids of `inUsers` in a scratch table of the server
 * (Memory engine, dropped at the end): the ids arrive a page at a time, so a
 * step with a million cards never sits whole in this process. 18.16 keeps no
 * temporary tables between HTTP requests, hence a named one; names carry
 * their creation time, and tables of requests that died are dropped by later ones.
 */
async function withScope<T>(client: ClickHouseClient, db: CancellableReads, inUsers: () => AsyncIterable<string[]>, fn: (scope: string) => Promise<T>): Promise<T> {
  const now = Date.now();
  const stale = await client.query<{ name: string }>("SELECT name FROM system.tables WHERE database = currentDatabase() AND startsWith(name, 'kohort_scope_')");
  for (const { name } of stale) {
    const m = SCRATCH.exec(name);
    if (m && now - Number(m[1]) > SCRATCH_STALE_MS) await client.command(`DROP TABLE IF EXISTS ${tableName(name)}`).catch(() => undefined);
  }
  const scope = tableName(`kohort_scope_${now}_${randomBytes(6).toString('hex')}`);
  await db.command(`CREATE TABLE ${scope} (user_id String) ENGINE = Memory`);
  try {
    for await (const page of inUsers()) if (page.length) await client.insert(scope, page.map((user_id) => ({ user_id })));
    return await fn(scope);
  } finally {
    await client.command(`DROP TABLE IF EXISTS ${scope}`).catch(() => undefined);
  }
}

interface Person {
  uid: string;
  user_id: string;
}

export function createClickHouseContactReads(client: ClickHouseClient): ContactReads {
  async function details(people: Person[], db: CancellableReads): Promise<ContactRow[]> {
    const persons = people.map((p) => Number(p.uid));
    const keys = await keysOf(client, persons);
    const list = uidList(keys.keys());
    const [traits, stats, member] = await Promise.all([
      currentTraits(client, keys),
      db.query<{ uid: string; first: string; last: string; n: string }>(
        `SELECT uid, toString(min(ts)) AS first, toString(max(ts)) AS last, toString(count()) AS n FROM events WHERE uid IN (${list}) GROUP BY uid`,
      ),
      db.query<{ uid: string; cohort_id: string }>(`SELECT DISTINCT uid, cohort_id FROM ${membersWhere(`uid IN (${list})`)}`),
    ]);
    // Rows of merged-away keys count for their person.
    const act = new Map<number, { first: bigint; last: bigint; n: number }>();
    for (const s of stats) {
      const p = keys.get(Number(s.uid))!;
      const cur = act.get(p);
      const [first, last] = [BigInt(s.first), BigInt(s.last)];
      if (!cur) act.set(p, { first, last, n: Number(s.n) });
      else act.set(p, { first: first < cur.first ? first : cur.first, last: last > cur.last ? last : cur.last, n: cur.n + Number(s.n) });
    }
    const cohorts = new Map<number, Set<string>>();
    for (const m of member) {
      const p = keys.get(Number(m.uid))!;
      cohorts.set(p, (cohorts.get(p) ?? new Set()).add(m.cohort_id));
    }
    return people.map((p) => {
      const uid = Number(p.uid);
      const a = act.get(uid);
      return {
        userId: p.user_id,
        properties: traits.get(uid) ?? {},
        firstSeen: a ? fromMicros(String(a.first)) : null,
        lastSeen: a ? fromMicros(String(a.last)) : null,
        eventCount: a?.n ?? 0,
        cohortIds: [...(cohorts.get(uid) ?? [])].sort(),
      };
    });
  }

  return {
    async page(q, signal) {
      const db = cancellable(client, signal);
      // An empty search matches everyone, as containing '' does.
      const needle = await lowerNeedle(db, q.search);
      const find = async (scope: string | undefined) => {
        const page = db.query<Person>(
          `SELECT uid, user_id FROM ${PEOPLE} ${whereClause(conditions(q, needle, scope, true))} ORDER BY user_id LIMIT ${Math.max(0, Math.floor(q.limit))}`,
        );
        const total = q.withTotal
          ? db.query<{ n: string }>(`SELECT toString(count()) AS n FROM ${PEOPLE} ${whereClause(conditions(q, needle, scope, false))}`).then(([r]) => Number(r.n))
          : undefined;
        const [rows, n] = await Promise.all([page, total]);
        // Per-page reads run while the scratch table still exists (they do not need it, but stay in order).
        return { rows: rows.length ? await details(rows, db) : [], ...(n === undefined ? {} : { total: n }) };
      };
      return q.inUsers ? withScope(client, db, q.inUsers, find) : find(undefined);
    },
  };
}
