/**
 * Replacing a stored member set inside one DuckDB transaction, writing only
 * the changes, and the incremental refresh built on it (see
 * `cohort/incremental-refresh.ts` for why re-evaluating only the candidates is exact).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { Sql, type SqlDialect } from '../../cohort/dialect.js';
import { duckdbCurrentTraits, duckdbDialect } from '../../cohort/dialects/duckdb.js';
import type { CompiledQuery, IncrementalRefresh, RefreshResult } from '../membership-store.js';
import { paramTypes } from './database.js';

/** The people an incremental refresh re-evaluates, per connection (the transaction creates it). */
const CANDIDATES = 'kohort_candidates';

/**
 * The engine's tables narrowed to the people of `candidates` (a table of uids): every
 * scan of the compiled definition reads only their rows, and the store's per-person
 * summaries, which cover everyone, are not read (`fewPeople`). Exact because membership
 * is per person; the caller keeps only candidates from the result anyway.
 */
export function narrowedTo(candidates: string): SqlDialect {
  const only = `uid IN (SELECT uid FROM ${candidates})`;
  return {
    ...duckdbDialect,
    fewPeople: true,
    tables: { ...duckdbDialect.tables, events: `(SELECT * FROM events_all WHERE ${only})`, users: `(SELECT * FROM users WHERE ${only})` },
    currentTraits: (key, asOf) => duckdbCurrentTraits(key, asOf, { only: new Sql(`SELECT uid FROM ${candidates}`) }),
  };
}

const narrowed = narrowedTo(CANDIDATES);

export async function run(c: DuckDBConnection, text: string, params: readonly unknown[] = []): Promise<void> {
  await c.run(text, params as never, paramTypes(params) as never);
}

export async function one<T>(c: DuckDBConnection, text: string, params: readonly unknown[] = []): Promise<T> {
  return (await c.runAndReadAll(text, params as never, paramTypes(params) as never)).getRowObjects()[0] as T;
}

/**
 * Makes the cohort's rows equal `new_members` (a temp table) over `scope`: every
 * person, or only those in the candidates table. Deletes the leavers and inserts
 * the enterers. A person merge rewrites uids in place and may leave a person's
 * row twice: those among `repeatable` (a SELECT of uids; null: anyone) get one row again.
 */
async function applyDifference(
  c: DuckDBConnection,
  cohortId: string,
  scope: 'all' | 'candidates',
  repeatable: { sql: string; params: unknown[] } | null,
): Promise<{ entered: number; exited: number }> {
  const inScope = scope === 'all' ? '' : `AND uid IN (SELECT uid FROM ${CANDIDATES})`;
  const old = `(SELECT uid FROM cohort_members WHERE cohort_id = ? ${inScope})`;
  await run(c, `CREATE OR REPLACE TEMP TABLE kohort_entered AS SELECT n.uid FROM new_members n ANTI JOIN ${old} o ON o.uid = n.uid`, [cohortId]);
  await run(c, `CREATE OR REPLACE TEMP TABLE kohort_exited AS SELECT DISTINCT o.uid FROM ${old} o ANTI JOIN new_members n ON n.uid = o.uid`, [cohortId]);
  const among = repeatable ? `AND uid IN (${repeatable.sql})` : '';
  await run(
    c,
    `CREATE OR REPLACE TEMP TABLE kohort_repeated AS SELECT uid FROM cohort_members WHERE cohort_id = ? ${inScope} ${among} GROUP BY uid HAVING count(*) > 1`,
    [cohortId, ...(repeatable?.params ?? [])],
  );
  const counts = await one<{ entered: bigint; exited: bigint; repeated: bigint }>(
    c,
    `SELECT (SELECT count(*) FROM kohort_entered) AS entered, (SELECT count(*) FROM kohort_exited) AS exited, (SELECT count(*) FROM kohort_repeated) AS repeated`,
  );
  if (Number(counts.exited) || Number(counts.repeated)) {
    await run(c, `DELETE FROM cohort_members WHERE cohort_id = ? AND uid IN (SELECT uid FROM kohort_exited UNION ALL SELECT uid FROM kohort_repeated)`, [cohortId]);
  }
  if (Number(counts.entered) || Number(counts.repeated)) {
    await run(
      c,
      `INSERT INTO cohort_members SELECT ?, uid FROM (SELECT uid FROM kohort_entered UNION ALL SELECT r.uid FROM kohort_repeated r SEMI JOIN new_members m ON m.uid = r.uid)`,
      [cohortId],
    );
  }
  for (const t of ['kohort_entered', 'kohort_exited', 'kohort_repeated']) await run(c, `DROP TABLE ${t}`);
  return { entered: Number(counts.entered), exited: Number(counts.exited) };
}

/** Full recompute: the whole new set, the difference written. */
/** `mergedAfter`: the set had no repeated rows when the sequence was there, so only people merged since can repeat. */
export async function replaceAll(c: DuckDBConnection, cohortId: string, q: CompiledQuery, mergedAfter: bigint | null = null): Promise<{ size: number; entered: number; exited: number }> {
  await run(c, `CREATE OR REPLACE TEMP TABLE new_members AS SELECT DISTINCT uid FROM (${q.sql})`, q.params);
  const { size } = await one<{ size: bigint }>(c, 'SELECT count(*) AS size FROM new_members');
  const diff = await applyDifference(c, cohortId, 'all', mergedAfter === null ? null : { sql: MERGED_SINCE, params: [mergedAfter] });
  await run(c, 'DROP TABLE new_members');
  return { size: Number(size), ...diff };
}

