import { duckdbDialect } from '../../cohort/dialects/duckdb.js';
import type { CohortInsightReads, ExplainRow } from '../cohort-insight-reads.js';
import type { CompiledQuery } from '../cohort-store.js';
import { paramTypes, type ReadPool } from './database.js';
import type { IdentityMap } from './identity-map.js';

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * Explain narrows the tables the compiled query reads to the one user (and the
 * events to the names the definition reads): CTEs named like the tables shadow
 * them (inside a CTE's own body the name still means the table). Every part of
 * the explain query restricts itself to the user anyway, so this only makes it
 * fast: one pass over the user's rows of those events (the event-sorted layout
 * skips the others), then every rule runs over a handful of rows.
 */
const EVENTS = duckdbDialect.tables.events;
const OTHERS = [duckdbDialect.tables.users, duckdbDialect.tables.traits, 'user_traits'].filter((t, i, all) => all.indexOf(t) === i && t !== EVENTS);

/** The explain query `q` for user `uid` over tables narrowed to that user and `events`. */
export function duckdbExplainQuery(uid: number, q: CompiledQuery, events: string[]): { sql: string; params: unknown[] } {
  const names = events.length ? `event IN (${events.map(() => '?').join(', ')})` : 'false';
  const ctes = [
    `${EVENTS} AS MATERIALIZED (SELECT * FROM ${EVENTS} WHERE ${names} AND uid = ?)`,
    ...OTHERS.map((t) => `${t} AS MATERIALIZED (SELECT * FROM ${t} WHERE uid = ?)`),
  ].join(', ');
  return {
    sql: `WITH ${ctes} SELECT k, r, c, a, v, event, epoch_ms(ts) AS ts, CAST(props AS VARCHAR) AS props FROM (${q.sql}) AS x`,
    params: [...events, uid, ...OTHERS.map(() => uid), ...q.params],
  };
}

/** A row of `duckdbExplainQuery` (DuckDB values as `getRowObjects` gives them). */
export function toExplainRow(row: Record<string, unknown>): ExplainRow {
  return {
    k: Number(row.k),
    r: row.r === null ? null : Boolean(row.r),
    c: num(row.c),
    a: num(row.a),
    v: (row.v as string | null) ?? null,
    event: (row.event as string | null) ?? null,
    ts: row.ts === null ? null : new Date(Number(row.ts)),
    props: row.props === null ? null : (JSON.parse(row.props as string) as Record<string, unknown>),
  };
}

export function createDuckDBCohortInsightReads(reads: ReadPool, ids: IdentityMap): CohortInsightReads {
  return {
    async uidOf(userId) {
      return ids.uidOf(userId);
    },

    async explainRows(uid, q, events, signal) {
      const e = duckdbExplainQuery(uid, q, events);
      return (await reads.rows<Record<string, unknown>>(e.sql, e.params, signal)).map(toExplainRow);
    },

    async membershipDiff(cohortId, q, sampleSize, signal) {
      // Samples as JSON lists (user ids may hold any character). Parameters in order of appearance.
      const sample = (from: string, notIn: string) =>
        `(SELECT CAST(to_json(coalesce(list(user_id ORDER BY user_id), [])) AS VARCHAR) FROM (SELECT u.user_id FROM ${from} s JOIN users u ON u.uid = s.uid WHERE s.uid NOT IN (SELECT uid FROM ${notIn}) ORDER BY u.user_id LIMIT ?))`;
      const [row] = await reads.rows<Record<string, unknown>>(
        `WITH p AS MATERIALIZED (SELECT DISTINCT uid FROM (${q.sql}) AS q),
              c AS MATERIALIZED (SELECT uid FROM cohort_members WHERE cohort_id = ?)
         SELECT (SELECT count(*) FROM c) AS current, (SELECT count(*) FROM p) AS proposed,
                (SELECT count(*) FROM p WHERE uid NOT IN (SELECT uid FROM c)) AS added,
                (SELECT count(*) FROM c WHERE uid NOT IN (SELECT uid FROM p)) AS removed,
                ${sample('p', 'c')} AS sample_added, ${sample('c', 'p')} AS sample_removed`,
        [...q.params, cohortId, sampleSize, sampleSize],
        signal,
      );
      return {
        current: Number(row.current),
        proposed: Number(row.proposed),
        added: Number(row.added),
        removed: Number(row.removed),
        sampleAdded: JSON.parse(row.sample_added as string) as string[],
        sampleRemoved: JSON.parse(row.sample_removed as string) as string[],
      };
    },

    async memberIds(q, signal) {
      return reads.pick().use(async (c) => {
        signal?.throwIfAborted();
        // Only this statement runs on the connection: interrupting it stops nothing else.
        const interrupt = () => c.interrupt();
        signal?.addEventListener('abort', interrupt, { once: true });
        try {
          const r = await c.runAndReadAll(`SELECT u.user_id FROM (SELECT DISTINCT uid FROM (${q.sql}) AS q) m JOIN users u ON u.uid = m.uid ORDER BY u.user_id`, q.params as never, paramTypes(q.params) as never);
          return (r.getColumnsJS()[0] ?? []) as string[];
        } finally {
          signal?.removeEventListener('abort', interrupt);
        }
      });
    },
  };
}
