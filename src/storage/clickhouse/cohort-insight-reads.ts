/**
 * Reads behind explain and diff on ClickHouse: explain queries compiled with the
 * ClickHouse dialect (explain-compiler.ts), diffs of a definition against a stored
 * member set (member-sets-sql.ts), people through people-sql.ts.
 */
import { bind, Sql, sql } from '../../cohort/dialect';
import type { CohortInsightReads, ExplainRow, MembershipDiff } from '../cohort-insight-reads';
import type { CompiledQuery } from '../cohort-store';
import type { ClickHouseClient } from './client';
import { fragment, membersOf, text } from './member-sets-sql';
import { resolveUserIds } from './people-lookup';
import { PEOPLE, peopleIn } from './people-sql';

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const people = new Sql(PEOPLE);

/**
 * The SQL text running an explain query (compiled with the ClickHouse dialect). Its
 * every part restricts itself to the user already; ClickHouse has no table-shadowing
 * CTEs to narrow the tables first (as DuckDB's does), and the event-sorted layout
 * skips the events the definition does not name. Times leave as epoch milliseconds.
 */
export function clickhouseExplainSql(q: CompiledQuery): string {
  return text(sql`SELECT k, r, c, a, v, event, intDiv(ts, 1000) AS ts_ms, props FROM (${fragment(q)})`);
}

/** A row of `clickhouseExplainSql` (JSON: 64-bit integers arrive as strings). */
export function toClickHouseExplainRow(row: Record<string, unknown>): ExplainRow {
  return {
    k: Number(row.k),
    r: row.r === null || row.r === undefined ? null : Number(row.r) !== 0,
    c: num(row.c),
    a: num(row.a),
    v: (row.v as string | null) ?? null,
    event: (row.event as string | null) ?? null,
    ts: row.ts_ms === null || row.ts_ms === undefined ? null : new Date(Number(row.ts_ms)),
    props: row.props === null || row.props === undefined ? null : (JSON.parse(row.props as string) as Record<string, unknown>),
  };
}

/** How diff samples are drawn: a hash of the person key (ties by key), as previews draw theirs. */
const HASH = 'cityHash64(uid, toUInt64(0))';

