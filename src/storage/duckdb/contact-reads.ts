import type { ContactMembership, ContactPageQuery, ContactReads, ContactRow } from '../contact-reads.js';
import type { ReadPool } from './database.js';

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
  if (q.cohortId !== undefined && q.stepId !== undefined) {
    add('u.user_id IN (SELECT user_id FROM workflow_cards WHERE cohort_id = ? AND step_id = ?)', q.cohortId, q.stepId);
  }
  if (q.search !== undefined) {
    const traits = traitSearch(q.search);
    add(`u.uid IN (SELECT uid FROM users WHERE contains(lower(user_id), lower(?)) UNION ALL ${traits.sql})`, q.search, ...traits.params);
  }
  if (q.inSet) add(`u.uid IN (${q.inSet.sql})`, ...q.inSet.params);
  return w;
}

const whereClause = (w: Where) => (w.conds.length ? `WHERE ${w.conds.join(' AND ')}` : '');
const date = (ms: bigint | null) => (ms === null ? null : new Date(Number(ms)));

/** The contacts directory on DuckDB: people, their current traits, activity and memberships. */
export function createDuckDBContactReads(reads: ReadPool): ContactReads {
  async function memberships(list: string): Promise<Map<number, ContactMembership[]>> {
    // Steps come from the workflow board (workflow-migrations.ts, cards keyed by user id); cohorts without one have no card.
    const rows = await reads.rows<{ uid: number; cohort_id: string; step_id: string | null; step_name: string | null }>(
      `SELECT m.uid, m.cohort_id, c.step_id, s.name AS step_name
         FROM (SELECT DISTINCT m.uid, m.cohort_id, u.user_id FROM cohort_members m JOIN users u ON u.uid = m.uid WHERE m.uid IN ${UID_LIST}) m
         LEFT JOIN workflow_cards c ON c.cohort_id = m.cohort_id AND c.user_id = m.user_id
         LEFT JOIN workflow_steps s ON s.cohort_id = c.cohort_id AND s.id = c.step_id
        ORDER BY m.uid, m.cohort_id`,
      [list],
    );
    const out = new Map<number, ContactMembership[]>();
    for (const r of rows) {
      const l = out.get(r.uid) ?? [];
      l.push({ cohortId: r.cohort_id, stepId: r.step_id ?? null, stepName: r.step_name ?? null });
      out.set(r.uid, l);
    }
    return out;
  }

  async function nextPage(q: ContactPageQuery, signal?: AbortSignal): Promise<Person[]> {
    const w = conditions(q, true);
    return reads.rows<Person>(`SELECT u.uid, u.user_id FROM users u ${whereClause(w)} ORDER BY u.user_id LIMIT ?`, [...w.params, q.limit], signal);
  }

  /**
   * First page and count. With a search or filters (the costly part) the matches
   * are found once for both; otherwise two plain queries are quicker than
   * materializing every person.
   */
  async function firstPage(q: ContactPageQuery, signal?: AbortSignal): Promise<{ rows: Person[]; total: number }> {
    const w = conditions(q, false);
    if (q.search === undefined && q.inSet === undefined) {
      const [rows, [count]] = await Promise.all([
        nextPage(q, signal),
        reads.rows<{ n: bigint }>(`SELECT count(*) AS n FROM users u ${whereClause(w)}`, w.params, signal),
      ]);
      return { rows, total: Number(count.n) };
    }
    const rows = await reads.rows<{ total: bigint; uid: number | null; user_id: string | null }>(
      `WITH m AS MATERIALIZED (SELECT u.uid, u.user_id FROM users u ${whereClause(w)})
       SELECT (SELECT count(*) FROM m) AS total, p.uid, p.user_id
         FROM (SELECT 1) one LEFT JOIN (SELECT uid, user_id FROM m ORDER BY user_id LIMIT ?) p ON true
        ORDER BY p.user_id`,
      [...w.params, q.limit],
      signal,
    );
    const found = rows.flatMap((r) => (r.uid === null || r.user_id === null ? [] : [{ uid: r.uid, user_id: r.user_id }]));
    return { total: Number(rows[0].total), rows: found };
  }

  return {
    async page(q, signal) {
      // The search is the costly part (filters, text match): the per-page reads after it are bounded by the page size.
      const people: { rows: Person[]; total?: number } = q.withTotal ? await firstPage(q, signal) : { rows: await nextPage(q, signal) };
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
          memberships: member.get(p.uid) ?? [],
        };
      });
      return { rows, ...totalOut };
    },

    async stepExists(cohortId, stepId) {
      const [r] = await reads.rows<{ n: bigint }>('SELECT count(*) AS n FROM workflow_steps WHERE cohort_id = ? AND id = ?', [cohortId, stepId]);
      return Number(r.n) > 0;
    },
  };
}
