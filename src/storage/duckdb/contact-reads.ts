import type { ContactMembership, ContactPageQuery, ContactReads, ContactRow } from '../contact-reads.js';
import type { ReadPool } from './database.js';

/**
 * Current traits of every person: per (uid, key) the value with the greatest
 * (ts, seq), as the user profile reads them (event-reads.ts).
 */
const CURRENT_TRAITS = 'SELECT uid, key, arg_max(value, (ts, seq)) AS value FROM user_traits GROUP BY uid, key';

/** A list of integer keys bound as one parameter (a statement's parameter count stays fixed). */
const UID_LIST = `(SELECT unnest(string_split(?, ','))::INTEGER)`;

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
    add('u.uid IN (SELECT uid FROM workflow_cards WHERE cohort_id = ? AND step_id = ?)', q.cohortId, q.stepId);
  }
  if (q.search !== undefined) {
    // A string trait matches on its text (unquoted), other values on their JSON text; null never does.
    add(
      `(contains(lower(u.user_id), lower(?)) OR u.uid IN (SELECT uid FROM (${CURRENT_TRAITS}) WHERE contains(lower(value->>'$'), lower(?))))`,
      q.search,
      q.search,
    );
  }
  if (q.inSet) add(`u.uid IN (${q.inSet.sql})`, ...q.inSet.params);
  return w;
}

const whereClause = (w: Where) => (w.conds.length ? `WHERE ${w.conds.join(' AND ')}` : '');
const date = (ms: bigint | null) => (ms === null ? null : new Date(Number(ms)));

/** The contacts directory on DuckDB: people, their current traits, activity and memberships. */
export function createDuckDBContactReads(reads: ReadPool): ContactReads {
  // The workflow module may be absent (older stores, tests without it): memberships then carry no step.
  let hasWorkflow = false;
  async function workflowTables(): Promise<boolean> {
    if (hasWorkflow) return true;
    const [r] = await reads.rows<{ n: bigint }>(
      `SELECT count(*) AS n FROM duckdb_tables() WHERE table_name IN ('workflow_steps', 'workflow_cards')`,
    );
    hasWorkflow = Number(r.n) === 2;
    return hasWorkflow;
  }

  async function memberships(list: string): Promise<Map<number, ContactMembership[]>> {
    const rows = (await workflowTables())
      ? await reads.rows<{ uid: number; cohort_id: string; step_id: string | null; step_name: string | null }>(
          `SELECT m.uid, m.cohort_id, c.step_id, s.name AS step_name
             FROM (SELECT DISTINCT uid, cohort_id FROM cohort_members WHERE uid IN ${UID_LIST}) m
             LEFT JOIN workflow_cards c ON c.cohort_id = m.cohort_id AND c.uid = m.uid
             LEFT JOIN workflow_steps s ON s.cohort_id = c.cohort_id AND s.id = c.step_id
            ORDER BY m.uid, m.cohort_id`,
          [list],
        )
      : (
          await reads.rows<{ uid: number; cohort_id: string }>(
            `SELECT DISTINCT uid, cohort_id FROM cohort_members WHERE uid IN ${UID_LIST} ORDER BY uid, cohort_id`,
            [list],
          )
        ).map((r) => ({ ...r, step_id: null, step_name: null }));
    const out = new Map<number, ContactMembership[]>();
    for (const r of rows) {
      const l = out.get(r.uid) ?? [];
      l.push({ cohortId: r.cohort_id, stepId: r.step_id ?? null, stepName: r.step_name ?? null });
      out.set(r.uid, l);
    }
    return out;
  }

  return {
    async page(q) {
      const w = conditions(q, true);
      const pageRows = reads.rows<{ uid: number; user_id: string }>(
        `SELECT u.uid, u.user_id FROM users u ${whereClause(w)} ORDER BY u.user_id LIMIT ?`,
        [...w.params, q.limit],
      );
      const all = conditions(q, false);
      const totalRows = q.withTotal
        ? reads.rows<{ n: bigint }>(`SELECT count(*) AS n FROM users u ${whereClause(all)}`, all.params)
        : Promise.resolve(undefined);
      const [people, total] = await Promise.all([pageRows, totalRows]);
      const totalOut = total ? { total: Number(total[0].n) } : {};
      if (!people.length) return { rows: [], ...totalOut };

      const list = people.map((p) => p.uid).join(',');
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
      const rows: ContactRow[] = people.map((p) => {
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
      if (!(await workflowTables())) return false;
      const [r] = await reads.rows<{ n: bigint }>('SELECT count(*) AS n FROM workflow_steps WHERE cohort_id = ? AND id = ?', [cohortId, stepId]);
      return Number(r.n) > 0;
    },
  };
}
