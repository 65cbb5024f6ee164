/**
 * A refresh pass: several cohorts' member sets refreshed in one DuckDB
 * transaction, sharing the work that depends on the data rather than on a
 * definition (`member-set-refresh.ts` does one cohort; `cohort/incremental-refresh.ts`
 * says why re-evaluating only some people is exact):
 * - one read of the rows after the oldest watermark among the cohorts refreshed
 *   incrementally. Per cohort this `seq > W` read cost ~70 ms at 20M events (the
 *   table is sorted by (event, ts), so old rows cannot be skipped);
 * - one candidate set for all of them: the union of every cohort's candidates
 *   (people touched since the oldest watermark, new people, every cohort's band).
 *   Re-evaluating someone who cannot have changed is exact too, since membership
 *   is per person, so a larger candidate set costs time, never correctness;
 * - with enough cohorts in the pass, the candidates' events, users and traits copied once
 *   into temp tables, which every compiled definition then reads instead of the
 *   whole store (one scan of the events instead of one per cohort); only the events,
 *   columns and trait keys the definitions read (`member-set-pass-copy.ts`);
 * - definitions compiled over the candidates ignore the store's per-person summaries
 *   (`fewPeople`): read whole, they cost far more than the candidates' own rows;
 * - one difference against `cohort_members` for all cohorts, one state write.
 * Cohorts that need a full recompute run in the same transaction, one by one.
 * If the transaction fails, each cohort is refreshed again alone, so one
 * failing definition fails only its own cohort.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { Sql, type SqlDialect } from '../../cohort/dialect.js';
import { duckdbCurrentTraits, duckdbDialect } from '../../cohort/dialects/duckdb.js';
import type { PassOutcome, RefreshItem, RefreshResult } from '../membership-store.js';
import { paramTypes } from './database.js';
import { COPIES, copyCandidateRows } from './member-set-pass-copy.js';
import { forgetState, MERGED_SINCE, narrowedTo, one, readTouched, refreshSet, replaceAll, run, STATE_COLUMNS, watermark, type State } from './member-set-refresh.js';

const CANDIDATES = 'kohort_pass_candidates';
/** Above this share of all people among the candidates, recomputing in full reads less than copying their rows. */
const FULL_SHARE = 0.1;
/** From this many incremental cohorts on, the candidates' rows are copied once; below, each definition reads them through a filter. */
const COPY_FROM = 3;

/** Every table a compiled definition reads, narrowed to the candidates: filtered views, or the pass's copies (member-set-pass-copy.ts). */
export function narrowed(copied: boolean): SqlDialect {
  const views = narrowedTo(CANDIDATES);
  if (!copied) return views;
  return {
    ...views,
    tables: { ...views.tables, events: 'kohort_pass_events', users: 'kohort_pass_users' },
    currentTraits: (key, asOf) => duckdbCurrentTraits(key, asOf, { current: 'kohort_pass_traits_current', history: 'kohort_pass_traits' }),
  };
}

async function rows<T>(c: DuckDBConnection, text: string, params: readonly unknown[] = []): Promise<T[]> {
  return (await c.runAndReadAll(text, params as never, paramTypes(params) as never)).getRowObjects() as T[];
}

/** A VARCHAR list parameter: ids joined by U+001F, split in SQL (cohort ids never hold it: they are generated). */
const idList = (ids: string[]) => ids.join('\u001f');
const IN_IDS = `(SELECT unnest(string_split(?, chr(31))))`;

type Incremental = RefreshItem & { incremental: NonNullable<RefreshItem['incremental']>; state: State };