export const MERGED_SINCE = 'SELECT into_uid FROM person_merges WHERE seq > ?';

export interface State {
  as_of_ms: bigint;
  seq: bigint;
  max_uid: number;
  fingerprint: string;
  /** Rows of the cohort's set when the state was written; null: not known. */
  size: bigint | null;
}

/** The state row's columns, named (the table gained `size` later). */
export const STATE_COLUMNS = '(cohort_id, as_of_ms, seq, max_uid, fingerprint, size)';

export async function forgetState(c: DuckDBConnection, cohortId: string): Promise<void> {
  await run(c, 'DELETE FROM cohort_refresh_state WHERE cohort_id = ?', [cohortId]);
}

/** The highest sequence number and person key this transaction sees (what the new set covers). */
/** Fills temp table `table` with (uid, seq) of every row after seq `after`: events, traits, and both sides of person merges. */
export async function readTouched(c: DuckDBConnection, table: 'kohort_touched' | 'kohort_pass_touched', after: bigint): Promise<void> {
  await run(
    c,
    `CREATE OR REPLACE TEMP TABLE ${table} AS
       SELECT uid, seq FROM events_all WHERE seq > ?
       UNION ALL SELECT uid, seq FROM user_traits WHERE seq > ?
       UNION ALL SELECT from_uid, seq FROM person_merges WHERE seq > ?
       UNION ALL SELECT into_uid, seq FROM person_merges WHERE seq > ?`,
    [after, after, after, after],
  );
}

export async function watermark(c: DuckDBConnection, after: bigint | null): Promise<{ seq: bigint; maxUid: number }> {
  // With an earlier watermark only the rows after it are read (zonemaps skip the rest).
  const since = after === null ? '' : 'WHERE seq > ?';
  const p = after === null ? [] : [after, after, after];
  const r = await one<{ seq: bigint | null; max_uid: number | null }>(
    c,
    `SELECT (SELECT max(s) FROM (SELECT max(seq) AS s FROM events_all ${since} UNION ALL SELECT max(seq) FROM user_traits ${since}
              UNION ALL SELECT max(seq) FROM person_merges ${since})) AS seq,
            (SELECT max(uid) FROM users) AS max_uid`,
    p,
  );
  return { seq: r.seq ?? after ?? 0n, maxUid: r.max_uid ?? 0 };
}

/** Inside a transaction: the incremental refresh when the stored state allows it, else a full recompute. */
export async function refreshSet(c: DuckDBConnection, cohortId: string, full: CompiledQuery, inc: IncrementalRefresh): Promise<RefreshResult> {
  const state = await one<State | undefined>(c, 'SELECT as_of_ms, seq, max_uid, fingerprint, size FROM cohort_refresh_state WHERE cohort_id = ?', [cohortId]);
  const asOfMs = BigInt(inc.asOf.getTime());
  const usable = state && state.fingerprint === inc.fingerprint && state.as_of_ms <= asOfMs;
  let mark: { seq: bigint; maxUid: number };
  let result: RefreshResult;
  if (!usable) {
    mark = await watermark(c, state ? state.seq : null);
    // Under a state (another fingerprint), the set was left without repeats up to its seq.
    result = { ...(await replaceAll(c, cohortId, full, state ? state.seq : null)), reevaluated: null };
  } else {
    const w0 = state.seq;
    // One read of the rows after the last refresh: who they touch, and the new watermark.
    await readTouched(c, 'kohort_touched', w0);
    const m = await one<{ seq: bigint | null; max_uid: number | null }>(c, 'SELECT (SELECT max(seq) FROM kohort_touched) AS seq, (SELECT max(uid) FROM users) AS max_uid');
    mark = { seq: m.seq ?? w0, maxUid: m.max_uid ?? 0 };
    const band = inc.band(new Date(Number(state.as_of_ms)), duckdbDialect);
    await run(
      c,
      `CREATE OR REPLACE TEMP TABLE ${CANDIDATES} AS
         SELECT uid FROM kohort_touched
         UNION SELECT uid FROM users WHERE uid > ?
         ${band.map((b) => `UNION ${b.text}`).join('\n')}`,
      [state.max_uid, ...band.flatMap((b) => b.params)],
    );
    await run(c, 'DROP TABLE kohort_touched');
    const q = inc.compile(narrowed);
    await run(c, `CREATE OR REPLACE TEMP TABLE new_members AS SELECT DISTINCT uid FROM (${q.sql}) WHERE uid IN (SELECT uid FROM ${CANDIDATES})`, q.params);
    const { n } = await one<{ n: bigint }>(c, `SELECT count(*) AS n FROM ${CANDIDATES}`);
    const diff = await applyDifference(c, cohortId, 'candidates', { sql: MERGED_SINCE, params: [w0] });
    const { size } = await one<{ size: bigint }>(c, 'SELECT count(*) AS size FROM cohort_members WHERE cohort_id = ?', [cohortId]);
    await run(c, 'DROP TABLE new_members');
    await run(c, `DROP TABLE ${CANDIDATES}`);
    result = { size: Number(size), ...diff, reevaluated: Number(n) };
  }
  await forgetState(c, cohortId);
  // The size is kept only where it was counted (a full recompute's is its distinct members).
  const size = result.reevaluated === null ? null : BigInt(result.size);
  await run(c, `INSERT INTO cohort_refresh_state ${STATE_COLUMNS} VALUES (?, ?, ?, ?, ?, ?)`, [cohortId, asOfMs, mark.seq, mark.maxUid, inc.fingerprint, size]);
  return result;
}