export function createClickHouseCohortInsightReads(client: ClickHouseClient): CohortInsightReads {
  /** A row per person in the stored (c) or proposed (p) set: whether in each; the definition runs once. */
  const both = (cohortId: string, q: CompiledQuery) =>
    sql`SELECT uid, max(src = 1) AS in_p, max(src = 2) AS in_c FROM (
          SELECT uid, 1 AS src FROM (SELECT DISTINCT uid FROM (${fragment(q)}))
          UNION ALL SELECT uid, 2 AS src FROM (${membersOf(cohortId)})) GROUP BY uid`;

  async function userIds(uids: string[], signal?: AbortSignal): Promise<string[]> {
    if (!uids.length) return [];
    const list = sql`SELECT arrayJoin([${new Sql(uids.map(() => 'toUInt64(?)').join(', '), uids)}]) AS uid`;
    const rows = await client.query<{ user_id: string }>(text(sql`SELECT user_id FROM ${peopleIn(list)} ORDER BY user_id`), { signal });
    return rows.map((r) => r.user_id);
  }

  async function plainDiff(cohortId: string, q: CompiledQuery, sampleSize: number, signal?: AbortSignal): Promise<MembershipDiff> {
    const sample = (cond: string) =>
      sql`arrayMap(t -> toString(tupleElement(t, 2)), arraySlice(arraySort(groupArrayIf((${new Sql(HASH)}, uid), ${new Sql(cond)})), 1, ${bind(sampleSize)}))`;
    const [r] = await client.query<{ current: string; proposed: string; added: string; removed: string; sa: string[]; sr: string[] }>(
      text(sql`SELECT toString(countIf(in_c = 1)) AS current, toString(countIf(in_p = 1)) AS proposed,
                      toString(countIf(in_p = 1 AND in_c = 0)) AS added, toString(countIf(in_p = 0 AND in_c = 1)) AS removed,
                      ${sample('in_p = 1 AND in_c = 0')} AS sa, ${sample('in_p = 0 AND in_c = 1')} AS sr
                 FROM (${both(cohortId, q)})`),
      { signal },
    );
    // Only the sampled few are joined with people, then shown by user id.
    return {
      current: Number(r.current),
      proposed: Number(r.proposed),
      added: Number(r.added),
      removed: Number(r.removed),
      sampleAdded: await userIds(r.sa, signal),
      sampleRemoved: await userIds(r.sr, signal),
    };
  }

  /** The diff with every proposed member's user id (the syncs' plans), from one run of the definition. */
  async function diffWithMemberIds(cohortId: string, q: CompiledQuery, sampleSize: number, signal?: AbortSignal): Promise<MembershipDiff & { memberIds: string[] }> {
    const rows = await client.query<{ user_id: string; in_p: number; in_c: number; h: string; k: string }>(
      // The sample key only for the changed rows (the others need no parsing here).
      text(sql`SELECT user_id, in_p, in_c, if(in_p = in_c, '', toString(${new Sql(HASH)})) AS h, toString(uid) AS k
                 FROM (${both(cohortId, q)}) AS d ANY INNER JOIN ${people} AS u USING uid ORDER BY user_id`),
      { signal },
    );
    const out: MembershipDiff & { memberIds: string[] } = { current: 0, proposed: 0, added: 0, removed: 0, sampleAdded: [], sampleRemoved: [], memberIds: [] };
    const changed: { added: boolean; h: bigint; k: number; id: string; index: number }[] = [];
    for (const [index, r] of rows.entries()) {
      const inP = Number(r.in_p) === 1;
      const inC = Number(r.in_c) === 1;
      if (inC) out.current++;
      if (inP) out.memberIds.push(r.user_id);
      if (inP === inC) continue;
      if (inP) out.added++;
      else out.removed++;
      changed.push({ added: inP, h: BigInt(r.h), k: Number(r.k), id: r.user_id, index });
    }
    out.proposed = out.memberIds.length;
    // The same draw as plainDiff: the lowest (hash, key) of each side, shown in user id order (the rows').
    changed.sort((a, b) => (a.h < b.h ? -1 : a.h > b.h ? 1 : a.k - b.k));
    const drawn = new Set([...changed.filter((c) => c.added).slice(0, sampleSize), ...changed.filter((c) => !c.added).slice(0, sampleSize)]);
    for (const c of [...drawn].sort((a, b) => a.index - b.index)) (c.added ? out.sampleAdded : out.sampleRemoved).push(c.id);
    return out;
  }

  return {
    async uidOf(userId) {
      return (await resolveUserIds(client, [userId])).get(userId);
    },

    async explainRows(_uid, q, _events, signal) {
      return (await client.query<Record<string, unknown>>(clickhouseExplainSql(q), { signal })).map(toClickHouseExplainRow);
    },

    async membershipDiff(cohortId, q, sampleSize, opts = {}) {
      if (!opts.memberIds && !opts.against) return plainDiff(cohortId, q, sampleSize, opts.signal);
      const diff = await diffWithMemberIds(cohortId, q, sampleSize, opts.signal);
      if (!opts.against) return diff;
      // What each set would need to equal the members: counted here from the same run's member ids
      // (the sets are the syncs' acknowledged ids, from the metadata engine).
      const members = new Set(diff.memberIds);
      const against = opts.against.map((set) => {
        const inSet = new Set(set);
        let wouldAdd = 0;
        for (const m of members) if (!inSet.has(m)) wouldAdd++;
        let wouldRemove = 0;
        for (const id of inSet) if (!members.has(id)) wouldRemove++;
        return { wouldAdd, wouldRemove };
      });
      return { ...diff, memberIds: opts.memberIds ? diff.memberIds : undefined, against };
    },
  };
}
