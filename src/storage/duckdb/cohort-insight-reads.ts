import { duckdbDialect } from '../../cohort/dialects/duckdb.js';
import type { CohortInsightReads, ExplainRow, MembershipDiff, SetChange } from '../cohort-insight-reads.js';
import type { CompiledQuery } from '../cohort-store.js';
import { CURRENT_TRAITS_TABLE } from './current-traits.js';
import { interruptible, paramTypes, type ReadPool } from './database.js';
import type { IdentityMap } from './identity-map.js';
import { rowsOverEvents } from './sorted-events.js';
import { userIdsOf } from './user-ids.js';

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
// The current-traits table too: a property rule's set reads it by key only (a
// million rows of 'plan' at 1M people), so unnarrowed it cost more than the
// rest of an explain (bench/RESULTS.md, cohort-explain-diff).
const OTHERS = [duckdbDialect.tables.users, duckdbDialect.tables.traits, 'user_traits', CURRENT_TRAITS_TABLE].filter((t, i, all) => all.indexOf(t) === i && t !== EVENTS);

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

/** How diff samples are drawn: a hash of the person key (ties by key). */
const SAMPLE_ORDER = 'hash(uid, 0::BIGINT), uid';

/**
 * Sets of user ids (a sync's acknowledged set) enter the query as one text
 * parameter each, split in the engine: 70k ids split in ~7 ms where JSON
 * parsing took ~35 ms and a list parameter ~130 ms (bench/RESULTS.md,
 * cohort-explain-diff). Newline-separated unless an id holds a newline (user
 * ids may hold any character), then as a JSON array. An empty set is no CTE.
 *
 * The text is read from a materialized CTE, not split where it is bound: split
 * straight from the parameter, the planner folded the split into a constant list
 * of 70k values and copied it through binding, the optimizers and the physical
 * plan, single-threaded (≈ 0.2 s of planning at load 13; bench/RESULTS.md).
 */
export function idSetCtes(sets: readonly (readonly string[])[]): { ctes: string[]; params: string[] } {
  const ctes: string[] = [];
  const params: string[] = [];
  sets.forEach((ids, i) => {
    if (!ids.length) return;
    const plain = !ids.some((u) => u.includes('\n'));
    ctes.push(
      `t${i} AS MATERIALIZED (SELECT CAST(? AS VARCHAR) AS s), ` +
        `a${i} AS (SELECT unnest(${plain ? 'string_split(s, chr(10))' : `from_json(s, '["VARCHAR"]')`}) AS user_id FROM t${i})`,
    );
    params.push(plain ? ids.join('\n') : JSON.stringify(ids));
  });
  return { ctes, params };
}

/** User ids in code point order (UTF-8 byte order: the engine's binary collation, as the samples were sorted in SQL). */
const byCodePoint = (userIds: string[]): string[] =>
  userIds
    .map((u) => [u, Buffer.from(u)] as const)
    .sort((a, b) => Buffer.compare(a[1], b[1]))
    .map(([u]) => u);

/** A set of `size` distinct ids of which `matched` are user ids of the `proposed` members. */
const setChange = (proposed: number, size: number, matched: number): SetChange => ({ wouldAdd: proposed - matched, wouldRemove: size - matched });