export async function refreshPass(c: DuckDBConnection, items: RefreshItem[]): Promise<PassOutcome[]> {
  const ids = items.map((i) => i.cohortId);
  if (new Set(ids).size !== ids.length) throw new Error('a refresh pass lists a cohort twice');
  const states = new Map(
    (await rows<State & { cohort_id: string }>(c, `SELECT * FROM cohort_refresh_state WHERE cohort_id IN ${IN_IDS}`, [idList(ids)])).map((s) => [s.cohort_id, s]),
  );
  let incremental: Incremental[] = [];
  for (const item of items) {
    const s = states.get(item.cohortId);
    if (item.incremental && s && s.fingerprint === item.incremental.fingerprint && s.as_of_ms <= BigInt(item.incremental.asOf.getTime())) {
      incremental.push({ ...item, incremental: item.incremental, state: s });
    }
  }
  const out = new Map<string, PassOutcome>();
  const started = performance.now();
  let mark: { seq: bigint; maxUid: number } | null = null;
  if (incremental.length) {
    const r = await shared(c, incremental);
    mark = r.mark;
    if (r.candidates > FULL_SHARE * r.people) {
      incremental = []; // cheaper in full: the items go through the loop below
    } else {
      const results = await incrementalSets(c, incremental, r.candidates);
      // The shared work is split evenly between the cohorts that used it.
      const each = (performance.now() - started) / incremental.length;
      for (const [id, result] of results) out.set(id, { ok: true, result, ms: each });
    }
    for (const t of [CANDIDATES, ...COPIES]) await run(c, `DROP TABLE IF EXISTS ${t}`);
  }
  for (const item of items) {
    if (out.has(item.cohortId)) continue;
    const t = performance.now();
    const s = states.get(item.cohortId);
    // Not building on another fingerprint's set: its merges since its watermark may have left repeats.
    const r = await replaceAll(c, item.cohortId, item.full, item.incremental && s ? s.seq : null);
    out.set(item.cohortId, { ok: true, result: { ...r, reevaluated: null }, ms: performance.now() - t });
  }
  // States: written for every cohort refreshed through a fingerprint, dropped for the others (as replaceMembers does).
  await run(c, `DELETE FROM cohort_refresh_state WHERE cohort_id IN ${IN_IDS}`, [idList(ids)]);
  const keep = items.filter((i) => i.incremental);
  if (keep.length) {
    mark ??= await watermark(c, minSeq([...states.values()]));
    const values = keep.map(() => '(?, ?, ?, ?, ?, ?)').join(', ');
    // Sizes: kept where the pass knows the row count (incrementally: the stored count plus the changes).
    const size = (id: string) => {
      const o = out.get(id);
      return o?.ok && o.result.reevaluated !== null ? BigInt(o.result.size) : null;
    };
    await run(
      c,
      `INSERT INTO cohort_refresh_state ${STATE_COLUMNS} VALUES ${values}`,
      keep.flatMap((i) => [i.cohortId, BigInt(i.incremental!.asOf.getTime()), mark!.seq, mark!.maxUid, i.incremental!.fingerprint, size(i.cohortId)]),
    );
  }
  return ids.map((id) => out.get(id)!);
}

/**
 * A lower bound for reading what is new: any stored watermark is one (no stored
 * watermark is past the newest row), and reading after it finds the newest seq.
 */
function minSeq(states: State[]): bigint | null {
  if (!states.length) return null;
  return states.reduce((m, s) => (s.seq < m ? s.seq : m), states[0].seq);
}

/** The pass's one read of what changed: the candidates table, the new watermark, and the sizes the cost choice needs. */
async function shared(c: DuckDBConnection, inc: Incremental[]): Promise<{ mark: { seq: bigint; maxUid: number }; candidates: number; people: number }> {
  const w0 = inc.reduce((m, i) => (i.state.seq < m ? i.state.seq : m), inc[0].state.seq);
  const uid0 = inc.reduce((m, i) => Math.min(m, i.state.max_uid), inc[0].state.max_uid);
  await readTouched(c, 'kohort_pass_touched', w0);
  const m = await one<{ seq: bigint | null; max_uid: number | null; people: bigint }>(
    c,
    'SELECT (SELECT max(seq) FROM kohort_pass_touched) AS seq, (SELECT max(uid) FROM users) AS max_uid, (SELECT count(*) FROM users) AS people',
  );
  // Every row after the oldest watermark was read, so the newest seq in this snapshot is among them (or is w0 itself).
  const mark = { seq: m.seq ?? w0, maxUid: m.max_uid ?? 0 };
  // Every band from the oldest stored asOf: a band from an earlier asOf holds the later one's people (its ranges
  // only grow), and cohorts then share their parts (same event, window and asOfs), each read once.
  const from = new Date(Number(inc.reduce((m, i) => (i.state.as_of_ms < m ? i.state.as_of_ms : m), inc[0].state.as_of_ms)));
  const parts = new Map<string, Sql>();
  for (const i of inc) {
    for (const b of i.incremental.band(from, duckdbDialect)) parts.set(`${b.text}\u0000${JSON.stringify(b.params, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`, b);
  }
  const bands = [...parts.values()];
  await run(
    c,
    `CREATE OR REPLACE TEMP TABLE ${CANDIDATES} AS
       SELECT uid FROM kohort_pass_touched
       UNION SELECT uid FROM users WHERE uid > ?
       ${bands.map((b) => `UNION ${b.text}`).join('\n')}`,
    [uid0, ...bands.flatMap((b) => b.params)],
  );
  await run(c, 'DROP TABLE kohort_pass_touched');
  const { n } = await one<{ n: bigint }>(c, `SELECT count(*) AS n FROM ${CANDIDATES}`);
  return { mark, candidates: Number(n), people: Number(m.people) };
}

