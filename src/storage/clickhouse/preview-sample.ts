/**
 * The SQL of a ClickHouse preview: the size of a compiled query and its sample, the
 * `n` uids least by (cityHash64(uid, seed), uid): spread over the whole cohort rather
 * than its lowest keys, and the same for the same seed.
 *
 * Sorting the whole answer to take `n` cost more than the query itself for large cohorts
 * (a groupArray of 950k tuples sorted for 20 of them: seconds on 18.16; ORDER BY … LIMIT would
 * need a second run of the query for the size). So one pass keeps, beside the count, the rows
 * under a few hash thresholds (tiers T = 2^40, 2^46, 2^52, 2^58, then every row), each up to
 * cap + 1 rows. Every row under T sorts before every row at or above it, so a tier that kept
 * all its rows (at most cap) and at least `n` of them (or the whole answer) holds the same
 * first `n` as the full sort: only that tier is sorted, the smallest such one. With 64x
 * between tiers some tier qualifies for any answer up to ~10^10 rows but by a freak of the
 * hashes; when none does (tier 0), the caller runs `fullSortSampleSql`, the same sample the long way.
 *
 * The query's uids must be distinct (the compiler's queries are: cohort-compiler.ts), as the
 * DuckDB store also counts them as they come.
 */
import { bind, joinSql, Sql, sql } from '../../cohort/dialect';

/**
 * Rows a tier may hold to be used (each keeps one more, which tells it is incomplete): at least
 * this, and 128 times the sample (up to 1,000), so that a tier of 64x fewer rows than the next
 * always has room between `n` and the cap.
 */
export const TIER_CAP = 4096;
export const tierCap = (n: number) => Math.max(TIER_CAP, 128 * n);
/** log2 of the tiers' hash thresholds, smallest first (64x apart), before the tier of every row. */
const TIER_BITS = [40, 46, 52, 58];

/**
 * Per-statement settings of the preview's statements: reads of up to 4M rows go through the
 * server's uncompressed cache (bounded by its `uncompressed_cache_size`), so the blocks of a
 * definition previewed again (as it is edited) are not decompressed again. That was a quarter
 * of the server CPU of the brief example at 20M events (1.7M rows read); by default only reads
 * of up to 1M rows may use the cache, and none do unless `use_uncompressed_cache` is set. Larger
 * reads stay out of it: they would flush it and gain less (their time is mostly elsewhere).
 */
const PREVIEW_SETTINGS = 'SETTINGS use_uncompressed_cache = 1, merge_tree_max_rows_to_use_cache = 4000000';
const settings = new Sql(PREVIEW_SETTINGS);
const hashed = (q: Sql, seed: number) => sql`SELECT cityHash64(uid, toUInt64(${bind(seed)})) AS kohort_h, uid FROM (${q})`;
const names = (tuples: Sql, n: number) => sql`arrayMap(t -> toString(tupleElement(t, 2)), arraySlice(arraySort(${tuples}), 1, ${bind(n)}))`;

/**
 * Columns `size` (count), `tier` (the tier used, 0: none qualified, see fullSortSampleSql) and
 * `sample` (uids as text). `cap` is tierCap(n) but in tests of the fallback.
 */
export function tieredSampleSql(q: Sql, n: number, seed: number, cap = tierCap(n)): Sql {
  const keep = bind(cap + 1);
  // Tiers keep plain uids (18.16 keeps an array of tuples through its generic, slower state);
  // the chosen tier's few thousand are hashed again to be sorted.
  const tiers = joinSql(
    [...TIER_BITS.map((b) => sql`groupArrayIf(${keep})(uid, kohort_h < ${new Sql((1n << BigInt(b)).toString())})`), sql`groupArray(${keep})(uid)`],
    ', ',
  );
  // A tier is complete when it kept at most `cap` rows; usable when it has `n` of them or the whole answer.
  const pick = sql`arrayFirstIndex(a -> length(a) <= ${bind(cap)} AND (length(a) >= ${bind(n)} OR length(a) = kohort_n), kohort_tiers)`;
  // One SELECT over the query (its steps as WITH aliases), not a subquery per step: 18.16
  // analyses every nested SELECT again for each level above it (running the query's scalar
  // subqueries each time), which cost ~10 ms of server CPU per preview at 20M events.
  return sql`WITH cityHash64(uid, toUInt64(${bind(seed)})) AS kohort_h, count() AS kohort_n, [${tiers}] AS kohort_tiers, ${pick} AS kohort_tier
             SELECT toString(kohort_n) AS size, toString(kohort_tier) AS tier, ${names(sql`arrayMap(u -> (cityHash64(u, toUInt64(${bind(seed)})), u), arrayElement(kohort_tiers, kohort_tier))`, n)} AS sample
               FROM (${q}) ${settings}`;
}

/** Columns `size` and `sample`: the same sample by sorting every row (when no tier qualified). */
export function fullSortSampleSql(q: Sql, n: number, seed: number): Sql {
  return sql`SELECT toString(count()) AS size, ${names(sql`groupArray((kohort_h, uid))`, n)} AS sample FROM (${hashed(q, seed)}) ${settings}`;
}