export function createDuckDBCohortInsightReads(reads: ReadPool, ids: IdentityMap): CohortInsightReads {
  /**
   * The diff with every proposed member's user id (for the syncs' plans), from
   * one run of the definition: a row per person in the stored or the proposed
   * membership, sorted by user id, counted and sampled here.
   */
  async function diffWithMemberIds(
    ctes: string,
    params: unknown[],
    sampleSize: number,
    given: readonly (readonly string[])[] | undefined,
    signal?: AbortSignal,
  ): Promise<MembershipDiff & { memberIds: string[]; against?: SetChange[] }> {
    const against = given ?? [];
    const sets = idSetCtes(against);
    const inSets = against.map((ids, i) => (ids.length ? `u.user_id IN (SELECT user_id FROM a${i})` : 'false') + ` AS in_a${i}`);
    const [ids, inP, inC, n, ...inA] = await reads.pick().use((c) =>
      interruptible(c, signal, async () => {
        const r = await c.runAndReadAll(
          `${ctes},
                d AS (SELECT coalesce(p.uid, c.uid) AS uid, p.uid IS NOT NULL AS in_p, c.uid IS NOT NULL AS in_c FROM p FULL OUTER JOIN c ON p.uid = c.uid)${sets.ctes.map((x) => `, ${x}`).join('')}
           SELECT u.user_id, d.in_p, d.in_c,
                  CASE WHEN d.in_p <> d.in_c THEN row_number() OVER (PARTITION BY d.in_p, d.in_c ORDER BY hash(d.uid, 0::BIGINT), d.uid) END AS n${inSets.map((x) => `, ${x}`).join('')}
             FROM d JOIN users u ON u.uid = d.uid ORDER BY u.user_id`,
          [...params, ...sets.params] as never,
          paramTypes([...params, ...sets.params]) as never,
        );
        return r.getColumnsJS() as unknown as [string[], boolean[], boolean[], (bigint | number | null)[], ...boolean[][]];
      }),
    );
    const out: MembershipDiff & { memberIds: string[]; against?: SetChange[] } = { current: 0, proposed: 0, added: 0, removed: 0, sampleAdded: [], sampleRemoved: [], memberIds: [] };
    const matched = against.map(() => 0);
    for (let i = 0; i < (ids?.length ?? 0); i++) {
      if (inC[i]) out.current++;
      if (inP[i]) out.memberIds.push(ids[i]);
      if (inP[i]) for (let k = 0; k < against.length; k++) if (inA[k][i]) matched[k]++;
      if (inP[i] === inC[i]) continue;
      if (inP[i]) out.added++;
      else out.removed++;
      if (Number(n[i]) <= sampleSize) (inP[i] ? out.sampleAdded : out.sampleRemoved).push(ids[i]);
    }
    out.proposed = out.memberIds.length;
    if (given) out.against = against.map((a, k) => setChange(out.proposed, a.length, matched[k]));
    return out;
  }

  return {
    async uidOf(userId) {
      return ids.uidOf(userId);
    },

    async explainRows(uid, q, events, signal) {
      const e = duckdbExplainQuery(uid, q, events);
      return (await rowsOverEvents<Record<string, unknown>>(reads, e.sql, e.params, signal)).map(toExplainRow);
    },

    async membershipDiff(cohortId, q, sampleSize, opts = {}) {
      // The definition runs once (p); members in only one of p and c (stored) are the
      // change. Samples are drawn by a hash of the person key (spread over the change,
      // the same on every run, as previews draw theirs) and named as the preview names
      // its sample (the identity map; no scan of users), then shown by user id.
      // A compiled definition returns distinct person keys (cohort-compiler.ts), as the
      // preview counts them: no DISTINCT over p (a hash of the whole answer once more).
      const ctes = `WITH p AS MATERIALIZED (SELECT uid FROM (${q.sql}) AS q),
              c AS MATERIALIZED (SELECT uid FROM cohort_members WHERE cohort_id = ?)`;
      const against = opts.against ?? [];
      if (opts.memberIds) return diffWithMemberIds(ctes, [...q.params, cohortId], sampleSize, opts.against, opts.signal);
      // Per set, the members of p whose user id is in it: p's user ids from one join of
      // users with p by the integer key (one scan of users, whatever the number of sets;
      // an inner join, one row per person on both sides, measured cheaper than the semi
      // join), matched with each set by hash; no id leaves the engine.
      const sets = idSetCtes(against);
      const matched = against.map((set, i) => (set.length ? `(SELECT count(*) FROM pu SEMI JOIN a${i} ON a${i}.user_id = pu.user_id)` : '0') + ` AS m${i}`);
      const sample = (added: boolean) =>
        `(SELECT CAST(to_json(coalesce(list(uid), [])) AS VARCHAR) FROM (SELECT uid FROM d WHERE ${added ? '' : 'NOT '}added ORDER BY ${SAMPLE_ORDER} LIMIT ?))`;
      const [row] = await rowsOverEvents<Record<string, unknown>>(
        reads,
        `${ctes},
              d AS MATERIALIZED (SELECT coalesce(p.uid, c.uid) AS uid, c.uid IS NULL AS added
                                   FROM p FULL OUTER JOIN c ON p.uid = c.uid WHERE p.uid IS NULL OR c.uid IS NULL)${
                sets.ctes.length
                  ? `,
              pu AS MATERIALIZED (SELECT u.user_id FROM p JOIN users u ON u.uid = p.uid),
              ${sets.ctes.join(', ')}`
                  : ''
              }
         SELECT (SELECT count(*) FROM c) AS current, (SELECT count(*) FROM p) AS proposed,
                (SELECT count(*) FROM d WHERE added) AS added, (SELECT count(*) FROM d WHERE NOT added) AS removed,
                ${sample(true)} AS sample_added, ${sample(false)} AS sample_removed${matched.map((m) => `, ${m}`).join('')}`,
        [...q.params, cohortId, ...sets.params, sampleSize, sampleSize],
        opts.signal,
      );
      const proposed = Number(row.proposed);
      const named = async (v: unknown) => byCodePoint(await userIdsOf(reads, ids, JSON.parse(v as string) as number[]));
      return {
        current: Number(row.current),
        proposed,
        added: Number(row.added),
        removed: Number(row.removed),
        sampleAdded: await named(row.sample_added),
        sampleRemoved: await named(row.sample_removed),
        ...(opts.against ? { against: against.map((set, i) => setChange(proposed, set.length, Number(row[`m${i}`]))) } : {}),
      };
    },
  };
}
