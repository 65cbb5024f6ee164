import { listValue, LIST, VARCHAR } from '@duckdb/node-api';
import type { ContactPageQuery, ContactReads, ContactRow } from '../contact-reads.js';
import { interruptible, rowsOn, type ReadPool, type SerialConnection } from './database.js';

/**
 * People with a current trait value containing `q` (any case). The current value
 * is, per (uid, key), the one with the greatest (ts, seq), as the user profile
 * reads it (event-reads.ts); strings match on their text, other values on their
 * JSON text, null (a cleared trait) never.
 *
 * Finding the current value of every trait is the costly part, so only keys
 * whose stored JSON text (any version) contains `q` are looked at: values are
 * written by JSON.stringify, which changes a text only by escaping quotes,
 * backslashes and control characters, so for a `q` without those the JSON text
 * contains `q` whenever the value does. Other searches look at every trait.
 */
function traitSearch(q: string): { sql: string; params: unknown[] } {
  const exact = "HAVING contains(lower(arg_max(t.value, (t.ts, t.seq))->>'$'), lower(?))";
  if (/["\\\u0000-\u001f]/.test(q)) {
    return { sql: `SELECT t.uid FROM user_traits t GROUP BY t.uid, t.key ${exact}`, params: [q] };
  }
  return {
    sql: `SELECT t.uid FROM user_traits t
      SEMI JOIN (SELECT uid, key FROM user_traits WHERE contains(lower(value::VARCHAR), lower(?))) h ON h.uid = t.uid AND h.key = t.key
      GROUP BY t.uid, t.key ${exact}`,
    params: [q, q],
  };
}

/** A list of integer keys bound as one parameter (a statement's parameter count stays fixed). */
const UID_LIST = `(SELECT unnest(string_split(?, ','))::INTEGER)`;

interface Person {
  uid: number;
  user_id: string;
}

interface Where {
  conds: string[];
  params: unknown[];
}

function conditions(q: ContactPageQuery, withCursor: boolean): Where {
  const w: Where = { conds: [], params: [] };
  const add = (cond: string, ...params: unknown[]) => {
    w.conds.push(cond);
    w.params.push(...params);
  };
  if (withCursor && q.afterUserId !== undefined) add('u.user_id > ?', q.afterUserId);
  if (q.cohortId !== undefined) add('u.uid IN (SELECT uid FROM cohort_members WHERE cohort_id = ?)', q.cohortId);
  if (q.inUsers !== undefined) add('u.user_id IN (SELECT user_id FROM contact_scope)');
  if (q.search !== undefined) {
    const traits = traitSearch(q.search);
    add(`u.uid IN (SELECT uid FROM users WHERE contains(lower(user_id), lower(?)) UNION ALL ${traits.sql})`, q.search, ...traits.params);
  }
  if (q.inSet) add(`u.uid IN (${q.inSet.sql})`, ...q.inSet.params);
  return w;
}

type Rows = <T>(sql: string, params: unknown[]) => Promise<T[]>;

/**
 * Runs `fn` on one read connection with the user ids of `inUsers` in its
 * temp table `contact_scope` (connection-local, held exclusively meanwhile):
 * the ids arrive a page at a time, so a step with a million cards never sits
 * whole in memory here, and the filters then run in one query as usual.
 * The cost is loading the step's ids on every request that filters by it.
 */
async function withScope<T>(conn: SerialConnection, inUsers: () => AsyncIterable<string[]>, fn: (rows: Rows) => Promise<T>, signal?: AbortSignal): Promise<T> {
  return conn.use((c) =>
    interruptible(c, signal, async () => {
      const rows: Rows = <R>(sql: string, params: unknown[]) => rowsOn<R>(c, sql, params);
      await c.run('CREATE OR REPLACE TEMP TABLE contact_scope (user_id VARCHAR NOT NULL)');
      try {
        for await (const page of inUsers()) {
          if (page.length) await c.run('INSERT INTO contact_scope SELECT unnest(?)', [listValue(page)] as never, [LIST(VARCHAR)] as never);
        }
        return await fn(rows);
      } finally {
        await c.run('DROP TABLE IF EXISTS contact_scope').catch(() => undefined);
      }
    }),
  );
}

const whereClause = (w: Where) => (w.conds.length ? `WHERE ${w.conds.join(' AND ')}` : '');
const date = (ms: bigint | null) => (ms === null ? null : new Date(Number(ms)));

/** The contacts directory on DuckDB: people, their current traits, activity and memberships. */
export function createDuckDBContactReads(reads: ReadPool): ContactReads {
  async function memberships(list: string): Promise<Map<number, string[]>> {
    const rows = await reads.rows<{ uid: number; cohort_id: string }>(
      `SELECT DISTINCT uid, cohort_id FROM cohort_members WHERE uid IN ${UID_LIST} ORDER BY uid, cohort_id`,
      [list],
    );
    const out = new Map<number, string[]>();
    for (const r of rows) {
      const l = out.get(r.uid) ?? [];
      l.push(r.cohort_id);
      out.set(r.uid, l);
    }
    return out;
  }

  async function nextPage(rows: Rows, q: ContactPageQuery): Promise<Person[]> {
    const w = conditions(q, true);
    return rows<Person>(`SELECT u.uid, u.user_id FROM users u ${whereClause(w)} ORDER BY u.user_id LIMIT ?`, [...w.params, q.limit]);
  }

  /**
   * First page and count. With a search or filters (the costly part) the matches
   * are found once for both; otherwise two plain queries are quicker than
   * materializing every person.
   */
  async function firstPage(rows: Rows, q: ContactPageQuery, oneConnection: boolean): Promise<{ rows: Person[]; total: number }> {
    const w = conditions(q, false);
    if (q.search === undefined && q.inSet === undefined) {
      const count = () => rows<{ n: bigint }>(`SELECT count(*) AS n FROM users u ${whereClause(w)}`, w.params);
      // One connection runs one statement at a time; the pool runs both at once.
      const [page, [n]] = oneConnection ? [await nextPage(rows, q), await count()] : await Promise.all([nextPage(rows, q), count()]);
      return { rows: page, total: Number(n.n) };
    }
    const found = await rows<{ total: bigint; uid: number | null; user_id: string | null }>(
      `WITH m AS MATERIALIZED (SELECT u.uid, u.user_id FROM users u ${whereClause(w)})
       SELECT (SELECT count(*) FROM m) AS total, p.uid, p.user_id
         FROM (SELECT 1) one LEFT JOIN (SELECT uid, user_id FROM m ORDER BY user_id LIMIT ?) p ON true
        ORDER BY p.user_id`,
      [...w.params, q.limit],
    );
    const people = found.flatMap((r) => (r.uid === null || r.user_id === null ? [] : [{ uid: r.uid, user_id: r.user_id }]));
    return { total: Number(found[0].total), rows: people };
  }

  return {
    async page(q, signal) {
      // The search is the costly part (filters, text match): the per-page reads after it are bounded by the page size.
      const find = (rows: Rows, oneConnection: boolean): Promise<{ rows: Person[]; total?: number }> =>
        q.withTotal ? firstPage(rows, q, oneConnection) : nextPage(rows, q).then((r) => ({ rows: r }));
      const pooled: Rows = (sql, params) => reads.rows(sql, params, signal);
      const people = q.inUsers ? await withScope(reads.pick(), q.inUsers, (rows) => find(rows, true), signal) : await find(pooled, false);
      const totalOut = people.total === undefined ? {} : { total: people.total };
      if (!people.rows.length) return { rows: [], ...totalOut };

      const list = people.rows.map((p) => p.uid).join(',');
      const [traits, stats, member] = await Promise.all([
        reads.rows<{ uid: number; key: string; value: string }>(
          `SELECT uid, key, arg_max(value, (ts, seq))::VARCHAR AS value FROM user_traits WHERE uid IN ${UID_LIST} GROUP BY uid, key ORDER BY key`,
          [list],
        ),
        reads.rows<{ uid: number; first: bigint | null; last: bigint | null; n: bigint }>(
          `SELECT uid, epoch_ms(min(ts)) AS first, epoch_ms(max(ts)) AS last, count(*) AS n FROM events_all WHERE uid IN ${UID_LIST} GROUP BY uid`,
          [list],
        ),
        memberships(list),
      ]);
      const props = new Map<number, Record<string, unknown>>();
      for (const t of traits) {
        const v = JSON.parse(t.value);
        if (v === null) continue; // a trait set to null was cleared
        const p = props.get(t.uid) ?? {};
        p[t.key] = v;
        props.set(t.uid, p);
      }
      const statsBy = new Map(stats.map((s) => [s.uid, s]));
      const rows: ContactRow[] = people.rows.map((p) => {
        const s = statsBy.get(p.uid);
        return {
          userId: p.user_id,
          properties: props.get(p.uid) ?? {},
          firstSeen: date(s?.first ?? null),
          lastSeen: date(s?.last ?? null),
          eventCount: s ? Number(s.n) : 0,
          cohortIds: member.get(p.uid) ?? [],
        };
      });
      return { rows, ...totalOut };
    },
  };
}