/** Every incremental cohort re-evaluated over the candidates, and the differences written for all of them at once. */
async function incrementalSets(c: DuckDBConnection, inc: Incremental[], candidates: number): Promise<Map<string, RefreshResult>> {
  const copied = inc.length >= COPY_FROM;
  const queries = inc.map((i) => i.incremental.compile(narrowed(copied)));
  if (copied) await copyCandidateRows(c, inc.map((i, k) => ({ incremental: i.incremental, sql: queries[k].sql })), CANDIDATES, narrowed(true));
  await run(c, 'CREATE OR REPLACE TEMP TABLE kohort_pass_new (cohort_id VARCHAR NOT NULL, uid INTEGER NOT NULL)');
  for (const [k, i] of inc.entries()) {
    const q = queries[k];
    await run(c, `INSERT INTO kohort_pass_new SELECT DISTINCT ?::VARCHAR, uid FROM (${q.sql}) WHERE uid IN (SELECT uid FROM ${CANDIDATES})`, [i.cohortId, ...q.params]);
  }
  const ids = idList(inc.map((i) => i.cohortId));
  const w0 = inc.reduce((m, i) => (i.state.seq < m ? i.state.seq : m), inc[0].state.seq);
  // The stored rows of these cohorts among the candidates, read once.
  await run(c, `CREATE OR REPLACE TEMP TABLE kohort_pass_old AS SELECT cohort_id, uid FROM cohort_members WHERE cohort_id IN ${IN_IDS} AND uid IN (SELECT uid FROM ${CANDIDATES})`, [ids]);
  await run(c, 'CREATE OR REPLACE TEMP TABLE kohort_pass_entered AS SELECT n.cohort_id, n.uid FROM kohort_pass_new n ANTI JOIN kohort_pass_old o ON o.cohort_id = n.cohort_id AND o.uid = n.uid');
  await run(c, 'CREATE OR REPLACE TEMP TABLE kohort_pass_exited AS SELECT DISTINCT o.cohort_id, o.uid FROM kohort_pass_old o ANTI JOIN kohort_pass_new n ON n.cohort_id = o.cohort_id AND n.uid = o.uid');
  // A merge rewrites uids in place and may leave a person's row twice in a set: only people merged since can.
  await run(
    c,
    `CREATE OR REPLACE TEMP TABLE kohort_pass_repeated AS SELECT cohort_id, uid FROM kohort_pass_old WHERE uid IN (${MERGED_SINCE}) GROUP BY cohort_id, uid HAVING count(*) > 1`,
    [w0],
  );
  await run(
    c,
    `DELETE FROM cohort_members m USING (SELECT cohort_id, uid FROM kohort_pass_exited UNION ALL SELECT cohort_id, uid FROM kohort_pass_repeated) g
      WHERE m.cohort_id = g.cohort_id AND m.uid = g.uid`,
  );
  await run(
    c,
    `INSERT INTO cohort_members SELECT cohort_id, uid FROM kohort_pass_entered
     UNION ALL SELECT r.cohort_id, r.uid FROM kohort_pass_repeated r SEMI JOIN kohort_pass_new n ON n.cohort_id = r.cohort_id AND n.uid = r.uid`,
  );
  // Per cohort: who entered and exited, and the rows written (entered, repeated people's one row) and deleted
  // (every stored row of an exited or repeated person: all among the old rows read above).
  const changes = new Map(
    (
      await rows<{ cohort_id: string; entered: bigint; exited: bigint; inserted: bigint; deleted: bigint }>(
        c,
        `SELECT cohort_id, sum(entered) AS entered, sum(exited) AS exited, sum(inserted) AS inserted, sum(deleted) AS deleted FROM (
           SELECT cohort_id, count(*) AS entered, 0 AS exited, count(*) AS inserted, 0 AS deleted FROM kohort_pass_entered GROUP BY cohort_id
           UNION ALL SELECT cohort_id, 0, count(*), 0, 0 FROM kohort_pass_exited GROUP BY cohort_id
           UNION ALL SELECT r.cohort_id, 0, 0, count(*), 0 FROM kohort_pass_repeated r SEMI JOIN kohort_pass_new n ON n.cohort_id = r.cohort_id AND n.uid = r.uid GROUP BY r.cohort_id
           UNION ALL SELECT o.cohort_id, 0, 0, 0, count(*) FROM kohort_pass_old o
             SEMI JOIN (SELECT cohort_id, uid FROM kohort_pass_exited UNION ALL SELECT cohort_id, uid FROM kohort_pass_repeated) g ON g.cohort_id = o.cohort_id AND g.uid = o.uid
             GROUP BY o.cohort_id)
         GROUP BY cohort_id`,
      )
    ).map((r) => [r.cohort_id, r]),
  );
  // Sizes: the state's row count plus the changes; counted only for sets whose state holds none.
  const unknown = inc.filter((i) => i.state.size === null).map((i) => i.cohortId);
  const counted = new Map(
    unknown.length
      ? (await rows<{ cohort_id: string; n: bigint }>(c, `SELECT cohort_id, count(*) AS n FROM cohort_members WHERE cohort_id IN ${IN_IDS} GROUP BY cohort_id`, [idList(unknown)])).map(
          (r) => [r.cohort_id, Number(r.n)],
        )
      : [],
  );
  const out = new Map<string, RefreshResult>();
  for (const i of inc) {
    const ch = changes.get(i.cohortId);
    const n = (k: 'entered' | 'exited' | 'inserted' | 'deleted') => Number(ch?.[k] ?? 0);
    const size = i.state.size === null ? (counted.get(i.cohortId) ?? 0) : Number(i.state.size) + n('inserted') - n('deleted');
    out.set(i.cohortId, { size, entered: n('entered'), exited: n('exited'), reevaluated: candidates });
  }
  for (const t of ['kohort_pass_new', 'kohort_pass_old', 'kohort_pass_entered', 'kohort_pass_exited', 'kohort_pass_repeated']) await run(c, `DROP TABLE ${t}`);
  return out;
}

/**
 * The pass in one transaction; if it fails, each cohort alone in its own (as
 * `refreshMembers` / `replaceMembers` would), so only failing cohorts fail.
 */
export async function refreshManyWith(
  transaction: <T>(fn: (c: DuckDBConnection) => Promise<T>) => Promise<T>,
  items: RefreshItem[],
  onPassFailed: (err: unknown) => void,
): Promise<PassOutcome[]> {
  if (!items.length) return [];
  try {
    return await transaction((c) => refreshPass(c, items));
  } catch (err) {
    onPassFailed(err);
    const out: PassOutcome[] = [];
    for (const i of items) {
      const t = performance.now();
      try {
        const result = await transaction(async (c): Promise<RefreshResult> => {
          if (i.incremental) return refreshSet(c, i.cohortId, i.full, i.incremental);
          await forgetState(c, i.cohortId);
          return { ...(await replaceAll(c, i.cohortId, i.full)), reevaluated: null };
        });
        out.push({ ok: true, result, ms: performance.now() - t });
      } catch (err) {
        out.push({ ok: false, error: err instanceof Error ? err : new Error(String(err)) });
      }
    }
    return out;
  }
}
